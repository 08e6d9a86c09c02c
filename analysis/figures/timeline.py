"""Topics over time, for digests with dates."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from analysis.figures.theme import finish, short, topic_colour


def topics_over_time(papers: pd.DataFrame) -> go.Figure:
    """Each topic's share of the papers per digest date (lines), for papers whose digest has a date."""
    dated = papers.dropna(subset=["digest_date"])
    if dated["digest_date"].nunique() < 2:
        raise ValueError("topics over time needs digests with at least 2 different dates")
    counts = pd.crosstab(dated["digest_date"], [dated["topic"], dated["topic_label"]])
    shares = counts.div(counts.sum(axis=1), axis=0)
    figure = go.Figure()
    for (topic, label), series in shares.items():
        figure.add_scatter(
            x=series.index,
            y=series.to_numpy(),
            mode="lines+markers",
            name=short(label, 32),
            line={"color": topic_colour(int(topic)), "width": 2},
            marker={"size": 5},
            customdata=counts[(topic, label)].to_numpy(),
            hovertemplate=short(label, 40) + "<br>%{x|%Y-%m-%d}: %{y:.0%} (%{customdata} papers)<extra></extra>",
        )
    figure.update_layout(
        yaxis={"tickformat": ".0%", "title": "share of the date's papers"},
        xaxis_title="digest date",
        legend={"orientation": "v", "y": 1, "x": 1.02, "yanchor": "top"},
    )
    return finish(
        figure, "Topics over time", f"{dated['digest_date'].nunique()} dates; share of each date's papers", height=520
    )
