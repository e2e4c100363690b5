"""The batch audit on Ray Data (optional: ``pip install notelens[ray]``).

The driver streams the input with the same reader and row checks as the local engine,
so every row is scored or rejected for the same reason, and hands the accepted notes to
Ray as a Dataset (one block per chunk). Scoring, the expensive part, runs in
``map_batches`` on an actor pool: each actor loads the model once and uses the threads of
its own CPUs. Units and notes come back as Parquet part files in the same layout as the
local engine, so the summary, report and resume logic are shared.
"""
from __future__ import annotations

import os
from pathlib import Path

from .audit import (AuditConfig, AuditSummary, Journal, _combine, _fingerprint, _resolve_columns, detect_format,
                    finish_chunk, iter_rows, read_columns, result_rows, triage_rows)
from .errors import InputError


class ScoreNotes:
    """Ray actor: loads the analyzer once, scores batches of notes into note and unit rows."""

    def __init__(self, model: str | None, backend: str, threads: int, cfg: AuditConfig) -> None:
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        import torch

        torch.set_num_threads(max(1, threads))
        import notelens

        self.analyzer = notelens.load(model, backend=backend)
        self.cfg = cfg

    def __call__(self, batch):
        import json

        import pandas as pd

        notes = batch.to_dict("records")
        out = []
        for note, res in zip(notes, self.analyzer.analyze_many([n["text"] for n in notes])):
            note_row, units = result_rows(note, res, self.cfg)
            out.append({**note_row, "chunk": int(note["chunk"]), "units_json": json.dumps(units)})
        return pd.DataFrame(out)


def _score_wave(wave, cfg: AuditConfig, journal: Journal, parts: Path, model, backend: str, workers: int,
                cpus: int, batch_size: int) -> None:
    import json

    import pandas as pd
    import ray

    wave = [(c, rows) for c, rows in wave if str(c) not in journal.done]  # done in an interrupted run
    good, rejects = [], {}
    for c, rows in wave:
        chunk_good, rejects[c] = triage_rows(rows, cfg)
        good += [dict(g, chunk=c) for g in chunk_good]
    by_chunk: dict[int, list[dict]] = {c: [] for c, _ in wave}
    if good:
        ds = ray.data.from_pandas([pd.DataFrame(good[s:s + cfg.chunk_size])
                                   for s in range(0, len(good), cfg.chunk_size)])
        scored = ds.map_batches(ScoreNotes, fn_constructor_args=(model, backend, cpus, cfg), batch_size=batch_size,
                                batch_format="pandas", compute=ray.data.ActorPoolStrategy(size=workers),
                                num_cpus=cpus)
        for batch in scored.iter_batches(batch_format="pandas", batch_size=None):
            for r in batch.to_dict("records"):
                by_chunk[int(r["chunk"])].append(r)
    for c, rows in wave:
        scored_rows = sorted(by_chunk[c], key=lambda r: r["row"])
        note_rows = [{k: v for k, v in r.items() if k not in ("chunk", "units_json")} for r in scored_rows]
        unit_rows = [u for r in scored_rows for u in json.loads(r["units_json"])]
        finish_chunk(c, len(rows), note_rows, unit_rows, rejects[c], cfg, parts, journal)


def run_audit_ray(input_path: Path | str, outdir: Path | str, cfg: AuditConfig, model: str | None = None,
                  backend: str = "auto", workers: int = 2, address: str | None = None, batch_size: int = 64,
                  resume: bool = False, wave_chunks: int = 40) -> AuditSummary:
    """Same inputs and outputs as :func:`notelens.audit.run_audit`, scored on a Ray actor pool."""
    import time


    try:
        import ray
    except ImportError:
        raise InputError("the Ray engine needs Ray: pip install 'notelens[ray]'") from None
    t0 = time.perf_counter()
    path, outdir = Path(input_path), Path(outdir)
    if not path.is_file():
        raise InputError(f"input file not found: {path}")
    fmt = detect_format(path)
    cfg = _resolve_columns(cfg, read_columns(path, fmt), path)
    if not ray.is_initialized():
        ray.init(address=address, ignore_reinit_error=True, include_dashboard=False, log_to_driver=False)
    import notelens

    driver_analyzer = notelens.load(model, backend="torch")  # for the model's name and thresholds in the report
    name = driver_analyzer.model_name
    parts = outdir / "parts"
    if parts.exists() and not resume:
        import shutil

        shutil.rmtree(parts)
    parts.mkdir(parents=True, exist_ok=True)
    journal = Journal(outdir, _fingerprint(path, cfg, name))
    if resume:
        journal.load()

    # Waves of chunks keep the driver's memory bounded whatever the input size: read and check a
    # wave's rows on the driver (the local engine's rules), score them on the actor pool, write parts.
    needed = [c for c in [cfg.text_col, cfg.id_col, cfg.date_col, *(cfg.group_by or []),
                          cfg.author_col if cfg.by_author else None] if c]
    cpus = max(1, int(ray.available_resources().get("CPU", workers) // max(1, workers)))
    chunk_no, wave, buffer = 0, [], []
    for rec in iter_rows(path, fmt, needed):
        buffer.append(rec)
        if len(buffer) == cfg.chunk_size:
            wave.append((chunk_no, buffer))
            chunk_no, buffer = chunk_no + 1, []
            if len(wave) == wave_chunks:
                _score_wave(wave, cfg, journal, parts, model, backend, workers, cpus, batch_size)
                wave = []
    if buffer:
        wave.append((chunk_no, buffer))
    if wave:
        _score_wave(wave, cfg, journal, parts, model, backend, workers, cpus, batch_size)
    summary = _combine(outdir, journal, cfg)
    summary.seconds = round(time.perf_counter() - t0, 2)
    from .report import write_report

    write_report(outdir, driver_analyzer, cfg, summary)
    return summary
