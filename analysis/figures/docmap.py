"""The document map: each paper at its 2-D projection, coloured by topic, shaped by digest."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analysis.figures.theme import esc, escaped_short, finish, in_template, topic_colour
from analysis.overlap import ordered_groups

WEBGL_FROM = 3000  # papers
SYMBOLS = ["circle", "diamond", "square", "triangle-up", "cross", "x", "star", "hexagon", "triangle-down", "pentagon"]


def document_map(papers: pd.DataFrame, coords: np.ndarray, new_themes: dict[int, str] | None = None) -> go.Figure:
    """Scatter of ``coords`` (one row per paper): colour = topic, symbol = digest, hover = title. In an update
    (``is_new``), the new papers are outlined, and each of ``new_themes`` (number in ``new_theme`` -> label) is
    labelled "new theme: ..." on its papers."""
    digests = ordered_groups(papers["digest"])
    # Past a handful of digests, shapes cannot be told apart: every paper is then a circle.
    shaped = 1 < len(digests) <= len(SYMBOLS)
    symbol = {d: SYMBOLS[i] if shaped else "circle" for i, d in enumerate(digests)}
    figure = go.Figure()
    for (topic, label), group in papers.groupby(["topic", "topic_label"], sort=True):
        index = group.index.to_numpy()
        positions = papers.index.get_indexer(index)
        trace = dict(
            x=coords[positions, 0],
            y=coords[positions, 1],
            mode="markers",
            name=escaped_short(label, 32),
            marker={
                "color": topic_colour(int(topic)),
                "size": 7,
                "opacity": 0.8,
                "symbol": [symbol[d] for d in group["digest"]] if shaped else "circle",
                "line": {"width": 0.5, "color": "white"},
            },
            text=[esc(t) for t in group["title"]],
            customdata=[esc(d) for d in group["digest"]],
            hovertemplate="%{text}<br>" + in_template(escaped_short(label, 40)) + " · %{customdata}<extra></extra>",
        )
        # SVG markers export fast and sharp; past a few thousand points only WebGL stays responsive.
        figure.add_trace(go.Scattergl(**trace) if len(papers) > WEBGL_FROM else go.Scatter(**trace))
    if "is_new" in papers and papers["is_new"].any():  # an update: its papers outlined, in PNG as in HTML
        new = papers.index.get_indexer(papers.index[papers["is_new"].to_numpy(bool)])
        figure.add_trace(
            go.Scatter(
                x=coords[new, 0],
                y=coords[new, 1],
                mode="markers",
                name="new in this update",
                marker={"size": 9, "color": "rgba(0,0,0,0)", "line": {"width": 1.3, "color": "#111"}},
                hoverinfo="skip",
            )
        )
    _add_labels(figure, papers, coords, new_themes or {})
    if shaped:  # which shape is which digest, in the legend: grey markers of each shape
        for digest, shape in symbol.items():
            figure.add_trace(
                go.Scatter(
                    x=[None],
                    y=[None],
                    mode="markers",
                    name=escaped_short(digest, 32),
                    marker={"color": "#777", "size": 8, "symbol": shape},
                    legendgroup="digests",
                    legendgrouptitle_text="shape = digest",
                )
            )
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False)
    figure.update_layout(
        legend={"orientation": "v", "yref": "paper", "y": 1, "x": 1.01, "yanchor": "top", "xanchor": "left"}
    )
    return finish(figure, "Map of the papers", "nearby papers have similar abstracts; colour = topic", height=640)


# The labels' layout, in pixels of the plot area at the figure's size (1000 x 640, less margins and legend):
PLOT_PX = (700, 500)
CHAR_PX, LINE_PX = 6.6, 16  # an 11 px bold character's width, a label's height


def _add_labels(figure: go.Figure, papers: pd.DataFrame, coords: np.ndarray, new_themes: dict[int, str]) -> None:
    """Each topic's label on its most central paper, then each new theme's; a label that would overlap one
    already placed is moved, with a thin line back to its place. The largest topics are placed first, so theirs
    stay where they belong."""
    if not len(papers):
        return
    low, high = coords.min(axis=0), coords.max(axis=0)
    pad = np.maximum(high - low, 1e-9) * 0.04
    low, high = low - pad, high + pad
    figure.update_xaxes(range=[low[0], high[0]])
    figure.update_yaxes(range=[low[1], high[1]])
    scale = np.array(PLOT_PX) / (high - low)
    groups = papers.groupby(["topic", "topic_label"], sort=True)
    order = sorted(groups.groups, key=lambda key: (-len(groups.groups[key]), key[0]))
    labels = [(escaped_short(key[1], 28), papers.index.get_indexer(groups.groups[key])) for key in order]
    themes = papers["new_theme"].to_numpy() if "new_theme" in papers else np.full(len(papers), -1)
    for number, label in new_themes.items():
        if (themes == number).any():
            labels.append(("new theme: " + escaped_short(label, 28), np.flatnonzero(themes == number)))
    boxes: list[tuple[float, float, float, float]] = []
    for text, rows in labels:
        x, y = _label_anchor(coords[rows])
        width = CHAR_PX * len(html.unescape(text)) + 8
        centre = (np.array([x, y]) - low) * scale  # pixels, y up
        dx, dy = _free_offset(centre, width, boxes)
        boxes.append((centre[0] + dx, centre[1] + dy, width, LINE_PX))
        figure.add_annotation(
            x=x,
            y=y,
            text=f"<b>{text}</b>",
            showarrow=bool(dx or dy),
            ax=dx,
            ay=-dy,  # annotation offsets point down the screen
            arrowwidth=0.8,
            arrowcolor="#666",
            arrowhead=0,
            font={"size": 11},
            bgcolor="rgba(255,255,255,0.45)",  # readable over points without hiding them
        )


def _free_offset(centre: np.ndarray, width: float, boxes: list) -> tuple[float, float]:
    """The smallest offset (pixels; tried in rings, up and down first) at which a label box of this ``width``
    centred at ``centre`` overlaps none of ``boxes`` (centre x, centre y, width, height); none moves it."""

    def clear(dx: float, dy: float) -> bool:
        cx, cy = centre[0] + dx, centre[1] + dy
        return all(abs(cx - bx) * 2 >= width + bw or abs(cy - by) * 2 >= LINE_PX + bh for bx, by, bw, bh in boxes)

    for ring in range(0, 7):
        for dx, dy in ((0, ring), (0, -ring), (ring, ring), (-ring, ring), (ring, -ring), (-ring, -ring)):
            if clear(dx * width / 2, dy * LINE_PX):
                return float(dx * width / 2), float(dy * LINE_PX)
    return 0.0, 0.0


def _label_anchor(points: np.ndarray, sample: int = 400) -> tuple[float, float]:
    """Where a topic's label goes: on its most central paper (the one with the smallest median distance to the
    others), so that the label sits on the topic's own points even when the topic is scattered; a fixed sample
    of at most ``sample`` points bounds the work."""
    candidates = points[np.linspace(0, len(points) - 1, min(sample, len(points))).astype(int)]
    distances = np.linalg.norm(candidates[:, None, :] - candidates[None, :, :], axis=-1)
    x, y = candidates[int(np.argmin(np.median(distances, axis=1)))]
    return float(x), float(y)
