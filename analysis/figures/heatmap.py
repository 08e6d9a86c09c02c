"""Digest (or period, or group) x topic heatmap of shares, each cell annotated with its count."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from analysis.figures.theme import annotated_heatmap, bounded, escaped_short, finish, topics_by_size
from analysis.overlap import ordered_groups, unit_of

TEXT_UP_TO = 40  # rows; past that the cells are too thin for their numbers (hover still has them)


def topic_heatmap(counts: pd.DataFrame, *, unit_name: str | None = None) -> go.Figure:
    """Cells: the share of each group's papers in each topic (colour) and the paper count (text); one row per
    group of the table's unit (digest, period...), in the table's order. ``unit_name`` names the unit in the
    titles (e.g. ``month`` for periods)."""
    unit = unit_of(counts)
    name = unit_name or unit
    digests = ordered_groups(counts[unit], unit)
    order = topics_by_size(counts)
    topics = [topic for topic, _ in order.index]
    share = counts.pivot(index="topic", columns=unit, values="share").reindex(index=topics, columns=digests)
    count = counts.pivot(index="topic", columns=unit, values="count").reindex(index=topics, columns=digests)
    text = [
        [f"{c:.0f}<br>{s:.0%}" for c, s in zip(cr, sr, strict=True)]
        for cr, sr in zip(count.to_numpy().T, share.to_numpy().T, strict=True)
    ]
    figure = annotated_heatmap(
        share.to_numpy().T,
        [escaped_short(label, 28) for _, label in order.index],
        [escaped_short(d, 30) for d in digests],
        text,
        colorbar={"title": "share", "tickformat": ".0%"},
        hovertemplate="%{y}<br>%{x}<br>%{text}<extra></extra>",
        show_text=len(digests) <= TEXT_UP_TO,
    )
    span = f" ({digests[0]} – {digests[-1]})" if unit == "period" and len(digests) > 1 else ""
    note = "cell text: papers, share of the " + name if len(digests) <= TEXT_UP_TO else "hover a cell for its papers"
    return finish(
        figure,
        f"Share of each {name}'s papers per topic{span}",
        f"{len(digests)} {name}s; {note}",
        height=bounded((44 if len(digests) <= TEXT_UP_TO else 16) * len(digests) + 260),
    )
