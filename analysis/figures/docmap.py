"""The document map: each paper at its 2-D projection, coloured by topic, shaped by digest."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analysis.figures.theme import esc, escaped_short, finish, topic_colour
from analysis.overlap import ordered_groups

WEBGL_FROM = 3000  # papers
SYMBOLS = ["circle", "diamond", "square", "triangle-up", "cross", "x", "star", "hexagon", "triangle-down", "pentagon"]


def document_map(papers: pd.DataFrame, coords: np.ndarray) -> go.Figure:
    """Scatter of ``coords`` (one row per paper): colour = topic, symbol = digest, hover = title."""
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
            hovertemplate="%{text}<br>" + escaped_short(label, 40) + " · %{customdata}<extra></extra>",
        )
        # SVG markers export fast and sharp; past a few thousand points only WebGL stays responsive.
        figure.add_trace(go.Scattergl(**trace) if len(papers) > WEBGL_FROM else go.Scatter(**trace))
    for label, group in papers.groupby("topic_label", sort=True):
        x, y = _label_anchor(coords[papers.index.get_indexer(group.index)])
        figure.add_annotation(
            x=x,
            y=y,
            text=f"<b>{escaped_short(label, 28)}</b>",
            showarrow=False,
            font={"size": 11},
            bgcolor="rgba(255,255,255,0.45)",  # readable over points without hiding them
        )
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


def _label_anchor(points: np.ndarray, sample: int = 400) -> tuple[float, float]:
    """Where a topic's label goes: on its most central paper (the one with the smallest median distance to the
    others), so that the label sits on the topic's own points even when the topic is scattered; a fixed sample
    of at most ``sample`` points bounds the work."""
    candidates = points[np.linspace(0, len(points) - 1, min(sample, len(points))).astype(int)]
    distances = np.linalg.norm(candidates[:, None, :] - candidates[None, :, :], axis=-1)
    x, y = candidates[int(np.argmin(np.median(distances, axis=1)))]
    return float(x), float(y)
