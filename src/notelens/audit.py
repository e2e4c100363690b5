"""Batch audit: stream notes from CSV/JSONL/Parquet, score them, aggregate per team and period.

Every input row ends either scored (``notes.parquet``, ``units.parquet``) or rejected
(``rejects.csv`` with the reason); the run summary checks ``scored + rejected = read``.
Work is done in chunks written as part files with a journal, so an interrupted run
resumes (``resume=True``) without scoring a note twice or losing one, and memory stays
bounded whatever the input size.
"""
from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import sys
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterator

import pandas as pd

from .errors import InputError
from .labels import LABELS

FORMATS = {".csv": "csv", ".tsv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet",
           ".pq": "parquet"}
PERIODS = {"month": "M", "week": "W", "quarter": "Q"}
EXAMPLES_PER_LABEL = 4
TOP_CUES_KEPT = 200  # per label per chunk: bounded memory for cue counting


@dataclass
class AuditConfig:
    """Audit options (the CLI maps its flags onto these).

    Args:
        text_col: column with the note text; defaults to "text".
        id_col: column with a note id; defaults to "id" (row number if absent from the file).
        group_by: columns to group by (e.g. team, ward); defaults to ["team"] when present.
        date_col: column with the note date; defaults to "date" when present, else no periods.
        period: month | week | quarter; defaults to "month".
        min_group_size: groups with fewer notes are folded into "other"; defaults to 10.
        max_chars: longer notes are rejected; defaults to 100,000.
        chunk_size: notes scored per chunk (the unit of resumption); defaults to 500.
        by_author: keep the author column in the report; defaults to False (team level only).
        author_col: the author column, used only with by_author; defaults to "author".
    """

    text_col: str = "text"
    id_col: str = "id"
    group_by: list[str] | None = None
    date_col: str | None = "date"
    period: str = "month"
    min_group_size: int = 10
    max_chars: int = 100_000
    chunk_size: int = 500
    by_author: bool = False
    author_col: str = "author"

    def __post_init__(self) -> None:
        if self.period not in PERIODS:
            raise InputError(f"--period must be one of {', '.join(PERIODS)}, got {self.period!r}")
        if self.chunk_size < 1 or self.min_group_size < 1 or self.max_chars < 1:
            raise InputError("--chunk-size, --min-group-size and --max-chars must be positive")


@dataclass
class AuditSummary:
    read: int = 0
    scored: int = 0
    rejected: int = 0
    units: int = 0
    reject_reasons: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def balanced(self) -> bool:
        return self.scored + self.rejected == self.read


# ---------------------------------------------------------------- reading


def detect_format(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(f"{path}: unknown input format {path.suffix!r}; use .csv, .jsonl or .parquet")
    return fmt


def read_columns(path: Path, fmt: str) -> list[str]:
    if fmt == "csv":
        with path.open("r", encoding="utf-8", errors="replace", newline="") as f:
            header = next(csv.reader(f, delimiter="\t" if path.suffix.lower() == ".tsv" else ","), [])
        return header
    if fmt == "parquet":
        import pyarrow.parquet as pq

        try:
            return pq.ParquetFile(path).schema_arrow.names
        except Exception as e:  # a truncated or corrupt Parquet file cannot be read at all
            raise InputError(f"{path}: not a readable Parquet file ({type(e).__name__}: {e})") from None
    cols: list[str] = []
    with path.open("rb") as f:
        for _, raw in zip(range(50), f):
            try:
                obj = json.loads(raw)
            except (ValueError, UnicodeDecodeError):
                continue
            if isinstance(obj, dict):
                cols += [k for k in obj if k not in cols]
    return cols


def count_rows(path: Path, fmt: str) -> int | None:
    """Rows in the file for the progress bar (cheap: line count or Parquet metadata)."""
    try:
        if fmt == "parquet":
            import pyarrow.parquet as pq

            return pq.ParquetFile(path).metadata.num_rows
        if fmt == "csv":  # quoted fields hold newlines: count records, not lines
            csv.field_size_limit(sys.maxsize)
            with path.open("r", encoding="utf-8", errors="replace", newline="") as f:
                return max(0, sum(1 for _ in csv.reader(f)) - 1)
        with path.open("rb") as f:
            return sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))
    except csv.Error:
        return None
    except OSError:
        return None


def iter_rows(path: Path, fmt: str, needed: list[str]) -> Iterator[tuple[int, dict | None, str | None]]:
    """Yield (row number, row dict or None, parse problem or None), one per input record."""
    if fmt == "jsonl":
        with path.open("rb") as f:
            for n, raw in enumerate(f, 1):
                if not raw.strip():
                    continue
                try:
                    obj = json.loads(raw.decode("utf-8"))
                except UnicodeDecodeError:
                    yield n, None, "line is not UTF-8"
                    continue
                except json.JSONDecodeError as e:
                    yield n, None, f"line is not valid JSON ({e.msg})"
                    continue
                if not isinstance(obj, dict):
                    yield n, None, "line is not a JSON object"
                    continue
                yield n, obj, None
    elif fmt == "csv":
        delim = "\t" if path.suffix.lower() == ".tsv" else ","
        csv.field_size_limit(sys.maxsize)
        with path.open("r", encoding="utf-8", errors="surrogateescape", newline="") as f:
            reader = csv.reader(f, delimiter=delim, strict=True)  # a cut-off quoted field is an error
            try:
                header = next(reader)
            except StopIteration:
                return
            n = 1
            while True:
                try:
                    rec = next(reader)
                except StopIteration:
                    break
                except csv.Error as e:
                    n += 1
                    yield n, None, f"malformed CSV record ({e})"
                    continue
                n += 1
                if not rec:
                    continue
                if len(rec) != len(header):
                    yield n, None, f"expected {len(header)} fields, found {len(rec)} (truncated or malformed row)"
                    continue
                row = dict(zip(header, rec))
                bad = [k for k, v in row.items() if isinstance(v, str) and _has_surrogates(v) and k in needed]
                if bad:
                    yield n, None, f"column {bad[0]!r} is not UTF-8 text"
                    continue
                yield n, row, None
    else:
        import pyarrow.parquet as pq

        pf = pq.ParquetFile(path)
        n = 0
        cols = [c for c in needed if c in pf.schema_arrow.names]
        for batch in pf.iter_batches(batch_size=2048, columns=cols):
            for row in batch.to_pylist():
                n += 1
                yield n, row, None


def _has_surrogates(s: str) -> bool:
    try:
        s.encode("utf-8")
        return False
    except UnicodeEncodeError:
        return True


# ---------------------------------------------------------------- row checks


def check_row(row: dict, cfg: AuditConfig) -> tuple[str | None, str | None]:
    """(clean text, None) or (None, reason to reject)."""
    text = row.get(cfg.text_col)
    if text is None or (isinstance(text, float) and text != text):
        return None, "empty text"
    if isinstance(text, bytes):
        return None, "text is binary, not a string"
    if not isinstance(text, str):
        return None, f"text is not a string ({type(text).__name__})"
    if "\x00" in text:
        return None, "text contains NUL bytes (binary content)"
    if not text.strip():
        return None, "empty text"
    if len(text) > cfg.max_chars:
        return None, f"text over the size limit ({len(text):,} > {cfg.max_chars:,} characters)"
    return text, None


def parse_period(value, period: str) -> tuple[str | None, str | None]:
    """(period label like '2026-03', None) or (None, reason)."""
    if value is None or (isinstance(value, str) and not value.strip()) or (isinstance(value, float) and value != value):
        return None, "missing date"
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError, OverflowError):
        return None, f"unparseable date {str(value)[:40]!r}"
    if ts is pd.NaT or pd.isna(ts):
        return None, f"unparseable date {str(value)[:40]!r}"
    return str(ts.to_period(PERIODS[period])), None


# ---------------------------------------------------------------- the run


class Journal:
    """Which chunks are done, kept in OUTDIR/parts/journal.json (written atomically)."""

    def __init__(self, outdir: Path, fingerprint: dict) -> None:
        self.path = outdir / "parts" / "journal.json"
        self.fingerprint = fingerprint
        self.done: dict[str, dict] = {}

    def load(self) -> None:
        if not self.path.is_file():
            return
        data = json.loads(self.path.read_text())
        if data.get("fingerprint") != self.fingerprint:
            raise InputError(f"{self.path.parent.parent} holds a run of different input or settings; "
                             "use another --output folder or drop --resume")
        self.done = data.get("done", {})

    def mark(self, chunk: int, info: dict) -> None:
        self.done[str(chunk)] = info
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"fingerprint": self.fingerprint, "done": self.done}))
        os.replace(tmp, self.path)


def _fingerprint(path: Path, cfg: AuditConfig, model: str) -> dict:
    st = path.stat()
    h = hashlib.sha256()
    with path.open("rb") as f:
        h.update(f.read(1 << 20))
    return {"input": str(path.resolve()), "size": st.st_size, "head_sha256": h.hexdigest(),
            "config": asdict(cfg), "model": model}


def run_audit(input_path: Path | str, outdir: Path | str, analyzer, cfg: AuditConfig, resume: bool = False,
              progress: bool = True, stop_after_chunks: int | None = None) -> AuditSummary:
    """Score every row of ``input_path`` into ``outdir``; returns the run summary.

    ``stop_after_chunks`` simulates an interruption (tests and the benchmark use it).
    """
    import time

    from tqdm import tqdm

    t0 = time.perf_counter()
    path, outdir = Path(input_path), Path(outdir)
    if not path.is_file():
        raise InputError(f"input file not found: {path}")
    fmt = detect_format(path)
    columns = read_columns(path, fmt)
    if not columns:
        raise InputError(f"{path}: no columns found (empty file or no header)")
    cfg = _resolve_columns(cfg, columns, path)
    parts = outdir / "parts"
    if parts.exists() and not resume:
        shutil.rmtree(parts)
    parts.mkdir(parents=True, exist_ok=True)
    journal = Journal(outdir, _fingerprint(path, cfg, analyzer.model_name))
    if resume:
        journal.load()

    needed = [c for c in [cfg.text_col, cfg.id_col, cfg.date_col, *(cfg.group_by or []),
                          cfg.author_col if cfg.by_author else None] if c]
    total = count_rows(path, fmt)
    bar = tqdm(total=total, unit="notes", desc="auditing", disable=not progress, smoothing=0.1)
    chunk_rows: list[tuple[int, dict | None, str | None]] = []
    chunk_no = 0
    processed = 0
    for rec in iter_rows(path, fmt, needed):
        chunk_rows.append(rec)
        if len(chunk_rows) == cfg.chunk_size:
            _process_chunk(chunk_no, chunk_rows, analyzer, cfg, parts, journal)
            bar.update(len(chunk_rows))
            chunk_rows, chunk_no, processed = [], chunk_no + 1, processed + 1
            if stop_after_chunks is not None and processed >= stop_after_chunks:
                bar.close()
                raise KeyboardInterrupt("stopped after the requested number of chunks")
    if chunk_rows:
        _process_chunk(chunk_no, chunk_rows, analyzer, cfg, parts, journal)
        bar.update(len(chunk_rows))
    bar.close()
    summary = _combine(outdir, journal, cfg)
    summary.seconds = round(time.perf_counter() - t0, 2)
    from .report import write_report

    write_report(outdir, analyzer, cfg, summary)
    return summary


def _resolve_columns(cfg: AuditConfig, columns: list[str], path: Path) -> AuditConfig:
    def missing(col: str, flag: str) -> InputError:
        return InputError(f"{path}: column {col!r} (from {flag}) not found; columns are: {', '.join(columns[:30])}")

    if cfg.text_col not in columns:
        raise missing(cfg.text_col, "--text-col")
    group_by = cfg.group_by
    if group_by is None:
        group_by = ["team"] if "team" in columns else []
    for g in group_by:
        if g not in columns:
            raise missing(g, "--group-by")
    date_col = cfg.date_col
    if date_col and date_col not in columns:
        if date_col != "date":
            raise missing(date_col, "--date-col")
        date_col = None  # the default "date" is optional
    id_col = cfg.id_col if cfg.id_col in columns else ("" if cfg.id_col == "id" else None)
    if id_col is None:
        raise missing(cfg.id_col, "--id-col")
    if cfg.by_author and cfg.author_col not in columns:
        raise missing(cfg.author_col, "--author-col")
    return AuditConfig(**{**asdict(cfg), "group_by": group_by, "date_col": date_col, "id_col": id_col})


def triage_rows(rows, cfg: AuditConfig) -> tuple[list[dict], list[dict]]:
    """Split raw records into notes to score and rejects (with the reason), by the audit's rules."""
    good, rejects = [], []
    for n, row, problem in rows:
        rid = str(row.get(cfg.id_col)) if row is not None and cfg.id_col and row.get(cfg.id_col) is not None else str(n)
        reason, text, period = problem, None, None
        if reason is None:
            text, reason = check_row(row, cfg)
        if reason is None and cfg.date_col:
            period, reason = parse_period(row.get(cfg.date_col), cfg.period)
        if reason:
            rejects.append({"row": n, "id": rid, "reason": reason})
            continue
        group = " / ".join(str(row.get(g) if row.get(g) not in (None, "") else "(blank)") for g in cfg.group_by) \
            if cfg.group_by else "all notes"
        good.append({"row": n, "note_id": rid, "text": text, "group": group, "period": period or "all",
                     "author": str(row.get(cfg.author_col, "")) if cfg.by_author else None})
    return good, rejects


def result_rows(note: dict, res, cfg: AuditConfig) -> tuple[dict, list[dict]]:
    """One scored note -> its notes.parquet row and its units.parquet rows."""
    counts = res.counts()
    note_row = {"row": note["row"], "note_id": note["note_id"], "group": note["group"], "period": note["period"],
                "units": len(res.units), **({"author": note["author"]} if cfg.by_author else {}),
                **{f"n_{l}": counts[l] for l in LABELS}}
    units = [{"note_id": note["note_id"], "start": u.start, "end": u.end, "text": u.text, "labels": list(u.labels),
              "scores": {l: round(u.scores[l], 4) for l in LABELS}, "subtype": u.subtype,
              "cues": [asdict(c) for c in u.cues]} for u in res.units]
    return note_row, units


def chunk_extras(note_rows: list[dict], unit_rows: list[dict]) -> dict:
    """Cue-phrase counts and the few most confident examples per label, for the report."""
    group_of = {r["note_id"]: r["group"] for r in note_rows}
    cue_counts: Counter = Counter()
    examples: dict[str, list] = {l: [] for l in LABELS}
    for u in unit_rows:
        for c in u["cues"]:
            cue_counts[(c["label"], " ".join(c["text"].lower().split()))] += 1
        for l in u["labels"]:
            examples[l].append((round(u["scores"][l], 3), u["text"][:400], group_of[u["note_id"]]))
    for l in examples:  # keep only the most confident few per label: never more than the report needs
        examples[l] = sorted(examples[l], reverse=True)[:EXAMPLES_PER_LABEL]
    kept, per_label = [], Counter()
    for (l, t), c in cue_counts.most_common():
        if per_label[l] < TOP_CUES_KEPT:
            kept.append([l, t, c])
            per_label[l] += 1
    return {"cues": kept, "examples": examples}


def finish_chunk(chunk_no: int, read: int, note_rows, unit_rows, rejects, cfg: AuditConfig, parts: Path,
                 journal: Journal) -> None:
    """Write a chunk's part files and mark it done (the unit of resumption)."""
    _write_part(parts, chunk_no, note_rows, unit_rows, sorted(rejects, key=lambda r: r["row"]),
                chunk_extras(note_rows, unit_rows), cfg)
    journal.mark(chunk_no, {"read": read, "scored": len(note_rows), "rejected": len(rejects), "units": len(unit_rows)})


def _process_chunk(chunk_no: int, rows, analyzer, cfg: AuditConfig, parts: Path, journal: Journal) -> None:
    if str(chunk_no) in journal.done:
        return  # scored in an earlier, interrupted run
    good, rejects = triage_rows(rows, cfg)
    note_rows, unit_rows = [], []
    if good:
        try:
            results = analyzer.analyze_many([g["text"] for g in good])
        except Exception:  # one unscorable note must not sink the chunk: score one by one
            results = _score_individually(analyzer, good, rejects)
        for g, res in zip(good, results):
            if res is not None:
                note_row, units = result_rows(g, res, cfg)
                note_rows.append(note_row)
                unit_rows += units
    finish_chunk(chunk_no, len(rows), note_rows, unit_rows, rejects, cfg, parts, journal)


def _score_individually(analyzer, good, rejects):
    results = []
    for g in good:
        try:
            results.append(analyzer.analyze(g["text"]))
        except Exception as e:
            rejects.append({"row": g["row"], "id": g["note_id"], "reason": f"could not be scored ({type(e).__name__}: {e})"})
            results.append(None)
    return results


NOTE_SCHEMA_COLS = ["row", "note_id", "group", "period", "units"] + [f"n_{l}" for l in LABELS]


def _write_part(parts: Path, chunk_no: int, notes, units, rejects, extras, cfg: AuditConfig) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    tag = f"{chunk_no:06d}"
    note_cols = NOTE_SCHEMA_COLS + (["author"] if cfg.by_author else [])
    note_schema = pa.schema([(c, pa.string() if c in ("note_id", "group", "period", "author") else pa.int64())
                             for c in note_cols])
    unit_schema = pa.schema([("note_id", pa.string()), ("start", pa.int64()), ("end", pa.int64()),
                             ("text", pa.string()), ("labels", pa.list_(pa.string())),
                             ("scores", pa.struct([(l, pa.float64()) for l in LABELS])), ("subtype", pa.string()),
                             ("cues", pa.list_(pa.struct([("start", pa.int64()), ("end", pa.int64()),
                                                          ("label", pa.string()), ("text", pa.string())])))])
    # Write to temporary names, then rename: a part exists whole or not at all.
    for name, rows, schema in (("notes", notes, note_schema), ("units", units, unit_schema)):
        tmp = parts / f"{name}-{tag}.parquet.tmp"
        pq.write_table(pa.Table.from_pylist(rows, schema=schema), tmp)
        os.replace(tmp, parts / f"{name}-{tag}.parquet")
    tmp = parts / f"rejects-{tag}.csv.tmp"
    pd.DataFrame(rejects, columns=["row", "id", "reason"]).to_csv(tmp, index=False)
    os.replace(tmp, parts / f"rejects-{tag}.csv")
    tmp = parts / f"extras-{tag}.json.tmp"
    tmp.write_text(json.dumps(extras))
    os.replace(tmp, parts / f"extras-{tag}.json")


def _combine(outdir: Path, journal: Journal, cfg: AuditConfig) -> AuditSummary:
    """Merge part files into the final outputs (streaming, so memory stays bounded)."""
    import pyarrow.parquet as pq

    parts = outdir / "parts"
    chunks = sorted(int(k) for k in journal.done)
    summary = AuditSummary()
    for k in chunks:
        info = journal.done[str(k)]
        summary.read += info["read"]
        summary.scored += info["scored"]
        summary.rejected += info["rejected"]
        summary.units += info["units"]
    for name in ("notes", "units"):
        writer = None
        for k in chunks:
            table = pq.read_table(parts / f"{name}-{k:06d}.parquet")
            if writer is None:
                writer = pq.ParquetWriter(outdir / f"{name}.parquet", table.schema)
            writer.write_table(table)
        if writer is not None:
            writer.close()
    reasons: Counter = Counter()
    with (outdir / "rejects.csv").open("w", newline="") as out:
        w = csv.writer(out)
        w.writerow(["row", "id", "reason"])
        for k in chunks:
            df = pd.read_csv(parts / f"rejects-{k:06d}.csv", dtype=str, keep_default_na=False)
            for r in df.itertuples(index=False):
                w.writerow([r.row, r.id, r.reason])
                reasons[r.reason.split(" (")[0]] += 1
    summary.reject_reasons = dict(reasons)
    return summary


def load_extras(outdir: Path) -> tuple[Counter, dict[str, list]]:
    """Cue counts and example sentences merged over all parts."""
    cues: Counter = Counter()
    examples: dict[str, list] = {l: [] for l in LABELS}
    for p in sorted((Path(outdir) / "parts").glob("extras-*.json")):
        d = json.loads(p.read_text())
        for l, t, c in d["cues"]:
            cues[(l, t)] += c
        for l, ex in d["examples"].items():
            examples[l] += [tuple(e) for e in ex]
    for l in examples:
        examples[l] = sorted(examples[l], reverse=True)[:EXAMPLES_PER_LABEL]
    return cues, examples
