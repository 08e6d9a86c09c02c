"""Both topic levels at once: a treemap of broad topics split into their fine topics."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from analysis.figures.theme import bounded, escaped_short, finish, topic_colour


def topic_treemap(topics: pd.DataFrame) -> go.Figure:
    """Broad topics as coloured blocks, each split into its fine topics, area = papers; each fine topic shows
    its stability (0–1), so a reader sees which themes are solid. ``topics`` is the fine topics table with
    ``broad_topic``, ``broad_topic_label`` and ``stability``."""
    broad = topics.groupby(["broad_topic", "broad_topic_label"], sort=True)["size"].sum().reset_index()
    ids = [f"b{b}" for b in broad["broad_topic"]] + [f"t{t}" for t in topics["topic"]]
    labels = [escaped_short(label, 40) for label in broad["broad_topic_label"]] + [
        escaped_short(label, 30) for label in topics["label"]
    ]
    parents = [""] * len(broad) + [f"b{b}" for b in topics["broad_topic"]]
    values = broad["size"].tolist() + topics["size"].tolist()
    stability = [""] * len(broad) + [f"stability {s:.2f}" for s in topics["stability"]]
    colours = [topic_colour(int(b)) for b in broad["broad_topic"]] + [
        topic_colour(int(b)) for b in topics["broad_topic"]
    ]
    figure = go.Figure(
        go.Treemap(
            ids=ids,
            labels=labels,
            parents=parents,
            values=values,
            branchvalues="total",
            customdata=stability,
            marker={"colors": colours, "line": {"width": 1, "color": "white"}},
            texttemplate="%{label}<br>%{value} papers<br>%{customdata}",
            hovertemplate="%{label}<br>%{value} papers (%{percentRoot:.0%})<br>%{customdata}<extra></extra>",
            pathbar={"visible": False},
            tiling={"pad": 2},
        )
    )
    total = int(topics["size"].sum())
    return finish(
        figure,
        "Broad topics and the themes within them",
        f"{total} papers in {len(broad)} broad and {len(topics)} fine topics; area = papers; stability 0–1 "
        "(above 0.75 solid, below 0.5 may not recur in another run)",
        height=bounded(560 + 4 * len(topics)),
    )
