"""The Gradio web demo: check a note, audit a file, read about the model.

A thin layer over the same API as the CLI. Privacy: note text is never logged or
stored; uploaded files and audit outputs live in a per-session temporary folder that
is deleted when the browser session ends (and Gradio's own cache is swept); the page
loads no fonts or scripts from outside the machine.
"""
from __future__ import annotations

import argparse
import os
import shutil
import tempfile
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from .errors import InputError  # noqa: E402
from .highlight import label_pieces  # noqa: E402
from .labels import BY_NAME, LABEL_INFO, LABELS, SUBTYPE_DESCRIPTIONS  # noqa: E402
from .results import NoteResult  # noqa: E402

MAX_NOTE_CHARS = 20_000  # the demo is for one note; batch work belongs to the audit
MAX_UPLOAD_BYTES = 50 * 2**20
DISCLAIMER = ("Flags are **prompts for reflection, not verdicts**: read each one in context. NoteLens was trained "
              "on notes written for the project, not real patient records.")
TABLE_HEADERS = ["unit", "label", "subtype", "confidence", "cue", "why", "suggested rewording"]
SESSION_ROOT = Path(tempfile.gettempdir()) / "notelens-sessions"


def _title_of(labels: tuple[str, ...] | list[str]) -> str:
    return " + ".join(BY_NAME[l].title for l in labels)


def highlight_segments(result: NoteResult) -> list[tuple[str, str | None]]:
    """Non-overlapping (text, category) pieces for gr.HighlightedText.

    Overlapping cues of different labels become one combined category
    ("Coercive + Trauma-unaware"), since HighlightedText cannot show overlaps.
    """
    return [(text, _title_of(labels) if labels else None) for text, labels in label_pieces(result)]


def color_map() -> dict[str, str]:
    """A colour for every label and every combination of labels (the first label's colour)."""
    from itertools import combinations

    return {_title_of(combo): BY_NAME[combo[0]].colour
            for k in range(1, len(LABELS) + 1) for combo in combinations(LABELS, k)}


def flags_table(result: NoteResult) -> list[list]:
    rows = []
    for i, u in enumerate(result.units, 1):
        for l in u.labels:
            cue = "; ".join(c.text for c in u.cues if c.label == l)
            rows.append([f"{i}: {u.text}", BY_NAME[l].title, u.subtype if l == "coercive" and u.subtype else "",
                         round(u.scores[l], 2), cue, u.why.get(l, ""), u.suggestion.get(l, "")])
    return rows


def summary_markdown(result: NoteResult) -> str:
    return f"### {result.summary()}\n\n{len(result.units)} units checked. {DISCLAIMER}"


def check_note(analyzer, text: str | None):
    """(summary markdown, highlighted pieces, table rows) for the Check tab; friendly errors."""
    if text is None or not str(text).strip():
        raise InputError("Paste or type a note first (the box is empty).")
    if "\x00" in text:
        raise InputError("This looks like binary content, not a note.")
    if len(text) > MAX_NOTE_CHARS:
        raise InputError(f"This note has {len(text):,} characters; the demo takes up to {MAX_NOTE_CHARS:,}. "
                         "Use the Audit tab or `notelens audit` for long documents.")
    result = analyzer.analyze(text)
    return summary_markdown(result), highlight_segments(result), flags_table(result)


def session_dir(session_hash: str | None) -> Path:
    d = SESSION_ROOT / (session_hash or "anonymous")
    d.mkdir(parents=True, exist_ok=True)
    return d


def drop_session(session_hash: str | None) -> None:
    shutil.rmtree(SESSION_ROOT / (session_hash or "anonymous"), ignore_errors=True)


def store_upload(path: str, workdir: Path) -> Path:
    """Move an upload out of Gradio's shared cache into the session's folder, which is deleted
    when the browser session ends (Gradio's own cache is only swept periodically)."""
    dest = workdir / ("upload" + Path(path).suffix.lower())
    for old in workdir.glob("upload.*"):
        old.unlink()
    shutil.move(path, dest)
    return dest


def upload_columns(path: str | None) -> list[str]:
    """Column names of an uploaded CSV/JSONL/Parquet (InputError with a friendly message otherwise)."""
    from .audit import detect_format, read_columns

    if not path:
        raise InputError("Upload a CSV, JSONL or Parquet file first.")
    p = Path(path)
    fmt = detect_format(p)
    if not p.is_file():
        raise InputError("The uploaded file is gone; upload it again.")
    if p.stat().st_size > MAX_UPLOAD_BYTES:
        raise InputError(f"The file is {p.stat().st_size / 2**20:.0f} MB; the demo takes up to "
                         f"{MAX_UPLOAD_BYTES // 2**20} MB. Use `notelens audit` for large files.")
    if fmt != "parquet":
        head = p.open("rb").read(4096)
        if b"\x00" in head:
            raise InputError("The file looks binary, not CSV or JSONL text.")
    cols = read_columns(p, fmt)
    if not cols:
        raise InputError("No columns found: is the file empty?")
    return cols


def audit_upload(analyzer, path: str, text_col: str, group_col: str | None, date_col: str | None, workdir: Path):
    """Run the audit on an upload; returns (charts html, summary table, output files, message)."""
    import pandas as pd

    from .audit import AuditConfig, run_audit
    from .report import ALL, chart_mix, chart_rates_by_group, chart_trend

    cols = upload_columns(path)
    if text_col not in cols:
        raise InputError(f"Column {text_col!r} is not in the file; choose one of: {', '.join(cols)}")
    src = Path(path)
    out = workdir / "audit"
    cfg = AuditConfig(text_col=text_col, group_by=[group_col] if group_col else [],
                      date_col=date_col or None, min_group_size=1 if not group_col else 5)
    summary = run_audit(src, out, analyzer, cfg, progress=False)
    table = pd.read_csv(out / "summary.csv") if (out / "summary.csv").exists() else pd.DataFrame()
    html = ""
    if not table.empty:
        html = "<div class='nl-charts'>" + chart_rates_by_group(table) + (chart_trend(table) or "") + \
            chart_mix(table) + "</div>"
        table = table[table["period"] == "all"]
        keep = ["group", "notes", "units"] + [f"{l}_share" for l in LABELS] + [f"{l}_per_100" for l in LABELS]
        table = table[keep].round(3)
        table = pd.concat([table[table.group != ALL], table[table.group == ALL]])
    files = [str(out / n) for n in ("report.html", "summary.csv", "units.parquet", "notes.parquet", "rejects.csv")
             if (out / n).exists()]
    msg = (f"Audited **{summary.scored}** notes ({summary.units} units); **{summary.rejected}** rows rejected "
           f"of {summary.read} read" + (f" ({', '.join(f'{k}: {v}' for k, v in summary.reject_reasons.items())})"
                                        if summary.rejected else "") + ". " + DISCLAIMER)
    return html, table, files, msg


def about_markdown() -> str:
    from .resources import default_model_dir

    parts = ["## What the labels mean", ""]
    for info in LABEL_INFO:
        parts.append(f"- **{info.title}**: {info.description}")
    parts += ["", "Coercive subtypes: " + "; ".join(f"**{k}**: {v}" for k, v in SUBTYPE_DESCRIPTIONS.items()), ""]
    card = default_model_dir() / "README.md"
    if card.exists():
        text = card.read_text()
        if text.startswith("---"):
            text = text.split("---", 2)[2]
        parts += ["## Model card", "", text.replace("\n# ", "\n### ")]
    else:
        parts += ["No trained model is shipped; the transparent cue-phrase baseline is in use."]
    ev = default_model_dir() / "evaluation.md"
    if ev.exists():
        parts += ["## Test metrics", "", ev.read_text().replace("\n# ", "\n### ").replace("\n## ", "\n#### ")]
    return "\n".join(parts)


def bundled_examples() -> dict[str, str]:
    from .resources import samples_dir

    d = samples_dir() / "notes"
    return {p.stem.replace("_", " "): p.read_text() for p in sorted(d.glob("*.txt"))} if d.is_dir() else {}


def theme_and_css():
    import gradio as gr

    # System fonts only: the default theme would fetch Google Fonts.
    theme = gr.themes.Default(font=["system-ui", "Segoe UI", "Roboto", "Helvetica", "Arial", "sans-serif"],
                              font_mono=["ui-monospace", "Menlo", "Consolas", "monospace"])
    css = ".nl-charts svg{max-width:100%;height:auto;margin-bottom:1rem} footer{display:none !important}"
    return theme, css


def build_app(analyzer):
    import gradio as gr

    examples = bundled_examples()
    with gr.Blocks(title="NoteLens", analytics_enabled=False, delete_cache=(600, 1800)) as demo:
        gr.Markdown("# NoteLens\nFlags coercive, paternalistic, trauma-unaware, stigmatizing and strengths-based "
                    "language in mental-health notes, with why and a better way to say it. Nothing you paste or "
                    "upload is stored or logged; files are deleted when you close the page.")
        with gr.Tab("Check a note"):
            with gr.Row():
                with gr.Column(scale=1):
                    example = gr.Dropdown(choices=list(examples), label="Bundled example notes", value=None)
                    note = gr.Textbox(label="Note", lines=14, max_lines=40, placeholder="Paste a note here",
                                      elem_id="note-input")
                    analyse = gr.Button("Analyse", variant="primary", elem_id="analyse")
                with gr.Column(scale=1):
                    summary = gr.Markdown(elem_id="summary")
                    highlighted = gr.HighlightedText(label="Flagged spans", color_map=color_map(), combine_adjacent=True,
                                                     show_legend=False, show_inline_category=True,
                                                     elem_id="highlighted")
            table = gr.Dataframe(headers=TABLE_HEADERS, label="Flags", wrap=True, interactive=False,
                                 column_widths=["26%", "10%", "9%", "7%", "14%", "17%", "17%"],
                                 elem_id="flags-table")

            def on_example(name):
                return examples.get(name, "")

            def on_analyse(text):
                try:
                    return check_note(analyzer, text)
                except InputError as e:
                    return f"**{e}**", [], []

            example.change(on_example, example, note)
            analyse.click(on_analyse, note, [summary, highlighted, table])
        with gr.Tab("Audit a file"):
            gr.Markdown("Upload notes as CSV, JSONL or Parquet, pick the columns, and run. You get charts, a "
                        "per-team summary and a self-contained report to download.")
            upload = gr.File(label="Notes file", file_types=[".csv", ".jsonl", ".parquet"], elem_id="upload")
            with gr.Row():
                text_col = gr.Dropdown(label="Text column", choices=[], elem_id="text-col")
                group_col = gr.Dropdown(label="Group column (team, ward...)", choices=[], elem_id="group-col")
                date_col = gr.Dropdown(label="Date column (optional)", choices=[], elem_id="date-col")
            run = gr.Button("Run audit", variant="primary", elem_id="run-audit")
            message = gr.Markdown(elem_id="audit-message")
            charts = gr.HTML(elem_id="audit-charts")
            audit_table = gr.Dataframe(label="Summary per team (share of notes flagged; flags per 100 notes)",
                                       interactive=False, elem_id="audit-table")
            downloads = gr.File(label="Results", file_count="multiple", elem_id="downloads")

            stored = gr.State(None)

            def on_upload(path, request: gr.Request):
                if not path:
                    return gr.update(choices=[]), gr.update(choices=[]), gr.update(choices=[]), "", None
                try:
                    path = str(store_upload(path, session_dir(getattr(request, "session_hash", None))))
                    cols = upload_columns(path)
                except (InputError, OSError) as e:
                    return gr.update(choices=[]), gr.update(choices=[]), gr.update(choices=[]), f"**{e}**", None
                pick = lambda names: next((c for c in cols if c.lower() in names), None)  # noqa: E731
                return (gr.update(choices=cols, value=pick({"text", "note", "note_text", "body"}) or cols[0]),
                        gr.update(choices=[""] + cols, value=pick({"team", "ward", "service", "group"}) or ""),
                        gr.update(choices=[""] + cols, value=pick({"date", "note_date", "created"}) or ""),
                        f"Found columns: {', '.join(cols)}", path)

            def on_run(path, tcol, gcol, dcol, request: gr.Request):
                work = session_dir(getattr(request, "session_hash", None))
                shutil.rmtree(work / "audit", ignore_errors=True)
                try:
                    if not path:
                        raise InputError("Upload a CSV, JSONL or Parquet file first.")
                    if not tcol:
                        raise InputError("Choose the text column first.")
                    html, tab, files, msg = audit_upload(analyzer, path, tcol, gcol or None, dcol or None, work)
                    return msg, html, tab, files
                except (InputError, OSError, ValueError) as e:
                    return f"**Could not audit this file: {e}**", "", None, None

            upload.change(on_upload, upload, [text_col, group_col, date_col, message, stored])
            run.click(on_run, [stored, text_col, group_col, date_col], [message, charts, audit_table, downloads])
        with gr.Tab("About the model"):
            gr.Markdown(about_markdown(), elem_id="about")

        def on_unload(request: gr.Request):
            drop_session(getattr(request, "session_hash", None))

        demo.unload(on_unload)
    return demo


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="app.py", description="NoteLens web demo")
    p.add_argument("--host", default=os.environ.get("NOTELENS_HOST", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(os.environ.get("NOTELENS_PORT", "7860")))
    p.add_argument("--auth", default=os.environ.get("NOTELENS_AUTH"),
                   help="user:password for a shared deployment (or set NOTELENS_AUTH)")
    p.add_argument("--model", default=None, help="model folder or 'baseline' (default: shipped model)")
    return p.parse_args(argv)


def serve(host: str = "127.0.0.1", port: int = 7860, auth: str | None = None, model: str | None = None,
          prevent_thread_lock: bool = False):
    import notelens

    analyzer = notelens.load(model)
    analyzer.analyze("Warm-up.")  # first call pays the lazy-init cost, not the first user
    creds = None
    if auth:
        if ":" not in auth:
            raise InputError("--auth must be user:password")
        creds = [tuple(auth.split(":", 1))]
    demo = build_app(analyzer)
    theme, css = theme_and_css()
    demo.launch(server_name=host, server_port=port, auth=creds, share=False, theme=theme, css=css,
                show_error=False, prevent_thread_lock=prevent_thread_lock, quiet=True)
    return demo


def main(argv=None) -> None:
    a = parse_args(argv)
    serve(a.host, a.port, a.auth, a.model)
