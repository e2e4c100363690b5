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


def macro_f1_on_test(classifier) -> float:
    from notelens.corpus import read_corpus
    from notelens.evaluate import GoldUnits, run_system, system_metrics, bootstrap_samples

    notes = [n for n in read_corpus(ROOT / "training/data/corpus.jsonl") if n.split == "test"]
    gold = GoldUnits.from_notes(notes)
    out = run_system("x", classifier, gold)
    return system_metrics(gold, out, bootstrap_samples(len(notes), 0, 50))["macro_f1"]


def bench_audit(n_notes: int, model: str | None) -> dict:
    """Audit a generated CSV of ~12-unit notes in a fresh process; report notes/s and its peak memory."""
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
    code = ("import resource,sys,time,json;import notelens;from notelens.audit import AuditConfig,run_audit;"
            f"a=notelens.load({model!r});t=time.perf_counter();"
            f"s=run_audit({str(src)!r},{str(tmp / 'out')!r},a,AuditConfig(),progress=False);"
            "print(json.dumps({'scored':s.scored,'units':s.units,'seconds':time.perf_counter()-t,"
            "'peak_mb':resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    r = json.loads(out.stdout.strip().splitlines()[-1])
    return {"notes": r["scored"], "units": r["units"], "notes_per_s": round(r["scored"] / r["seconds"], 1),
            "units_per_note": round(r["units"] / max(1, r["scored"]), 1), "peak_rss_mb": round(r["peak_mb"], 0),
            "seconds": round(r["seconds"], 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=None)
    ap.add_argument("--units", type=int, default=3000)
    ap.add_argument("--notes", type=int, default=200)
    ap.add_argument("--audit-notes", type=int, default=4000)
    ap.add_argument("--int8", action="store_true")
    ap.add_argument("--json", default=None)
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
    res["runs"] = [bench_classifier(analyzer, units, notes12, "fp32 torch")]
    if a.int8:
        clf = load_model(a.model or default_model_dir(), quantize=True)
        res["runs"].append(bench_classifier(Analyzer(clf), units, notes12, "int8 dynamic (torch)"))
        res["int8_macro_f1_cost"] = round(macro_f1_on_test(analyzer.classifier) - macro_f1_on_test(clf), 4)
    res["peak_rss_mb_scoring"] = round(peak_rss_mb(), 0)
    if a.audit_notes:
        res["audit"] = bench_audit(a.audit_notes, a.model)
    print(json.dumps(res, indent=2))
    if a.json:
        Path(a.json).write_text(json.dumps(res, indent=2) + "\n")


if __name__ == "__main__":
    main()
