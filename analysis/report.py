"""The self-contained HTML report: trends first (dated digests), inputs, parameters, tables with q-values,
every figure, every paper (collapsed).

Rendered with Jinja2 and autoescaping on: text from digests is always shown as text. plotly.js is inlined,
gzipped (4.8 MB → 1.5 MB; the browser's own DecompressionStream unpacks it), so the file works offline and
stays small; each figure is inlined as JSON (``<`` written as ``\u003c``, so no text can close the script)
and drawn once plotly.js is loaded. A Content-Security-Policy forbids any network request.
"""

from __future__ import annotations

import base64
import functools
import gzip
import html
import math

import jinja2
import pandas as pd
import plotly.graph_objects as go
from markupsafe import Markup

from analysis import __version__
from analysis._io import plural
from analysis.embeddings import PRECISION_TEXT
from analysis.figure_set import caption
from analysis.labels import LABEL_RULES
from analysis.levels import LEVEL_RULES, fine_level_note
from analysis.namer import MAX_WORDS as NAMER_WORDS
from analysis.new_themes import NEW_THEME_RULES
from analysis.overlap import CLASS_RULES, OverlapTables
from analysis.topics import NOVELTY_QUANTILE
from analysis.trends import TREND_RULES, WATCH_P, WATCH_RULES, Trends

__all__ = ["render_report"]

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("analysis", "templates"), autoescape=True, undefined=jinja2.StrictUndefined
)
_ENV.filters["plural"] = plural


def _fmt(value):
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return f"{value:.3g}" if abs(value) < 0.01 and value != 0 else f"{value:.3f}"
    return value


@functools.cache
def _plotly_js_gzip_base64() -> str:
    from plotly.offline import get_plotlyjs

    return base64.b64encode(gzip.compress(get_plotlyjs().encode(), compresslevel=9, mtime=0)).decode("ascii")


def _figure_html(name: str, figure: go.Figure) -> Markup:
    """An empty div of the figure's height and its JSON, drawn by the report's loader script."""
    data = figure.to_json().replace("<", "\\u003c")
    height = int(figure.layout.height or 450)
    name = html.escape(name, quote=True)  # names are file stems already (analysis._io.file_stem): twice safe
    return Markup(
        f'<div id="plot-{name}" class="plot" style="height:{height}px"></div>'
        f'<script type="application/json" data-figure="plot-{name}">{data}</script>'
    )


def _records(frame: pd.DataFrame) -> list[dict]:
    return [{k: _fmt(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]


# Each run parameter (a field of analysis.topics.FitParams, or RunResult.parameters' own) by its name in the
# report, and what it means for a reader who has not seen the code.
PARAMETERS = {
    "seed": ("seed", "random seed of every fit (same input and seed, same output)"),
    "n_topics": ("n_topics", "fine topics"),
    "n_broad": ("n_broad", "broad topics, each split into whole fine topics"),
    "counts_chosen_by": ("topic counts", "how the two counts were chosen"),
    "n_papers": ("n_papers", "papers the topics were fitted on"),
    "embedding_model": ("embedding_model", "sentence-embedding model of title + abstract"),
    "precision": (
        "precision",
        f"embedding arithmetic: {PRECISION_TEXT}; --precision fp32 pins the reference",
    ),
    "clustering": ("clustering", "how papers are grouped"),
    "novelty_threshold": (
        "novelty_threshold",
        "with --model, a placed paper less similar than this (cosine) to its topic's centre is "
        f"flagged novel: the {NOVELTY_QUANTILE:.0%} quantile of the fitted papers' similarity to their own topic",
    ),
    "inputs": ("inputs", "digest files and directories read"),
    "periods": ("periods", "periods of the trend tests"),
    "overlap_unit": ("overlap compared across", "what the overlap tables compare"),
    "placed_onto": ("placed_onto", "saved topics the papers were placed onto (no fitting)"),
}
MAX_SIMILARITY_ROWS = 40  # a larger matrix is in the CSV and the figure, not spelled out in the report
TREND_FIGURES = ("topics_over_time", "trend_changes", "period_topic_heatmap", "broad_trend_changes")


def _trend_context(trends: Trends, topics: pd.DataFrame, recent: dict | None = None) -> dict:
    """The trends for the template; a rising or emerging topic's key papers are ``recent`` ones (its papers of
    the last third closest to its centre, by topic), the others' those of the topic."""
    titles = topics.set_index("topic")["representative_titles"]
    table = trends.table.assign(key_papers=trends.table["topic"].map(titles).fillna(""))
    if recent:
        growing = table["trend"].isin(["rising", "emerging"])
        table.loc[growing, "key_papers"] = table.loc[growing, "topic"].map(recent).fillna(table["key_papers"])
    watched = int(table["watch"].sum())
    n_tested = int(table["p_value"].notna().sum())
    expected = n_tested * (1 - (1 - WATCH_P) ** 2)
    # shares as percentages and ratios to 3 significant digits: what a reviewer quotes
    for column in ("share_first", "share_last"):
        table[column] = [f"{v:.1%}" for v in table[column]]
    for column in ("odds_ratio_per_year", "or_low", "or_high", "share_ratio", "ratio_low", "ratio_high", "dispersion"):
        table[column] = ["" if v != v else f"{v:.3g}" for v in table[column]]
    return {
        "unit": trends.unit,
        "span": trends.span,
        "n_periods": len(trends.periods),
        "first_part": trends.first_part,
        "last_part": trends.last_part,
        "summary": trends.summary(),
        "significant": _records(table[table["trend"] != "steady"]),
        "all": _records(table),
        "periods": _records(
            trends.periods.assign(
                first_date=trends.periods["first_date"].dt.strftime("%Y-%m-%d"),
                last_date=trends.periods["last_date"].dt.strftime("%Y-%m-%d"),
            )
        ),
        "rules": TREND_RULES,
        "new_periods": ", ".join(trends.new_periods),
        "watch": _records(table[table["watch"]]),
        "watch_summary": (
            f"{plural(watched, 'steady topic')} moved by an unadjusted test (p < {WATCH_P}) but not significantly "
            f"after correction; by chance alone, a review of {plural(n_tested, 'tested topic')} whose shares do "
            f"not change would list about {expected:.1f} (up to {1 - (1 - WATCH_P) ** 2:.0%} of them)."
        ),
        "watch_rules": WATCH_RULES,
    }


PAPER_COLUMNS = ("digest", "position", "title", "topic_label", "is_new", "novel")


def _changes_context(changes: pd.DataFrame) -> list[dict]:
    table = changes.assign(
        share_new=[f"{v:.1%}" for v in changes["share_new"]],
        share_saved=[f"{v:.1%}" for v in changes["share_saved"]],
        share_ratio=[f"{v:.3g}" for v in changes["share_ratio"]],
    )
    return _records(table)


def _new_theme_context(themes: pd.DataFrame, papers: pd.DataFrame) -> dict:
    new = int(papers["is_new"].sum())
    table = themes.assign(
        rate_ratio=[f"{v:.3g}" for v in themes["rate_ratio"]],
        ratio_low=[f"{v:.3g}" for v in themes["ratio_low"]],
        ratio_high=[f"{v:.3g}" for v in themes["ratio_high"]],
    )
    if len(themes):
        summary = (
            f"{plural(len(themes), 'new theme')} among the {plural(new, 'new paper')} of this update "
            f"(against {plural(len(papers) - new, 'saved paper')}):"
        )
    else:
        summary = (
            f"No new theme: no group of the {plural(new, 'new paper')} of this update stands out from the "
            f"{plural(len(papers) - new, 'saved paper')} by the test below."
        )
    return {"summary": summary, "themes": _records(table), "rules": NEW_THEME_RULES}


def _named_by(topics: pd.DataFrame, broad: pd.DataFrame | None, source: str) -> str:
    """How many names came from ``source`` (``label_source``: ``user`` or ``llm``), as words; empty when none."""
    levels = [topics] if broad is None else [topics, broad]
    n = sum(int((level.get("label_source", pd.Series(dtype=str)) == source).sum()) for level in levels)
    return plural(n, "name") if n else ""


def render_report(
    papers: pd.DataFrame,
    topics: pd.DataFrame,
    overlap: OverlapTables,
    figures: dict[str, go.Figure],
    params: dict,
    *,
    trends: Trends | None = None,
    broad: pd.DataFrame | None = None,
    broad_trends: Trends | None = None,
    new_themes: pd.DataFrame | None = None,
    notes: list[str] = (),
    changes: pd.DataFrame | None = None,
    recent: dict | None = None,
    title: str | None = None,
) -> str:
    """Return the report as one HTML string; with ``trends``, a Trends section leads; with ``broad`` (the
    broad topics table) and ``broad_trends``, the broad level is shown too; with ``new_themes`` (an update's,
    see :mod:`analysis.update`), a section "New since the saved topics" comes first, with the update's ``notes``
    (what it changed in the saved review: papers moved, the period) and ``changes`` (each topic's new papers
    against its saved ones, :func:`analysis.update.this_update`); ``recent``: a topic's recent key papers (by
    topic id), shown for rising and emerging topics."""
    by_digest = papers.groupby("digest", sort=False)
    digests = [
        {
            "digest": name,
            "papers": len(group),
            "date": "" if group["digest_date"].isna().all() else group["digest_date"].min().strftime("%Y-%m-%d"),
        }
        for name, group in by_digest
    ]
    similarity = overlap.similarity
    figure_html = {name: _figure_html(name, figure) for name, figure in figures.items()}
    if title is None:
        dates = sorted({f"{d:%Y-%m-%d}" for d in papers["digest_date"].dropna()})
        span = "" if not dates else f", {dates[0]}" + (f" to {dates[-1]}" if len(dates) > 1 else "")
        title = f"Topics of {plural(len(digests), 'digest')}{span}"
    context = {
        "title": title,
        "captions": {name: caption(name) for name in figures},
        "version": __version__,
        "n_papers": len(papers),
        "n_unique": papers["paper_id"].nunique(),
        "digests": digests,
        "params": [
            {"name": name, "value": _fmt(value), "meaning": meaning}
            for key, value in params.items()
            for name, meaning in [PARAMETERS.get(key, (key, ""))]
        ],
        "topics": _records(topics),
        "unit": overlap.unit,
        "classes": _records(overlap.classes),
        "class_rules": CLASS_RULES,
        "counts": _records(overlap.counts),
        "similarity": {
            "columns": list(similarity.columns),
            "rows": [{"name": n, "values": [_fmt(float(v)) for v in row]} for n, row in similarity.iterrows()],
        }
        if 2 <= len(similarity) <= MAX_SIMILARITY_ROWS
        else None,
        "shared_papers": _records(overlap.shared_papers),
        "trends": _trend_context(trends, topics, recent) if trends is not None else None,
        "changes": _changes_context(changes) if changes is not None else None,
        "new_themes": _new_theme_context(new_themes, papers) if new_themes is not None else None,
        "notes": list(notes),
        "broad": _records(broad) if broad is not None else None,
        "broad_trends": _trend_context(broad_trends, broad.rename(columns={"broad_topic": "topic"}))
        if broad_trends is not None and broad is not None
        else None,
        "level_rules": LEVEL_RULES,
        "fine_note": fine_level_note(topics, broad) if broad is not None else None,
        "label_rules": LABEL_RULES,
        "hand_named": _named_by(topics, broad, "user"),
        "llm_named": _named_by(topics, broad, "llm"),
        "namer_words": NAMER_WORDS,
        "trend_figures": {name: html for name, html in figure_html.items() if name in TREND_FIGURES},
        "figures": {name: html for name, html in figure_html.items() if name not in TREND_FIGURES},
        "papers": _records(papers[[c for c in PAPER_COLUMNS if c in papers]]),
        "paper_columns": [c for c in PAPER_COLUMNS if c in papers],
        "plotly_js_gzip": _plotly_js_gzip_base64(),
    }
    return _ENV.get_template("report.html.j2").render(context)
