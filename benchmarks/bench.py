"""NoteLens speed benchmark: run it on the machine you want figures for.

    python benchmarks/bench.py [--model PATH] [--units 3000] [--notes 200] [--audit-notes 4000]
                               [--int8] [--json benchmarks/results.json]

Measures, on this machine's cores: model load time; batch scoring throughput (units/s)
on real corpus units; end-to-end latency (p50/p95) of analyze() on 12-unit notes; the
audit's end-to-end notes/s and peak memory on a generated file; and, with --int8, the
same for int8 dynamic quantisation with its macro-F1 cost on the test split.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def corpus_units(n: int, split: str | None = None):
    from notelens.corpus import read_corpus

    notes = read_corpus(ROOT / "training/data/corpus.jsonl")
    if split:
        notes = [x for x in notes if x.split == split]
    units = [(x.unit_text(u), x.unit_text(x.units[i - 1]) if i else "") for x in notes for i, u in enumerate(x.units)]
    random.Random(0).shuffle(units)
    return units[:n], notes


def twelve_unit_notes(notes, k: int) -> list[str]:
    """Notes of 12 units, cut from corpus notes (their own text, their own line breaks)."""
    out = []
    for x in notes:
        if len(x.units) >= 12:
            out.append(x.text[x.units[0].start: x.units[11].end])
        if len(out) == k:
            break
    return out


def bench_classifier(analyzer, units, notes12, label: str) -> dict:
    texts = [u for u, _ in units]
    ctx = [c for _, c in units]
    analyzer.analyze_units(texts[:64], ctx[:64])  # warm-up
    t0 = time.perf_counter()
    analyzer.analyze_units(texts, ctx)
    batch_s = time.perf_counter() - t0
    lat = []
    for note in notes12:
        t = time.perf_counter()
        analyzer.analyze(note)
        lat.append(time.perf_counter() - t)
    lat.sort()
    return {"variant": label, "units": len(texts), "units_per_s": round(len(texts) / batch_s, 1),
            "note12_p50_ms": round(1000 * lat[len(lat) // 2], 1),
            "note12_p95_ms": round(1000 * lat[int(0.95 * (len(lat) - 1))], 1), "notes_timed": len(lat)}


def bench_raw_encoder(units, batch_size: int = 64) -> dict:
    """The ceiling for our own code: tokenise + fp32 encoder forward only, length-sorted batches."""
    import torch

    from notelens.model import load_encoder, load_tokenizer

    enc, tok = load_encoder(None, "lora").eval(), load_tokenizer()
    texts = sorted((u for u, _ in units), key=len)
    with torch.inference_mode():  # warm-up, as for the other variants
        enc(**tok(texts[:64], padding=True, truncation=True, max_length=128, return_tensors="pt"))
    t0 = time.perf_counter()
    with torch.inference_mode():
        for s in range(0, len(texts), batch_size):
            enc(**tok(texts[s:s + batch_size], padding=True, truncation=True, max_length=128, return_tensors="pt"))
    return {"variant": "raw encoder forward (fp32 torch, no heads)", "units": len(texts),
            "units_per_s": round(len(texts) / (time.perf_counter() - t0), 1)}


def bench_tfidf(units) -> dict:
    from notelens.evaluation_run import fit_baselines

    clf = fit_baselines(ROOT / "training/data/corpus.jsonl", log=lambda m: None, only=("tfidf-logreg",))["tfidf-logreg"]
    texts = [u for u, _ in units]
    t0 = time.perf_counter()
    clf.predict(texts)
    return {"variant": "TF-IDF + logistic regression baseline", "units": len(texts),
            "units_per_s": round(len(texts) / (time.perf_counter() - t0), 1)}


def macro_f1_on_test(classifier) -> float:
    from notelens.corpus import read_corpus
    from notelens.evaluate import GoldUnits, run_system, system_metrics, bootstrap_samples

    notes = [n for n in read_corpus(ROOT / "training/data/corpus.jsonl") if n.split == "test"]
    gold = GoldUnits.from_notes(notes)
    out = run_system("x", classifier, gold)
    return system_metrics(gold, out, bootstrap_samples(len(notes), 0, 50))["macro_f1"]


def generated_notes_csv(n_notes: int) -> Path:
    """A CSV of n notes of about 12 units each, cut from corpus notes, spread over 12 teams and 10 months."""
    _, notes = corpus_units(0)
    base = twelve_unit_notes(notes, 300)
    tmp = Path(tempfile.mkdtemp(prefix="notelens-bench-"))
    src = tmp / "notes.csv"
    import csv

    rng = random.Random(1)
    with src.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "team", "date", "text"])
        for i in range(n_notes):
            w.writerow([f"g{i}", f"Team {i % 12}", f"2026-{1 + i % 10:02d}-{1 + i % 27:02d}", rng.choice(base)])
    return src


def bench_audit(n_notes: int, model: str | None, backend: str = "auto") -> dict:
    """Audit a generated CSV of ~12-unit notes in a fresh process; report notes/s and its peak memory."""
    src = generated_notes_csv(n_notes)
    tmp = src.parent
    code = ("import resource,sys,time,json;import notelens;from notelens.audit import AuditConfig,run_audit;"
            f"a=notelens.load({model!r},backend={backend!r});t=time.perf_counter();"
            f"s=run_audit({str(src)!r},{str(tmp / 'out')!r},a,AuditConfig(),progress=False);"
            "print(json.dumps({'scored':s.scored,'units':s.units,'seconds':time.perf_counter()-t,"
            "'peak_mb':resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    r = json.loads(out.stdout.strip().splitlines()[-1])
    return {"notes": r["scored"], "units": r["units"], "notes_per_s": round(r["scored"] / r["seconds"], 1),
            "units_per_note": round(r["units"] / max(1, r["scored"]), 1), "peak_rss_mb": round(r["peak_mb"], 0),
            "seconds": round(r["seconds"], 1)}


def bench_ray(n_notes: int, model: str | None, workers: int) -> dict:
    """The same audit on a local Ray cluster (all cores) with N actors, in a fresh process."""
    src = generated_notes_csv(n_notes)
    code = ("import json,time,ray;from notelens.audit import AuditConfig;from notelens.ray_engine import run_audit_ray;"
            "ray.init(include_dashboard=False,log_to_driver=False);t=time.perf_counter();"
            f"s=run_audit_ray({str(src)!r},{str(src.parent / 'ray_out')!r},AuditConfig(),model={model!r},"
            f"workers={workers});print(json.dumps({{'scored':s.scored,'seconds':time.perf_counter()-t}}));ray.shutdown()")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    r = json.loads(out.stdout.strip().splitlines()[-1])
    return {"workers": workers, "notes": r["scored"], "notes_per_s": round(r["scored"] / r["seconds"], 1),
            "seconds_including_startup": round(r["seconds"], 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=None)
    ap.add_argument("--units", type=int, default=3000)
    ap.add_argument("--notes", type=int, default=200)
    ap.add_argument("--audit-notes", type=int, default=4000)
    ap.add_argument("--int8", action="store_true")
    ap.add_argument("--json", default=None)
    ap.add_argument("--ray", action="store_true", help="also time the Ray engine with 1 and 2 actors")
    a = ap.parse_args()
    import torch

    import notelens
    from notelens.analyzer import Analyzer
    from notelens.model import load_model
    from notelens.resources import default_model_dir

    res = {"machine": {"cpus": os.cpu_count(), "torch_threads": torch.get_num_threads(),
                       "python": platform.python_version(), "torch": torch.__version__,
                       "processor": platform.processor() or platform.machine()}}
    t0 = time.perf_counter()
    analyzer = notelens.load(a.model)
    res["load_seconds"] = round(time.perf_counter() - t0, 2)
    res["model"] = analyzer.model_name
    units, notes = corpus_units(a.units)
    notes12 = twelve_unit_notes(notes, a.notes)
    folder = Path(a.model) if a.model else default_model_dir()
    torch_clf = load_model(folder, backend="torch")
    res["runs"] = [bench_raw_encoder(units), bench_classifier(Analyzer(torch_clf), units, notes12, "NoteLens fp32 torch")]
    res["test_macro_f1"] = {"fp32 torch": macro_f1_on_test(torch_clf)}
    if a.int8:
        from notelens.model import TrainedClassifier
        from notelens.onnx_backend import OnnxRunner, build_artefact

        q = load_model(folder, backend="torch", quantize=True)
        res["runs"].append(bench_classifier(Analyzer(q), units, notes12, "NoteLens int8 dynamic (torch)"))
        res["test_macro_f1"]["int8 torch"] = macro_f1_on_test(q)
        target, verification = build_artefact(folder, torch_clf.config, torch_clf.tokenizer)
        for name in ("fp32", "int8"):
            clf = TrainedClassifier(OnnxRunner(target / f"model.{name}.onnx"), torch_clf.tokenizer, torch_clf.config)
            res["runs"].append(bench_classifier(Analyzer(clf), units, notes12, f"NoteLens {name} ONNX Runtime"))
            res["test_macro_f1"][f"{name} onnx"] = macro_f1_on_test(clf)
        res["onnx_verification"] = verification
    res["runs"].append(bench_tfidf(units))
    res["default_backend"] = analyzer.classifier.backend if hasattr(analyzer.classifier, "backend") else "rules"
    res["peak_rss_mb_scoring"] = round(peak_rss_mb(), 0)
    if a.audit_notes:
        res["audit"] = bench_audit(a.audit_notes, a.model)
        if a.ray:
            res["ray"] = [bench_ray(a.audit_notes, a.model, w) for w in (1, 2)]
    print(json.dumps(res, indent=2))
    if a.json:
        Path(a.json).write_text(json.dumps(res, indent=2) + "\n")
        Path(a.json).with_suffix(".md").write_text(render_markdown(res, " ".join(sys.argv[1:])))


def render_markdown(res: dict, args: str) -> str:
    m = res["machine"]
    lines = ["# Benchmark results", "",
             f"`python benchmarks/bench.py {args}` on {m['cpus']} CPU cores ({m['processor']}), torch "
             f"{m['torch']} with {m['torch_threads']} threads, Python {m['python']}. Model `{res['model']}`, "
             f"loaded in {res['load_seconds']} s (default backend: {res.get('default_backend')}).", "",
             "| variant | units | units/s | p50 ms (12-unit note) | p95 ms |", "|---|---|---|---|---|"]
    for r in res["runs"]:
        lines.append(f"| {r['variant']} | {r['units']} | {r['units_per_s']} | {r.get('note12_p50_ms', '-')} | "
                     f"{r.get('note12_p95_ms', '-')} |")
    if "test_macro_f1" in res:
        lines += ["", "Accuracy cost on the test split (macro F1, same thresholds): " +
                  ", ".join(f"{k} {v:.4f}" for k, v in res["test_macro_f1"].items()) + "."]
    for name, v in res.get("onnx_verification", {}).items():
        lines += ["", f"ONNX {name} verification against fp32 torch on {v['units']} held-out units: flags agree on "
                      f"{100 * v['flag_agreement']:.2f}% of units (needed: {100 * v['criteria']['min_flag_agreement']:.0f}%), "
                      f"mean score difference {v['mean_abs_diff']} (allowed {v['criteria']['max_mean_abs_diff']}): "
                      f"{'passed' if v['passed'] else 'failed, so the analyzer does not use it'}."]
    lines += ["", f"Peak resident memory of the scoring process: {res['peak_rss_mb_scoring']:.0f} MB."]
    if "audit" in res:
        au = res["audit"]
        lines += ["", "## Audit, end to end", "",
                  f"{au['notes']} generated notes ({au['units_per_note']} units each on average), local engine: "
                  f"**{au['notes_per_s']} notes/s**, {au['seconds']} s, peak memory {au['peak_rss_mb']:.0f} MB."]
    if "ray" in res:
        lines += ["", "## Ray engine (local cluster on this machine)", "", "| actors | notes | notes/s (incl. start-up) |",
                  "|---|---|---|"] + [f"| {r['workers']} | {r['notes']} | {r['notes_per_s']} |" for r in res["ray"]]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
