"""Top terms of each topic as small multiples."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from analysis.figures.theme import esc, escaped_short, finish, topic_colour


def top_terms(terms: pd.DataFrame, *, n_terms: int = 6, columns: int = 4) -> go.Figure:
    """One small bar chart per topic of its best c-TF-IDF terms (``terms``: topic, topic_label, term, weight)."""
    topics = list(dict.fromkeys(zip(terms["topic"], terms["topic_label"], strict=True)))
    rows = math.ceil(len(topics) / columns)
    figure = make_subplots(
        rows=rows,
        cols=columns,
        subplot_titles=[escaped_short(label, 30) for _, label in topics],
        horizontal_spacing=0.1,
        vertical_spacing=min(0.12, 0.5 / max(rows, 1)),
    )
    for index, (topic, _) in enumerate(topics):
        best = terms[terms["topic"] == topic].nlargest(n_terms, "weight").iloc[::-1]
        figure.add_bar(
            x=best["weight"],
            y=[esc(t) for t in best["term"]],
            orientation="h",
            showlegend=False,
            marker_color=topic_colour(int(topic)),
            row=index // columns + 1,
            col=index % columns + 1,
            hovertemplate="%{y}: %{x:.3f}<extra></extra>",
        )
    figure.update_xaxes(showticklabels=False)
    figure.update_annotations(font_size=12)
    return finish(
        figure,
        "What each topic is about",
        "top terms by c-TF-IDF weight (longer bar = more specific)",
        height=max(360, 190 * rows + 100),
    )
