"""Digest x topic heatmap of shares, each cell annotated with its count."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from analysis.figures.theme import annotated_heatmap, finish, short


def digest_topic_heatmap(counts: pd.DataFrame) -> go.Figure:
    """Cells: the share of each digest's papers in each topic (colour) and the paper count (text)."""
    digests = list(dict.fromkeys(counts["digest"]))
    order = counts.groupby(["topic", "topic_label"])["count"].sum().sort_values(ascending=False, kind="stable")
    topics = [topic for topic, _ in order.index]
    share = counts.pivot(index="topic", columns="digest", values="share").reindex(index=topics, columns=digests)
    count = counts.pivot(index="topic", columns="digest", values="count").reindex(index=topics, columns=digests)
    text = [
        [f"{c:.0f}<br>{s:.0%}" for c, s in zip(cr, sr, strict=True)]
        for cr, sr in zip(count.to_numpy().T, share.to_numpy().T, strict=True)
    ]
    figure = annotated_heatmap(
        share.to_numpy().T,
        [short(label, 28) for _, label in order.index],
        [short(d, 30) for d in digests],
        text,
        colorbar={"title": "share", "tickformat": ".0%"},
        hovertemplate="%{y}<br>%{x}<br>%{text}<extra></extra>",
    )
    return finish(
        figure,
        "Share of each digest's papers per topic",
        "cell text: papers, share of the digest",
        height=max(320, 44 * len(digests) + 260),
    )
