"""The document map: each paper at its 2-D projection, coloured by topic, shaped by digest."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analysis.figures.theme import esc, finish, short, topic_colour

WEBGL_FROM = 3000  # papers
SYMBOLS = ["circle", "diamond", "square", "triangle-up", "cross", "x", "star", "hexagon", "triangle-down", "pentagon"]


def document_map(papers: pd.DataFrame, coords: np.ndarray) -> go.Figure:
    """Scatter of ``coords`` (one row per paper): colour = topic, symbol = digest, hover = title."""
    digests = list(dict.fromkeys(papers["digest"]))
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
            name=short(label, 32),
            marker={
                "color": topic_colour(int(topic)),
                "size": 7,
                "opacity": 0.8,
                "symbol": [symbol[d] for d in group["digest"]] if shaped else "circle",
                "line": {"width": 0.5, "color": "white"},
            },
            text=[esc(t) for t in group["title"]],
            customdata=[esc(d) for d in group["digest"]],
            hovertemplate="%{text}<br>" + short(label, 40) + " · %{customdata}<extra></extra>",
        )
        # SVG markers export fast and sharp; past a few thousand points only WebGL stays responsive.
        figure.add_trace(go.Scattergl(**trace) if len(papers) > WEBGL_FROM else go.Scatter(**trace))
    centres = pd.DataFrame(coords, index=papers.index).groupby(papers["topic_label"]).median()
    for label, (x, y) in centres.iterrows():
        figure.add_annotation(
            x=x,
            y=y,
            text=f"<b>{short(label, 28)}</b>",
            showarrow=False,
            font={"size": 11},
            bgcolor="rgba(255,255,255,0.7)",
        )
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False)
    figure.update_layout(legend={"orientation": "v", "y": 1, "x": 1.01, "yanchor": "top", "xanchor": "left"})
    if len(digests) <= 4:
        digest_note = "; " + ", ".join(f"{s} = {short(d, 20)}" for d, s in symbol.items())
    else:
        digest_note = "; symbol = digest" if len(digests) <= len(SYMBOLS) else ""
    return finish(
        figure, "Map of the papers", f"nearby papers have similar abstracts; colour = topic{digest_note}", height=640
    )
