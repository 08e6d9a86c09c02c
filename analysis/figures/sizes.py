"""Topic sizes: one horizontal bar per topic, stacked by digest (or period, or group) when there are few."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from analysis.figures.theme import (
    MAX_LEGEND,
    bounded,
    digest_colour,
    escaped_short,
    finish,
    in_template,
    topics_by_size,
)
from analysis.overlap import unit_of


def topic_sizes(counts: pd.DataFrame) -> go.Figure:
    """Bars of papers per topic (largest on top), from ``overlap.topic_digest_counts``; stacked by the table's
    unit (digest, period...) when it has at most ``MAX_LEGEND`` groups, one bar per topic otherwise.

    >>> from analysis.overlap import topic_digest_counts
    >>> papers = pd.DataFrame({"digest": list("AAAB"), "topic": [0, 0, 1, 1],
    ...                        "topic_label": ["KV cache", "KV cache", "Agents", "Agents"]})
    >>> figure = topic_sizes(topic_digest_counts(papers))
    >>> figure.layout.title.text.split("<br>")[0]
    'Topic sizes'
    >>> [(bar.name, list(bar.y), [int(x) for x in bar.x]) for bar in figure.data]  # largest topic on top
    [('A', ['Agents', 'KV cache'], [1, 2]), ('B', ['Agents', 'KV cache'], [1, 0])]
    """
    unit = unit_of(counts)
    order = topics_by_size(counts).iloc[::-1].reset_index()  # the first bar is drawn lowest: largest on top
    labels = [escaped_short(label) for label in order["topic_label"]]
    n_groups = counts[unit].nunique()
    stacked = n_groups <= MAX_LEGEND
    if not stacked:
        counts = counts.assign(**{unit: f"all {n_groups} {unit}s"})
    figure = go.Figure()
    for index, (digest, group) in enumerate(counts.groupby(unit, sort=False)):
        values = group.groupby("topic")["count"].sum().reindex(order["topic"]).fillna(0)
        figure.add_bar(
            y=labels,
            x=values,
            orientation="h",
            name=escaped_short(digest, 30),
            marker_color=digest_colour(index),
            hovertemplate="%{y}<br>%{x} papers in " + in_template(escaped_short(digest, 30)) + "<extra></extra>",
        )
    figure.update_layout(
        barmode="stack",
        xaxis_title="papers",
        yaxis={"automargin": True},
        showlegend=stacked and n_groups > 1,
        legend_traceorder="normal",  # left to right as the segments stack (Plotly reverses stacked bars)
        margin_b=90,
    )
    total = int(order["count"].sum())
    split = f"bars stacked by {unit}" if stacked else f"{n_groups} {unit}s together"
    return finish(
        figure, "Topic sizes", f"{total} papers in {len(order)} topics; {split}", height=bounded(28 * len(order) + 140)
    )
