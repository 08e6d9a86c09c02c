"""The topic hierarchy: a dendrogram of topic centres by cosine distance, nested like the broad topics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.figure_factory as ff
import plotly.graph_objects as go
from scipy.cluster.hierarchy import linkage

from analysis.figures.theme import bounded, finish, short

_STEP = 1e-3  # keeps joins above the cut strictly ordered


def nested_linkage(centres: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, float]:
    """A scipy linkage matrix of the topic ``centres`` (average linkage, cosine) in which every group is one
    subtree: topics are joined within their group first, then the groups are joined above the returned cut
    height (at their own distance, or just above the cut when that is lower).

    >>> centres = np.array([[1, 0, 0], [0.9, 0.1, 0], [0, 1, 0], [0, 0.9, 0.1]])
    >>> tree, cut = nested_linkage(centres, np.array([0, 0, 1, 1]))
    >>> tree[:, :2].astype(int).tolist(), bool(tree[-1, 2] > cut >= tree[1, 2])
    ([[0, 1], [2, 3], [4, 5]], True)
    """
    n = len(centres)
    rows, roots, size = [], [], {i: 1 for i in range(n)}

    def join(ids: list[int], a: float, b: float, height: float) -> None:
        """Append the merge of ``ids[a]`` and ``ids[b]`` (scipy's local numbering) and number it globally."""
        left, right = ids[int(a)], ids[int(b)]
        new = n + len(rows)
        size[new] = size[left] + size[right]
        rows.append([left, right, height, size[new]])
        ids.append(new)

    for group in np.unique(groups):
        ids = list(np.flatnonzero(groups == group))
        if len(ids) > 1:
            for a, b, height, _ in linkage(centres[ids], method="average", metric="cosine"):
                join(ids, a, b, height)
        roots.append(ids[-1])
    cut = max((row[2] for row in rows), default=0.0)
    if len(roots) > 1:
        ids, previous = list(roots), cut
        broad_centres = np.vstack([centres[groups == g].mean(axis=0) for g in np.unique(groups)])
        for a, b, height, _ in linkage(broad_centres, method="average", metric="cosine"):
            previous = max(height, previous + _STEP)
            join(ids, a, b, previous)
    return np.array(rows, dtype=float), float(cut)


def topic_hierarchy(topics: pd.DataFrame, centres: np.ndarray) -> go.Figure:
    """Which topics are close: topics joined lower in the tree have more similar papers. With a
    ``broad_topic`` column, each broad topic is one coloured subtree and the dashed line marks the cut."""
    if len(topics) < 2:
        raise ValueError("a hierarchy needs at least 2 topics")
    labels = [short(label, 36) for label in topics["label"]]
    groups = topics["broad_topic"].to_numpy() if "broad_topic" in topics else np.zeros(len(topics), dtype=int)
    tree, cut = nested_linkage(np.asarray(centres, dtype=float), groups)
    n_broad = len(np.unique(groups))
    figure = ff.create_dendrogram(
        centres,
        orientation="left",
        labels=labels,
        linkagefun=lambda x: tree,
        distfun=lambda x: x,  # linkage takes the observations themselves
        color_threshold=cut + _STEP / 2 if n_broad > 1 else None,
    )
    figure.update_layout(
        xaxis={"title": "cosine distance between topic centres"}, yaxis={"automargin": True}, showlegend=False
    )
    subtitle = "topics joined further left are more alike"
    if n_broad > 1:
        figure.add_vline(x=cut + _STEP / 2, line_dash="dash", line_color="#555")
        subtitle = f"each colour is one of the {n_broad} broad topics, cut at the dashed line; {subtitle}"
    return finish(figure, "How the topics group", subtitle, height=bounded(max(360, 30 * len(topics) + 140)))
