"""The topic hierarchy: a dendrogram of topic centres by cosine distance, nested like the broad topics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from scipy.cluster.hierarchy import dendrogram, linkage

from analysis.errors import InputError
from analysis.figures.theme import bounded, escaped_short, finish, topic_colour

_STEP = 1e-3  # keeps joins above the cut strictly ordered
_ABOVE_CUT = "#9e9e9e"


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
    ``broad_topic`` column, each broad topic is one subtree in its colour (that of the treemap) and the dashed
    line marks the cut."""
    if len(topics) < 2:
        raise InputError("a hierarchy needs at least 2 topics")
    groups = topics["broad_topic"].to_numpy() if "broad_topic" in topics else np.zeros(len(topics), dtype=int)
    tree, cut = nested_linkage(np.asarray(centres, dtype=float), groups)
    n = len(topics)
    group_of = dict(enumerate(groups))  # node id -> broad topic, for leaves and the joins within one
    for row, (left, right, height, _) in enumerate(tree):
        same = group_of.get(int(left)) == group_of.get(int(right))
        group_of[n + row] = group_of[int(left)] if same and height <= cut else None
    n_broad = len(np.unique(groups))
    colour = {}
    for node, group in group_of.items():
        colour[node] = _ABOVE_CUT if group is None or n_broad == 1 else topic_colour(int(group))
    labels = [escaped_short(label, 36) for label in topics["label"]]
    tree_plot = dendrogram(tree, labels=labels, no_plot=True, link_color_func=colour.get)
    lines: dict[str, tuple[list, list]] = {}
    for xs, ys, line_colour in zip(tree_plot["dcoord"], tree_plot["icoord"], tree_plot["color_list"], strict=True):
        x, y = lines.setdefault(line_colour, ([], []))
        x.extend([*xs, None])
        y.extend([*(-v for v in ys), None])
    figure = go.Figure(
        [
            go.Scatter(x=x, y=y, mode="lines", line={"color": line_colour, "width": 2}, hoverinfo="skip")
            for line_colour, (x, y) in lines.items()
        ]
    )
    leaves = -(10 * np.arange(n) + 5.0)  # scipy puts leaf i of the drawing order at 10 i + 5
    figure.update_layout(
        xaxis={"title": "cosine distance between topic centres", "range": [0, 1.04 * tree[-1, 2]], "zeroline": False},
        yaxis={"tickmode": "array", "tickvals": leaves.tolist(), "ticktext": tree_plot["ivl"], "automargin": True},
        showlegend=False,
    )
    subtitle = "topics joined further left are more alike"
    if n_broad > 1:
        figure.add_vline(x=cut + _STEP / 2, line_dash="dash", line_color="#555")
        subtitle = f"each colour is one of the {n_broad} broad topics, cut at the dashed line; {subtitle}"
    return finish(figure, "How the topics group", subtitle, height=bounded(max(360, 30 * len(topics) + 140)))
