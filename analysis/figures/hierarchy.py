"""The topic hierarchy: a dendrogram of topic centres by cosine distance."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.figure_factory as ff
import plotly.graph_objects as go
from scipy.cluster.hierarchy import linkage

from analysis.figures.theme import finish, short


def topic_hierarchy(topics: pd.DataFrame, centres: np.ndarray) -> go.Figure:
    """Which topics are close: topics joined lower in the tree have more similar papers."""
    if len(topics) < 2:
        raise ValueError("a hierarchy needs at least 2 topics")
    labels = [short(label, 36) for label in topics["label"]]
    figure = ff.create_dendrogram(
        centres,
        orientation="left",
        labels=labels,
        linkagefun=lambda x: linkage(x, method="average", metric="cosine"),
        distfun=lambda x: x,  # linkage takes the observations themselves
    )
    figure.update_layout(
        xaxis={"title": "cosine distance between topic centres"}, yaxis={"automargin": True}, showlegend=False
    )
    return finish(
        figure,
        "How the topics group",
        "topics joined further left are more alike",
        height=max(360, 30 * len(topics) + 140),
    )
