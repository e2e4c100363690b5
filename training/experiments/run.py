"""Model-selection experiments on the dev split: LoRA vs full fine-tuning, with and without context.

    python training/experiments/run.py [--data training/data/corpus.jsonl] [--epochs 4] [--only NAME ...]

Each run trains with training/config.yaml plus the overrides below, writes its model to
training/runs/NAME (not shipped) and appends its dev figures to
training/experiments/results.jsonl. The test split is never read.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from notelens.train import TrainConfig, train

ROOT = Path(__file__).resolve().parents[2]
RUNS = {
    "lora_context": {"method": "lora", "use_context": True},
    "lora_no_context": {"method": "lora", "use_context": False},
    "full_context": {"method": "full", "use_context": True, "lr": 5e-5, "head_lr": 1e-3},
    "full_no_context": {"method": "full", "use_context": False, "lr": 5e-5, "head_lr": 1e-3},
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(ROOT / "training/data/corpus.jsonl"))
    ap.add_argument("--epochs", type=int, default=None)
    ap.add_argument("--only", nargs="*", default=None)
    ap.add_argument("--tag", default="")
    a = ap.parse_args()
    out = ROOT / "training/experiments/results.jsonl"
    for name, over in RUNS.items():
        if a.only and name not in a.only:
            continue
        cfg = TrainConfig.from_yaml(ROOT / "training/config.yaml", epochs=a.epochs, **over)
        t0 = time.perf_counter()
        model = train(Path(a.data), ROOT / "training/runs" / name, cfg, progress=False)
        s = model["training"]["summary"]
        size = sum(p.stat().st_size for p in (ROOT / "training/runs" / name).glob("*.safetensors"))
        row = {"run": name, "tag": a.tag, "overrides": over, "epochs": cfg.epochs, "best_epoch": s["best_epoch"],
               "dev_macro_f1": s["dev_macro_f1"], "dev_ece_calibrated": s["dev_ece_calibrated"],
               "dev_subtype_accuracy": s["dev_subtype_accuracy"], "minutes": round((time.perf_counter() - t0) / 60, 2),
               "weights_mb": round(size / 2**20, 1), "history": s["history"]}
        with out.open("a") as f:
            f.write(json.dumps(row) + "\n")
        print(json.dumps({k: v for k, v in row.items() if k != "history"}), flush=True)


if __name__ == "__main__":
    main()
