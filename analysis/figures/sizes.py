"""Topic sizes: one horizontal bar per topic, stacked by digest."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from analysis.figures.theme import digest_colour, finish, short


def topic_sizes(counts: pd.DataFrame) -> go.Figure:
    """Bars of papers per topic (largest on top), stacked by digest, from ``overlap.topic_digest_counts``."""
    order = counts.groupby(["topic", "topic_label"])["count"].sum().sort_values(kind="stable").reset_index()
    labels = [short(label) for label in order["topic_label"]]
    figure = go.Figure()
    for index, (digest, group) in enumerate(counts.groupby("digest", sort=False)):
        values = group.set_index("topic")["count"].reindex(order["topic"]).fillna(0)
        figure.add_bar(
            y=labels,
            x=values,
            orientation="h",
            name=short(digest, 30),
            marker_color=digest_colour(index),
            hovertemplate="%{y}<br>%{x} papers in " + short(digest, 30) + "<extra></extra>",
        )
    figure.update_layout(barmode="stack", xaxis_title="papers", yaxis={"automargin": True})
    total = int(order["count"].sum())
    return finish(
        figure,
        "Topic sizes",
        f"{total} papers in {len(order)} topics; bars stacked by digest",
        height=max(360, 28 * len(order) + 140),
    )
