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


def main() -> None:
    try:
        app()
    except UserError as e:  # raised from helpers outside a command's own handling
        typer.echo(f"notelens: error: {e}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
