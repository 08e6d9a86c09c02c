"""Comparing digests: a butterfly chart for two, a similarity matrix for three or more."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from analysis.errors import InputError
from analysis.figures.theme import (
    annotated_heatmap,
    bounded,
    digest_colour,
    esc,
    escaped_short,
    finish,
    in_template,
    plain_short,
    topics_by_size,
)
from analysis.overlap import ALPHA, ordered_groups, unit_of


def butterfly(enriched: pd.DataFrame, *, alpha: float = ALPHA) -> go.Figure:
    """Two digests back to back: each topic's share of the left digest (left) and the right digest (right);
    topics whose shares differ with q < ``alpha`` (Fisher's exact test, BH) are marked with ★ and their q."""
    unit = unit_of(enriched)
    digests = ordered_groups(enriched[unit], unit)
    if len(digests) != 2:
        raise InputError(f"a butterfly chart compares exactly 2 {unit}s, got {len(digests)}")
    left, right = (enriched[enriched[unit] == d].set_index("topic") for d in digests)
    # largest on top (the first bar is drawn lowest): the same order as the topic sizes and the heatmap
    order = [topic for topic, _ in topics_by_size(enriched).index[::-1]]
    left, right = left.loc[order], right.loc[order]
    labels = []
    for topic in order:
        q = left.at[topic, "q_value"]
        labels.append(escaped_short(left.at[topic, "topic_label"]) + (f" ★ q={q:.2g}" if q < alpha else ""))
    figure = go.Figure()
    for side, frame, sign in ((0, left, -1), (1, right, 1)):
        figure.add_bar(
            y=labels,
            x=sign * frame["share"],
            orientation="h",
            name=escaped_short(digests[side], 30),
            marker_color=digest_colour(side),
            customdata=frame[["count", "share"]].to_numpy(),
            text=[f"{s:.0%}" for s in frame["share"]],
            textposition="outside",
            hovertemplate="%{y}<br>%{customdata[0]} papers, %{customdata[1]:.1%} of the "
            + in_template(esc(unit))
            + "<extra></extra>",
        )
    limit = float(max(left["share"].max(), right["share"].max())) * 1.25
    step = 0.1 if limit > 0.3 else 0.05 if limit > 0.1 else 0.02
    ticks = [i * step for i in range(-int(limit / step), int(limit / step) + 1)]
    figure.update_layout(
        barmode="overlay",
        bargap=0.25,
        yaxis={"automargin": True},
        xaxis={
            "range": [-limit, limit],
            "tickvals": ticks,
            "ticktext": [f"{abs(t):.0%}" for t in ticks],
            "title": f"share of the {unit}'s papers",
            "zeroline": True,
        },
    )
    return finish(
        figure,
        f"{plain_short(digests[0], 30)} vs {plain_short(digests[1], 30)}",
        f"★ = shares differ, Fisher's exact test, Benjamini–Hochberg q < {alpha}",
        height=bounded(30 * len(order) + 160),
    )


def similarity_matrix(similarity: pd.DataFrame, unit: str = "digest") -> go.Figure:
    """Group x group (digest x digest by default) Jensen–Shannon distance between topic mixes (0 = same mix,
    1 = nothing in common)."""
    names = [escaped_short(d, 30) for d in similarity.index]
    values = similarity.to_numpy()
    show_text = len(names) <= 25
    figure = annotated_heatmap(
        values,
        names,
        names,
        [[f"{v:.2f}" for v in row] for row in values],
        colorbar={"title": "JS distance"},
        hovertemplate="%{y} vs %{x}: %{z:.2f}<extra></extra>",
        zmax=1,
        show_text=show_text,
    )
    return finish(
        figure,
        f"How different are the {unit}s' topic mixes?",
        f"{len(names)} {unit}s; Jensen–Shannon distance between topic shares: 0 = same mix, 1 = no topic in common",
        height=bounded((30 if show_text else 12) * len(names) + 220),
    )
