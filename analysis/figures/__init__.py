"""Figures: each a pure function from tables to a ``plotly.graph_objects.Figure``. Which of them a run makes, in
what order and with what caption, is :mod:`analysis.figure_set`'s; writing them as files, :mod:`analysis.export`'s."""

from __future__ import annotations

from analysis.figures.compare import butterfly, similarity_matrix
from analysis.figures.docmap import document_map
from analysis.figures.heatmap import topic_heatmap
from analysis.figures.hierarchy import topic_hierarchy
from analysis.figures.sizes import topic_sizes
from analysis.figures.terms import top_terms
from analysis.figures.treemap import topic_treemap
from analysis.figures.trends import topics_over_time, trend_changes

__all__ = [
    "butterfly",
    "document_map",
    "similarity_matrix",
    "top_terms",
    "topic_heatmap",
    "topic_hierarchy",
    "topic_sizes",
    "topic_treemap",
    "topics_over_time",
    "trend_changes",
]
