"""The ``notelens`` command line: a thin layer over the public API.

Examples:

    notelens check "Told if he refuses his depot he loses his leave."
    notelens check samples/notes/handover_acute.txt --json
    notelens predict samples/predict_input.jsonl -o predictions.jsonl
    notelens data validate training/data/corpus.jsonl

User mistakes (missing file, not UTF-8, empty input, bad JSON) print one line
to stderr and exit with code 2; no tracebacks.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Optional

import typer

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

app = typer.Typer(help=__doc__, no_args_is_help=True, add_completion=False,
                  pretty_exceptions_enable=False)
data_app = typer.Typer(help="Corpus tools: validate, import, export, agreement.", no_args_is_help=True)
app.add_typer(data_app, name="data")


from .errors import InputError as UserError  # noqa: E402  (one line, exit code 2)


def _fail(message: str) -> None:
    typer.echo(f"notelens: error: {message}", err=True)
    raise typer.Exit(2)


def read_text_input(arg: str) -> str:
    """TEXT, a FILE path, or '-' for stdin -> note text (UserError on bad input)."""
    if arg == "-":
        raw = sys.stdin.buffer.read()
        where = "standard input"
    else:
        path = Path(arg)
        looks_like_path = (" " not in arg and "\n" not in arg
                           and ("/" in arg or path.suffix.lower() in {".txt", ".md", ".note", ".text"}))
        if path.is_file():
            raw = path.read_bytes()
            where = str(path)
        elif path.is_dir():
            raise UserError(f"{arg} is a directory, not a note file")
        elif looks_like_path:
            raise UserError(f"file not found: {arg}")
        else:
            raw = arg.encode("utf-8")
            where = "the argument"
    if b"\x00" in raw[:8192]:
        raise UserError(f"{where} looks binary (NUL bytes); give a UTF-8 text note")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise UserError(f"{where} is not UTF-8 text (byte {e.start})") from None
    if not text.strip():
        raise UserError(f"{where} is empty")
    return text


def _load_analyzer(model: Optional[str], backend: str = "auto"):
    import notelens

    try:
        return notelens.load(model, backend=backend)
    except (FileNotFoundError, ValueError) as e:
        raise UserError(str(e)) from None


@app.command()
def check(
    note: str = typer.Argument(..., help="Note text, a path to a text file, or '-' for stdin."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    model: Optional[str] = typer.Option(None, help="Model folder, or 'baseline'. Default: the shipped model."),
    backend: str = typer.Option("auto", help="auto | torch | onnx"),
) -> None:
    """Show a note with its flagged spans and a table of flags."""
    try:
        text = read_text_input(note)
        analyzer = _load_analyzer(model, backend)
        result = analyzer.analyze(text)
    except (UserError, ValueError, TypeError) as e:
        _fail(str(e))
    if as_json:
        typer.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        return
    from .terminal import print_result

    print_result(result, analyzer)


@app.command()
def predict(
    input: Path = typer.Argument(..., help="JSONL with one {\"id\", \"text\"} per line."),
    output: Path = typer.Option(..., "-o", "--output", help="Output JSONL: {\"id\", \"units\": [...]} per line."),
    whole: bool = typer.Option(False, "--whole", help="Treat each text as a single unit (no segmentation)."),
    model: Optional[str] = typer.Option(None, help="Model folder, or 'baseline'."),
    backend: str = typer.Option("auto", help="auto | torch | onnx"),
    batch_notes: int = typer.Option(256, help="Notes scored per batch."),
) -> None:
    """Score a JSONL file of notes; the output shape is what external evaluations read."""
    from .jsonl import read_id_text_jsonl

    try:
        rows = read_id_text_jsonl(input)
        analyzer = _load_analyzer(model, backend)
    except UserError as e:
        _fail(str(e))
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("w", encoding="utf-8") as out:
        for s in range(0, len(rows), batch_notes):
            chunk = rows[s:s + batch_notes]
            texts = [t for _, t in chunk]
            if whole:
                units_per_note = [[u.to_dict()] for u in analyzer.analyze_units(texts)]
            else:
                units_per_note = [[u.to_dict() for u in r.units] for r in analyzer.analyze_many(texts)]
            for (rid, _), units in zip(chunk, units_per_note):
                out.write(json.dumps({"id": rid, "units": units}, ensure_ascii=False) + "\n")
    typer.echo(f"scored {len(rows)} notes -> {output}", err=True)


@data_app.command("validate")
def data_validate(path: Path = typer.Argument(..., help="Corpus JSONL (one note per line).")) -> None:
    """Check a corpus file: schema, offsets, label names, overlaps; print per-label counts."""
    from .corpus import validate_corpus

    if not path.is_file():
        _fail(f"file not found: {path}")
    report = validate_corpus(path)
    typer.echo(report.render())
    if report.errors:
        raise typer.Exit(1)


@app.command()
def audit(
    input: Path = typer.Argument(..., help="Notes as CSV, JSONL or Parquet."),
    output: Path = typer.Option(..., "-o", "--output", help="Output folder."),
    text_col: str = typer.Option("text", help="Column with the note text."),
    id_col: str = typer.Option("id", help="Column with the note id (row number if absent)."),
    group_by: list[str] = typer.Option(None, "--group-by", help="Group columns (repeat for several). "
                                       "Default: team, if present."),
    date_col: str = typer.Option("date", help="Date column (optional when left at 'date')."),
    period: str = typer.Option("month", help="month | week | quarter"),
    min_group_size: int = typer.Option(10, help="Fold groups with fewer notes into 'other'."),
    max_chars: int = typer.Option(100_000, help="Reject notes longer than this."),
    chunk_size: int = typer.Option(500, help="Notes per chunk (the unit of --resume)."),
    resume: bool = typer.Option(False, "--resume", help="Continue an interrupted run in the same folder."),
    by_author: bool = typer.Option(False, "--by-author", help="Name authors (off by default: team level only)."),
    author_col: str = typer.Option("author", help="Author column, used only with --by-author."),
    model: Optional[str] = typer.Option(None, help="Model folder, or 'baseline'."),
    backend: str = typer.Option("auto", help="auto | torch | onnx"),
    progress: bool = typer.Option(True, help="Show a progress bar."),
    engine: str = typer.Option("local", help="local | ray (needs: pip install 'notelens[ray]')"),
    address: Optional[str] = typer.Option(None, help="Ray cluster address (ray://host:10001 or auto); "
                                          "default: start a local Ray."),
    workers: int = typer.Option(2, help="Ray actors scoring in parallel (each loads the model once)."),
) -> None:
    """Audit a file of notes: units.parquet, notes.parquet, rejects.csv, summary.csv, report.html."""
    from .audit import AuditConfig, run_audit

    if engine not in ("local", "ray"):
        _fail(f"--engine must be local or ray, got {engine!r}")
    try:
        cfg = AuditConfig(text_col=text_col, id_col=id_col, group_by=group_by or None, date_col=date_col,
                          period=period, min_group_size=min_group_size, max_chars=max_chars, chunk_size=chunk_size,
                          by_author=by_author, author_col=author_col)
        if engine == "ray":
            from .ray_engine import run_audit_ray

            summary = run_audit_ray(input, output, cfg, model=model, backend=backend, workers=workers,
                                    address=address, resume=resume)
        else:
            analyzer = _load_analyzer(model, backend)
            summary = run_audit(input, output, analyzer, cfg, resume=resume, progress=progress)
    except UserError as e:
        _fail(str(e))
    except KeyboardInterrupt:
        typer.echo(f"interrupted; finished chunks are kept: rerun with --resume -o {output}", err=True)
        raise typer.Exit(130)
    rate = summary.scored / summary.seconds if summary.seconds else float("nan")
    typer.echo(f"read {summary.read} = scored {summary.scored} + rejected {summary.rejected}"
               f"{'' if summary.balanced else '  (MISMATCH)'}; {summary.units} units; {rate:.1f} notes/s")
    for reason, n in sorted(summary.reject_reasons.items()):
        typer.echo(f"  rejected {n}: {reason}")
    typer.echo(f"report: {output / 'report.html'}")


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", envvar="NOTELENS_HOST", help="Interface to listen on."),
    port: int = typer.Option(7860, envvar="NOTELENS_PORT", help="Port."),
    auth: Optional[str] = typer.Option(None, envvar="NOTELENS_AUTH", help="user:password for a shared deployment."),
    model: Optional[str] = typer.Option(None, help="Model folder, or 'baseline'."),
) -> None:
    """Start the web demo (same as `python app.py`)."""
    from .webapp import serve as run_server

    try:
        run_server(host, port, auth, model)
    except UserError as e:
        _fail(str(e))


@app.command()
def select(
    source: Path = typer.Option(..., "--from", help="Notes to choose from: CSV/JSONL with a text column, "
                                "or corpus JSONL."),
    n: int = typer.Option(200, "-n", help="How many units to pick."),
    strategy: str = typer.Option("mixed", help="uncertainty | diverse | mixed"),
    output: Path = typer.Option(Path("out/select.json"), "-o", "--output", help="Label Studio tasks JSON "
                                "(a CSV of the picks is written beside it)."),
    text_col: str = typer.Option("text", help="Text column for CSV/JSONL."),
    id_col: str = typer.Option("id", help="Id column for CSV/JSONL."),
    reference: Path = typer.Option(Path("training/data/corpus.jsonl"), help="Corpus the picks should be unlike."),
    max_reference: int = typer.Option(4000, help="Reference units to compare against (sampled; for speed)."),
    model: Optional[str] = typer.Option(None, help="Model folder (default: the shipped model)."),
    seed: int = typer.Option(0),
) -> None:
    """Pick the units whose labels would teach the model most, exported for annotation."""
    import csv as _csv
    import random

    import pandas as pd

    from .corpus import read_corpus
    from .interop import export_label_studio, label_studio_config, notes_from_texts
    from .select import select_units

    if not source.is_file():
        _fail(f"file not found: {source}")
    try:
        if source.suffix.lower() == ".csv":
            df = pd.read_csv(source, dtype=str, keep_default_na=False)
        elif source.suffix.lower() in (".jsonl", ".ndjson"):
            df = pd.read_json(source, lines=True, dtype=False)
        elif source.suffix.lower() == ".parquet":
            df = pd.read_parquet(source)
        else:
            raise UserError(f"{source}: use .csv, .jsonl or .parquet")
    except ValueError as e:
        _fail(f"{source}: could not read ({e})")
    except UserError as e:
        _fail(str(e))
    if text_col not in df.columns:
        _fail(f"{source}: column {text_col!r} not found; columns are {', '.join(map(str, df.columns))}")
    ids = df[id_col].astype(str) if id_col in df.columns else pd.Series(range(len(df))).astype(str)
    rows = [(i, t) for i, t in zip(ids, df[text_col]) if isinstance(t, str) and t.strip()]
    ref_texts = None
    if reference.is_file():
        ref = [x.unit_text(u) for x in read_corpus(reference) for u in x.units]
        random.Random(seed).shuffle(ref)
        ref_texts = ref[:max_reference]
    try:
        analyzer = _load_analyzer(model)
        picks = select_units(analyzer, rows, n, strategy, ref_texts, seed)
    except UserError as e:
        _fail(str(e))
    output.parent.mkdir(parents=True, exist_ok=True)
    tasks = export_label_studio(notes_from_texts([(f"{c.note_id}:{c.start}-{c.end}", c.text) for c in picks]),
                                analyzer)
    for t, c in zip(tasks, picks):
        t["data"].update({"source_note": c.note_id, "start": c.start, "end": c.end,
                          "uncertainty": round(c.uncertainty, 3), "novelty": round(c.novelty, 3)})
    output.write_text(json.dumps(tasks, ensure_ascii=False, indent=1))
    output.with_name(output.stem + "_config.xml").write_text(label_studio_config())
    with output.with_suffix(".csv").open("w", newline="") as f:
        w = _csv.writer(f)
        w.writerow(["note_id", "start", "end", "text", "uncertainty", "novelty", "predicted"])
        for c in picks:
            w.writerow([c.note_id, c.start, c.end, c.text, f"{c.uncertainty:.3f}", f"{c.novelty:.3f}",
                        ";".join(c.predicted)])
    typer.echo(f"picked {len(picks)} units ({strategy}) -> {output} and {output.with_suffix('.csv')}")


@app.command("train")
def train_cmd(
    data: Path = typer.Option(Path("training/data/corpus.jsonl"), help="Corpus JSONL (notes with a split field, "
                              "or without: then 15% of notes go to dev)."),
    config: Optional[Path] = typer.Option(Path("training/config.yaml"), help="Training config (YAML)."),
    output: Path = typer.Option(..., "-o", "--output", help="Model folder to write."),
    base: Optional[Path] = typer.Option(None, help="Continue from this NoteLens model folder instead of the base."),
    seed: Optional[int] = typer.Option(None, help="Override the config's seed."),
    epochs: Optional[int] = typer.Option(None, help="Override the config's epochs."),
    max_steps: Optional[int] = typer.Option(None, help="Stop after this many steps (quick runs)."),
    method: Optional[str] = typer.Option(None, help="Override the config's method: lora | full."),
    test_reference: Path = typer.Option(Path("training/data/corpus.jsonl"),
                                        help="Corpus whose test split must not leak into training."),
) -> None:
    """Train a model (LoRA adapter + heads over the packaged MiniLM), calibrate on dev, write the model card."""
    from .modelcard import write_model_card
    from .train import TrainConfig, train

    if not data.is_file():
        _fail(f"data file not found: {data}")
    try:
        cfg = TrainConfig.from_yaml(config if config and config.exists() else None, seed=seed, epochs=epochs,
                                    max_steps=max_steps, method=method)
        model_config = train(data, output, cfg, base=base, test_reference=test_reference,
                             log=lambda m: typer.echo(m, err=True))
    except UserError as e:
        _fail(str(e))
    write_model_card(output, model_config)
    typer.echo(f"model written to {output}")


@app.command("evaluate")
def evaluate_cmd(
    model: list[str] = typer.Option(None, "--model", help="Model folder or 'baseline' (repeat to compare). "
                                    "Default: the shipped model."),
    data: Path = typer.Option(Path("training/data/corpus.jsonl"), help="Annotated JSONL to evaluate on."),
    split: Optional[str] = typer.Option("test", help="Which split of --data to use ('all' for every note)."),
    baselines: bool = typer.Option(True, help="Also train and run the TF-IDF and frozen-MiniLM baselines "
                                   "(fitted on the train split of --reference) and the cue-phrase baseline."),
    reference: Path = typer.Option(Path("training/data/corpus.jsonl"), help="Corpus whose train/dev splits "
                                   "fit the baselines."),
    output: Path = typer.Option(Path("reports/evaluation"), "-o", "--output", help="Folder for JSON + Markdown."),
    seed: int = typer.Option(0, help="Bootstrap seed."),
    update_card: bool = typer.Option(False, "--update-card", help="Re-render the first model's README.md "
                                     "(model card) with these results."),
) -> None:
    """Evaluate models and baselines on the same held-out units; write evaluation.json and evaluation.md."""
    from .evaluation_run import run_evaluation

    try:
        report, paths = run_evaluation(model or [None], data, split, baselines, reference, output, seed,
                                       log=lambda m: typer.echo(m, err=True))
    except (UserError, FileNotFoundError) as e:
        _fail(str(e))
    if update_card:
        from .modelcard import write_model_card
        from .resources import default_model_dir

        folder = Path(model[0]) if model and model[0] not in (None, "baseline") else default_model_dir()
        cfg = json.loads((folder / "notelens_config.json").read_text())
        typer.echo(f"model card: {write_model_card(folder, cfg, report)}")
    for name, m in report["systems"].items():
        typer.echo(f"{name:28s} macro-F1 {m['macro_f1']:.3f} [{m['macro_f1_ci95'][0]:.3f}, "
                   f"{m['macro_f1_ci95'][1]:.3f}]  micro-F1 {m['micro_f1']:.3f}")
    for c in report["comparisons"]:
        typer.echo(f"{c['a']} vs {c['b']}: {c['macro_f1_diff']:+.3f} [{c['ci95'][0]:+.3f}, {c['ci95'][1]:+.3f}] "
                   f"p={c['p_value_bootstrap']:.4f}")
    typer.echo(f"report: {paths[1]}")


@data_app.command("import")
def data_import(
    file: Path = typer.Argument(..., help="The annotation tool's export."),
    source: str = typer.Option(..., "--from", help="label-studio | doccano | csv"),
    output: Path = typer.Option(..., "-o", "--output", help="Corpus-format JSONL to write."),
) -> None:
    """Convert a Label Studio / doccano / CSV export into the corpus format, reporting what could not be converted."""
    from .corpus import validate_corpus, write_corpus
    from .interop import import_file

    try:
        notes, report = import_file(source, file)
    except UserError as e:
        _fail(str(e))
    if not notes:
        typer.echo(report.render(), err=True)
        _fail(f"nothing in {file} could be converted")
    write_corpus(notes, output)
    typer.echo(report.render())
    v = validate_corpus(output)
    typer.echo(f"wrote {output}: " + ("valid" if not v.errors else f"{len(v.errors)} validation problems"))


@data_app.command("export")
def data_export(
    input: Path = typer.Argument(..., help="Corpus JSONL, or {id, text} JSONL of notes to pre-annotate."),
    to: str = typer.Option("label-studio", "--to", help="label-studio"),
    output: Path = typer.Option(..., "-o", "--output", help="Label Studio tasks JSON to write."),
    model: Optional[str] = typer.Option(None, help="Model for pre-annotations (default: shipped model)."),
    predictions: bool = typer.Option(True, help="Add the model's predictions as pre-annotations."),
) -> None:
    """Export notes to Label Studio tasks, with model predictions as pre-annotations (and the labelling config)."""
    from .corpus import read_corpus
    from .interop import export_label_studio, label_studio_config, notes_from_texts
    from .jsonl import iter_jsonl

    if to != "label-studio":
        _fail(f"unknown export format {to!r}; only label-studio is supported")
    try:
        first = next(iter_jsonl(input))[1]
        notes = read_corpus(input) if "units" in first else notes_from_texts(
            [(str(o.get("id", n)), o["text"]) for n, o in iter_jsonl(input) if isinstance(o.get("text"), str)])
        analyzer = _load_analyzer(model) if predictions else None
    except StopIteration:
        _fail(f"{input} is empty")
    except (UserError, KeyError) as e:
        _fail(str(e))
    tasks = export_label_studio(notes, analyzer)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(tasks, ensure_ascii=False, indent=1))
    config = output.with_name(output.stem + "_config.xml")
    config.write_text(label_studio_config())
    typer.echo(f"wrote {len(tasks)} tasks to {output} and the labelling config to {config}")


@data_app.command("agreement")
def data_agreement(
    files: list[Path] = typer.Argument(..., help="Two or more corpus-format JSONL files labelled independently."),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="Write the report here (.md; JSON beside it)."),
) -> None:
    """Cohen's kappa per label (two files), Krippendorff's alpha (any number), and the disagreements."""
    from .agreement import agreement

    try:
        report = agreement(files)
    except (UserError, KeyError, ValueError) as e:
        _fail(str(e))
    for l, v in report.per_label.items():
        kappa = "" if v["kappa"] is None else f"kappa {v['kappa']:.3f}  "
        typer.echo(f"{l:16s} {kappa}alpha {v['alpha']:.3f}  agreement {v['observed_agreement']:.3f}  "
                   f"positives {v['positives']}")
    typer.echo(f"{report.units} units compared, {len(report.disagreements)} disagreements")
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(report.render_markdown())
        output.with_suffix(".json").write_text(json.dumps(report.to_dict(), indent=2))
        typer.echo(f"report: {output}")


def main() -> None:
    try:
        app()
    except UserError as e:  # raised from helpers outside a command's own handling
        typer.echo(f"notelens: error: {e}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
