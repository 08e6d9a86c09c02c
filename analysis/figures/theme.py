"""One look for every figure: template, colours, fonts, and escaping of text that comes from digests."""

from __future__ import annotations

import html
import textwrap

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.colors import qualitative

FONT = "Inter, Helvetica Neue, Arial, sans-serif"
TOPIC_COLOURS = qualitative.D3 + qualitative.Set2 + qualitative.Pastel1 + qualitative.Dark2
DIGEST_COLOURS = qualitative.Safe + qualitative.Vivid
SEQUENTIAL = "Blues"
MAX_LEGEND = 20  # entries; past this a legend is a wall of colours nobody can match
MAX_HEIGHT = 1900  # px at scale 1: the PNG (scale 2) stays under 4000 px on each side
MIN_HEIGHT = 360
SUBTITLE_WIDTH = 110  # characters a line: fits a figure 800 px wide

TEMPLATE = go.layout.Template(pio.templates["plotly_white"])
TEMPLATE.layout.update(
    font={"family": FONT, "size": 13, "color": "#222"},
    title={"x": 0.0, "xanchor": "left", "pad": {"l": 24}, "font": {"size": 18}},
    margin={"l": 24, "r": 24, "t": 90, "b": 40},
    # below everything, axis titles included: the legend's own row at the foot of the figure
    legend={"orientation": "h", "yref": "container", "yanchor": "bottom", "y": 0.0, "xanchor": "left", "x": 0.0},
    hoverlabel={"font": {"family": FONT}},
)


def esc(text) -> str:
    """Digest text is data: escape it so Plotly shows ``<b>`` as text, not as markup."""
    return html.escape(str(text), quote=False)


def in_template(text: str) -> str:
    """Escaped text put into a hovertemplate: its braces as character references, so that digest text such
    as ``%{x}`` is shown, not filled in by Plotly."""
    return text.replace("{", "&#123;").replace("}", "&#125;")


def plain_short(text, width: int = 40) -> str:
    """Shortened to ``width`` characters, not escaped: for text that :func:`finish` escapes (titles)."""
    return textwrap.shorten(str(text), width=width, placeholder="…")


def escaped_short(text, width: int = 40) -> str:
    """Shortened to ``width`` characters and escaped, for labels, legends and hover text."""
    return esc(plain_short(text, width))


def topics_by_size(counts: pd.DataFrame) -> pd.Series:
    """Papers per topic of a topic x group counts table, indexed by (topic, topic_label), largest first and ties
    by topic id: the one order of topics in every figure that lists them."""
    totals = counts.groupby(["topic", "topic_label"])["count"].sum()
    return totals.sort_index().sort_values(ascending=False, kind="stable")


def topic_colour(topic: int) -> str:
    return "#9e9e9e" if topic < 0 else TOPIC_COLOURS[topic % len(TOPIC_COLOURS)]


def digest_colour(index: int) -> str:
    return DIGEST_COLOURS[index % len(DIGEST_COLOURS)]


def bounded(height: float) -> int:
    """A figure height between ``MIN_HEIGHT`` and ``MAX_HEIGHT`` pixels."""
    return int(min(MAX_HEIGHT, max(MIN_HEIGHT, height)))


def finish(figure: go.Figure, title: str, subtitle: str = "", *, height: int | None = None) -> go.Figure:
    """Apply the template, a title with an explanatory subtitle (wrapped to lines that fit 800 px), and a
    height. ``title`` and ``subtitle`` are plain text: they are escaped here, once."""
    lines = textwrap.wrap(subtitle, SUBTITLE_WIDTH)
    text = esc(title) + "".join(f"<br><span style='font-size:13px;color:#555'>{esc(line)}</span>" for line in lines)
    top = TEMPLATE.layout.margin.t + 18 * max(0, len(lines) - 1)
    figure.update_layout(template=TEMPLATE, title_text=text, height=height, margin_t=top)
    return figure


def annotated_heatmap(
    z, x, y, text, *, colorbar: dict, hovertemplate: str, zmax=None, show_text: bool = True
) -> go.Figure:
    """A heatmap with text in every cell (``show_text``) and category axes (first row on top), in the shared
    style."""
    heatmap = go.Heatmap(
        z=z,
        x=x,
        y=y,
        text=text,
        texttemplate="%{text}" if show_text else None,
        colorscale=SEQUENTIAL,
        zmin=0,
        zmax=zmax,
        colorbar=colorbar,
        hovertemplate=hovertemplate,
        xgap=1 if show_text else 0,
        ygap=1 if show_text else 0,
    )
    figure = go.Figure(heatmap)
    figure.update_layout(
        # category axes: period names such as "2025-03" must not be read as dates
        xaxis={"tickangle": -35, "automargin": True, "type": "category", "ticklabelstandoff": 4},
        yaxis={"automargin": True, "autorange": "reversed", "type": "category", "ticklabelstandoff": 6},
    )
    return figure
