"""Aggregate audit results per group and period, and write summary.csv and report.html.

The report is one self-contained HTML file: inline CSS and inline SVG charts
(matplotlib, glyphs as paths), no scripts, fonts or images from anywhere else, so
opening it makes no network request; it prints cleanly.
"""
from __future__ import annotations

import html
import io
import math
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from .labels import BY_NAME, LABEL_INFO, LABELS, PROBLEM_LABELS

ALL = "All teams (service)"
OTHER = "other (small groups)"


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    if n == 0:
        return (float("nan"), float("nan"))
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    # Rounding can put a bound a hair on the wrong side of p when k is 0 or n.
    return (min(p, max(0.0, c - h)), max(p, min(1.0, c + h)))


def poisson_rate_ci(k: int, n: int) -> tuple[float, float]:
    """Exact 95% interval for flags per 100 notes."""
    from scipy.stats import chi2

    if n == 0:
        return (float("nan"), float("nan"))
    lo = chi2.ppf(0.025, 2 * k) / 2 if k > 0 else 0.0
    hi = chi2.ppf(0.975, 2 * k + 2) / 2
    return (100 * lo / n, 100 * hi / n)


def fold_small_groups(notes: pd.DataFrame, min_size: int) -> tuple[pd.DataFrame, list[str]]:
    sizes = notes.groupby("group").size()
    small = sorted(sizes[sizes < min_size].index)
    if small:
        notes = notes.assign(group=notes["group"].where(~notes["group"].isin(small), OTHER))
    return notes, small


def aggregate(notes: pd.DataFrame) -> pd.DataFrame:
    """One row per (group, period), plus all-period and whole-service rows."""
    rows = []
    frames = [(g, p, d) for (g, p), d in notes.groupby(["group", "period"])]
    frames += [(g, "all", d) for g, d in notes.groupby("group")]
    frames += [(ALL, p, d) for p, d in notes.groupby("period")]
    frames += [(ALL, "all", notes)]
    for g, p, d in frames:
        n = len(d)
        row = {"group": g, "period": p, "notes": n, "units": int(d["units"].sum())}
        for l in LABELS:
            flagged = int((d[f"n_{l}"] > 0).sum())
            flags = int(d[f"n_{l}"].sum())
            lo, hi = wilson(flagged, n)
            rlo, rhi = poisson_rate_ci(flags, n)
            row.update({f"{l}_notes_flagged": flagged, f"{l}_share": flagged / n if n else float("nan"),
                        f"{l}_share_lo": lo, f"{l}_share_hi": hi, f"{l}_flags": flags,
                        f"{l}_per_100": 100 * flags / n if n else float("nan"),
                        f"{l}_per_100_lo": rlo, f"{l}_per_100_hi": rhi})
        rows.append(row)
    return pd.DataFrame(rows)


def _svg(fig) -> str:
    import matplotlib.pyplot as plt

    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    plt.close(fig)
    svg = buf.getvalue()
    return svg[svg.index("<svg"):]


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"svg.fonttype": "path", "font.size": 9, "axes.spines.top": False,
                         "axes.spines.right": False})
    return plt


def chart_rates_by_group(summary: pd.DataFrame) -> str:
    """Small multiples: one panel per label, teams as bars with 95% intervals, service line."""
    plt = _plt()
    d = summary[summary["period"] == "all"].set_index("group")
    groups = [g for g in d.index if g != ALL]
    fig, axes = plt.subplots(1, len(LABELS), figsize=(11, 0.28 * len(groups) + 1.4), sharey=True)
    y = np.arange(len(groups))
    for ax, info in zip(axes, LABEL_INFO):
        l = info.name
        vals = 100 * d.loc[groups, f"{l}_share"].to_numpy()
        err = np.clip(np.vstack([vals - 100 * d.loc[groups, f"{l}_share_lo"].to_numpy(),
                                 100 * d.loc[groups, f"{l}_share_hi"].to_numpy() - vals]), 0, None)
        ax.barh(y, vals, color=info.colour, xerr=err, error_kw={"lw": 0.6, "ecolor": "#444"})
        ax.axvline(100 * d.loc[ALL, f"{l}_share"], color="#222", ls="--", lw=0.8)
        ax.set_title(info.title, fontsize=9, color=info.colour, fontweight="bold")
        ax.set_xlim(0, 100)
        ax.set_xlabel("% of notes")
    axes[0].set_yticks(y, [g[:28] for g in groups])
    axes[0].invert_yaxis()
    fig.suptitle("Share of notes with at least one flag, by team (bars: 95% interval; dashed: whole service)",
                 fontsize=10)
    return _svg(fig)


def chart_trend(summary: pd.DataFrame) -> str | None:
    plt = _plt()
    d = summary[(summary["group"] == ALL) & (summary["period"] != "all")].sort_values("period")
    if len(d) < 2:
        return None
    fig, ax = plt.subplots(figsize=(8, 3.2))
    for k, info in enumerate(LABEL_INFO):
        ax.plot(d["period"], 100 * d[f"{info.name}_share"], marker="osD^v"[k], color=info.colour, label=info.title)
    ax.set_ylabel("% of notes with at least one flag")
    ax.set_title("Trend over time (whole service)")
    ax.tick_params(axis="x", rotation=45)
    ax.legend(fontsize=8, ncol=3)
    return _svg(fig)


def chart_mix(summary: pd.DataFrame) -> str:
    plt = _plt()
    d = summary[summary["period"] == "all"].set_index("group")
    groups = [g for g in d.index if g != ALL] + [ALL]
    flags = np.array([[d.loc[g, f"{l}_flags"] for l in LABELS] for g in groups], dtype=float)
    share = flags / np.maximum(1, flags.sum(1, keepdims=True))
    fig, ax = plt.subplots(figsize=(8, 0.4 * len(groups) + 1.2))
    left = np.zeros(len(groups))
    for k, info in enumerate(LABEL_INFO):
        ax.barh(groups, 100 * share[:, k], left=left, color=info.colour, label=info.title,
                hatch=["", "//", "..", "xx", "\\\\"][k], edgecolor="white")
        left += 100 * share[:, k]
    ax.invert_yaxis()
    ax.set_xlabel("% of all flags")
    ax.legend(fontsize=8, ncol=5, loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False)
    ax.set_title("Label mix", pad=24)
    return _svg(fig)


def chart_top_cues(cues, label: str, n: int = 8) -> str | None:
    plt = _plt()
    items = [(t, c) for (l, t), c in cues.most_common() if l == label][:n]
    if not items:
        return None
    fig, ax = plt.subplots(figsize=(6, 0.3 * len(items) + 0.8))
    ax.barh([t[:40] for t, _ in items], [c for _, c in items], color=BY_NAME[label].colour)
    ax.invert_yaxis()
    ax.set_xlabel("times flagged")
    ax.set_title(f"Top cue phrases: {BY_NAME[label].title}")
    return _svg(fig)


CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;margin:2rem auto;max-width:60rem;
color:#1a1a1a;line-height:1.45;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.25rem;border-bottom:2px solid #ddd;padding-bottom:.2rem;margin-top:2rem}
h3{font-size:1.05rem}.muted{color:#555}.box{border:1px solid #bbb;border-radius:6px;padding:.8rem 1rem;background:#f7f7f7}
table{border-collapse:collapse;width:100%;font-size:.85rem;margin:.6rem 0}th,td{border:1px solid #ccc;padding:.25rem .4rem;
text-align:left;vertical-align:top}th{background:#eee}td.num{text-align:right;white-space:nowrap}
.tag{display:inline-block;border-radius:3px;padding:0 .3rem;color:#fff;font-size:.78rem;font-weight:600}
figure{margin:1rem 0}figure svg{max-width:100%;height:auto}.up{color:#b00}.down{color:#070}
@media print{body{margin:0;max-width:none}h2{page-break-after:avoid}figure,table,.box{page-break-inside:avoid}}
"""


def _tag(label: str) -> str:
    info = BY_NAME[label]
    return f'<span class="tag" style="background:{info.colour}">{html.escape(info.title)}</span>'


def _pct(x: float) -> str:
    return "-" if x != x else f"{100 * x:.1f}%"


def write_report(outdir: Path, analyzer, cfg, run) -> Path:
    """Write summary.csv and report.html from the audit's notes.parquet and parts."""
    from .audit import load_extras
    from .deid import deidentify
    from .rewording import advice_for

    outdir = Path(outdir)
    notes_path = outdir / "notes.parquet"
    cols = ["group", "period", "units"] + [f"n_{l}" for l in LABELS]
    notes = pd.read_parquet(notes_path, columns=cols) if notes_path.exists() else pd.DataFrame(columns=cols)
    notes, small = fold_small_groups(notes, cfg.min_group_size)
    summary = aggregate(notes) if len(notes) else pd.DataFrame()
    summary.to_csv(outdir / "summary.csv", index=False, float_format="%.4f")
    cues, examples = load_extras(outdir)
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    h = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>NoteLens audit report</title>"
         f"<meta name='viewport' content='width=device-width, initial-scale=1'><style>{CSS}</style></head><body>",
         "<h1>NoteLens audit report</h1>",
         f"<p class='muted'>Generated {now} by model {html.escape(analyzer.model_name)}. "
         f"{run.scored:,} notes audited ({run.units:,} units); {run.rejected:,} rows rejected of {run.read:,} read."
         "</p>",
         "<div class='box'><strong>How to read this.</strong> NoteLens is a <em>screening aid</em>: each flag is a "
         "prompt for a team to reflect on how it writes, and every flag needs a human read. Figures are per team, "
         "for learning rather than blame; no individual author is named"
         + (" (except where the audit was run with --by-author)" if cfg.by_author else "") + ".</div>"]
    if small:
        h.append(f"<p>{len(small)} group(s) with fewer than {cfg.min_group_size} notes are folded into "
                 f"<em>{OTHER}</em> so that no small team is singled out.</p>")
    if summary.empty:
        h.append("<p><strong>No notes could be scored.</strong> See rejects.csv for the reasons.</p>")
    else:
        h.append("<h2>At a glance</h2><figure>" + chart_rates_by_group(summary) + "</figure>")
        trend = chart_trend(summary)
        if trend:
            h.append("<figure>" + trend + "</figure>")
        h.append("<figure>" + chart_mix(summary) + "</figure>")
        h += _overview_section(summary)
        h += _change_section(summary)
        h.append("<h2>Top cue phrases and suggested rewording</h2>")
        for l in LABELS:
            items = [(t, c) for (lab, t), c in cues.most_common() if lab == l][:8]
            if not items:
                continue
            h.append(f"<h3>{_tag(l)}</h3>")
            chart = chart_top_cues(cues, l)
            if chart:
                h.append("<figure>" + chart + "</figure>")
            h.append("<table><tr><th>cue phrase</th><th>count</th><th>why it matters</th><th>"
                     + ("suggested rewording" if l in PROBLEM_LABELS else "keep doing") + "</th></tr>")
            for t, c in items:
                why, sug, _ = advice_for(l, t, [t])
                h.append(f"<tr><td>{html.escape(deidentify(t))}</td><td class='num'>{c}</td>"
                         f"<td>{html.escape(why)}</td><td>{html.escape(sug)}</td></tr>")
            h.append("</table>")
        h.append("<h2>Examples (de-identified)</h2><p class='muted'>A few of the most confident flags per label, "
                 "with names, dates, ages, addresses, phone and record numbers masked.</p>")
        for l in LABELS:
            if examples[l]:
                h.append(f"<h3>{_tag(l)}</h3><ul>")
                for score, text, group in examples[l]:
                    g = group if group in set(summary["group"]) else OTHER
                    h.append(f"<li>{html.escape(deidentify(text))} <span class='muted'>({html.escape(g)}, "
                             f"confidence {score:.2f})</span></li>")
                h.append("</ul>")
    h += _methods_section(analyzer, cfg, run)
    h.append("</body></html>")
    path = outdir / "report.html"
    path.write_text("\n".join(h), encoding="utf-8")
    return path


def _overview_section(summary: pd.DataFrame) -> list[str]:
    d = summary[summary["period"] == "all"]
    groups = [g for g in d["group"] if g != ALL] + [ALL]
    d = d.set_index("group").loc[groups]
    overall = d.loc[ALL]
    head = "<tr><th>team</th><th>notes</th><th>units</th>" + "".join(f"<th>{_tag(l)}</th>" for l in LABELS) + "</tr>"
    share = ["<h2>Per team</h2><h3>Share of notes with at least one flag</h3><p class='muted'>Percent of notes "
             "[95% Wilson interval]; the arrow marks a team whose interval lies wholly above (&#9650;) or below "
             "(&#9660;) the whole service's rate. Last row: the whole service.</p><table>" + head]
    rate = ["<h3>Flags per 100 notes</h3><p class='muted'>[95% exact Poisson interval]</p><table>" + head]
    for g, r in d.iterrows():
        name = f"<strong>{html.escape(g)}</strong>" if g == ALL else html.escape(g)
        lead = f"<tr><td>{name}</td><td class='num'>{int(r['notes'])}</td><td class='num'>{int(r['units'])}</td>"
        s_cells, r_cells = [], []
        for l in LABELS:
            mark = ""
            if g != ALL and r[f"{l}_share_lo"] > overall[f"{l}_share"]:
                mark = " &#9650;"
            elif g != ALL and r[f"{l}_share_hi"] < overall[f"{l}_share"]:
                mark = " &#9660;"
            s_cells.append(f"<td class='num'>{_pct(r[f'{l}_share'])}{mark}<br><span class='muted'>"
                           f"[{_pct(r[f'{l}_share_lo'])}, {_pct(r[f'{l}_share_hi'])}]</span></td>")
            r_cells.append(f"<td class='num'>{r[f'{l}_per_100']:.1f}<br><span class='muted'>"
                           f"[{r[f'{l}_per_100_lo']:.1f}, {r[f'{l}_per_100_hi']:.1f}]</span></td>")
        share.append(lead + "".join(s_cells) + "</tr>")
        rate.append(lead + "".join(r_cells) + "</tr>")
    return share + ["</table>"] + rate + ["</table>"]


def _change_section(summary: pd.DataFrame) -> list[str]:
    d = summary[summary["period"] != "all"]
    periods = sorted(d["period"].unique())
    if len(periods) < 2:
        return []
    last, prev = periods[-1], periods[-2]
    h = [f"<h2>Change: {html.escape(last)} against {html.escape(prev)}</h2><p class='muted'>Difference in the share "
         "of notes with at least one flag, in percentage points. Small groups and short periods move by chance; "
         "read alongside the intervals above.</p>",
         "<table><tr><th>team</th><th>notes (prev / last)</th>" + "".join(f"<th>{_tag(l)}</th>" for l in LABELS) + "</tr>"]
    for g in [x for x in sorted(d["group"].unique()) if x != ALL] + [ALL]:
        a = d[(d["group"] == g) & (d["period"] == prev)]
        b = d[(d["group"] == g) & (d["period"] == last)]
        if a.empty or b.empty:
            continue
        a, b = a.iloc[0], b.iloc[0]
        cells = []
        for l in LABELS:
            diff = 100 * (b[f"{l}_share"] - a[f"{l}_share"])
            good = diff < 0 if l in PROBLEM_LABELS else diff > 0
            cls = "down" if good and abs(diff) >= 0.05 else "up" if abs(diff) >= 0.05 else ""
            cells.append(f"<td class='num {cls}'>{'+' if diff >= 0 else ''}{diff:.1f}</td>")
        h.append(f"<tr><td>{html.escape(g)}</td><td class='num'>{int(a['notes'])} / {int(b['notes'])}</td>"
                 + "".join(cells) + "</tr>")
    h.append("</table>")
    return h


def _methods_section(analyzer, cfg, run) -> list[str]:
    th = analyzer.thresholds
    h = ["<h2>Methods</h2><div class='box'>",
         f"<p><strong>Model:</strong> {html.escape(analyzer.model_name)}. Each note is split into units (sentences "
         "or handover lines) and each unit scored for five labels; a unit is flagged when its calibrated "
         "probability reaches the label's threshold.</p><table><tr><th>label</th><th>meaning</th><th>threshold</th></tr>"]
    for info in LABEL_INFO:
        h.append(f"<tr><td>{_tag(info.name)}</td><td>{html.escape(info.description)}</td>"
                 f"<td class='num'>{th.get(info.name, float('nan')):.2f}</td></tr>")
    reasons = ", ".join(f"{html.escape(k)}: {v}" for k, v in sorted(run.reject_reasons.items())) or "none"
    h += ["</table>",
          f"<p><strong>Grouping:</strong> {html.escape(', '.join(cfg.group_by) or 'none')}; "
          f"<strong>period:</strong> {html.escape(cfg.period if cfg.date_col else 'none (no date column)')}; "
          f"groups under {cfg.min_group_size} notes folded into '{OTHER}'.</p>",
          f"<p><strong>Accounting:</strong> read {run.read:,} = scored {run.scored:,} + rejected {run.rejected:,}. "
          f"Rejection reasons: {reasons}.</p>",
          "<p><strong>Limits:</strong> the model was trained on a corpus written for this project, not on real "
          "patient notes; its flags are a screening aid whose every instance needs a human read, and rates "
          "compare teams only as far as their note-writing conventions are alike.</p></div>"]
    return h
