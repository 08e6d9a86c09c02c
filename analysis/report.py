"""The self-contained HTML report: inputs, parameters, tables with q-values, every figure, every paper.

Rendered with Jinja2 and autoescaping on: text from digests is always shown as text. plotly.js is inlined
so the file works offline, and a Content-Security-Policy forbids any network request.
"""

from __future__ import annotations

import math

import jinja2
import pandas as pd
import plotly.graph_objects as go
from markupsafe import Markup

from analysis import __version__
from analysis.overlap import CLASS_RULES

__all__ = ["render_report"]

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("analysis", "templates"), autoescape=True, undefined=jinja2.StrictUndefined
)


def _fmt(value):
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return f"{value:.3g}" if abs(value) < 0.01 and value != 0 else f"{value:.3f}"
    return value


def _records(frame: pd.DataFrame) -> list[dict]:
    return [{k: _fmt(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]


def render_report(
    papers: pd.DataFrame,
    topics: pd.DataFrame,
    overlap: dict[str, pd.DataFrame],
    figures: dict[str, go.Figure],
    params: dict,
    *,
    title: str = "topics of the digests",
) -> str:
    """Return the report as one HTML string."""
    from plotly.offline import get_plotlyjs

    by_digest = papers.groupby("digest", sort=False)
    digests = [
        {
            "digest": name,
            "papers": len(group),
            "date": "" if group["digest_date"].isna().all() else group["digest_date"].min().strftime("%Y-%m-%d"),
        }
        for name, group in by_digest
    ]
    similarity = overlap["similarity"]
    figure_html = {
        name: Markup(
            figure.to_html(
                full_html=False,
                include_plotlyjs=False,
                div_id=f"plot-{name}",
                config={"displaylogo": False, "responsive": True},
            )
        )
        for name, figure in figures.items()
    }
    context = {
        "title": title,
        "version": __version__,
        "n_papers": len(papers),
        "n_unique": papers["paper_id"].nunique(),
        "digests": digests,
        "params": params,
        "topics": _records(topics),
        "classes": _records(overlap["classes"]),
        "class_rules": CLASS_RULES,
        "counts": _records(overlap["counts"]),
        "similarity": {
            "columns": list(similarity.columns),
            "rows": [{"name": n, "values": [_fmt(float(v)) for v in row]} for n, row in similarity.iterrows()],
        }
        if len(similarity) >= 2
        else None,
        "shared_papers": _records(overlap["shared_papers"]),
        "figures": figure_html,
        "papers": _records(papers[["digest", "position", "title", "topic_label"]]),
        "plotly_js": Markup(get_plotlyjs()),
    }
    return _ENV.get_template("report.html.j2").render(context)
