"""Figures: each a pure function from tables to a ``plotly.graph_objects.Figure``; :func:`build_figures` makes
every figure that applies to the data, in report order."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analysis.figures.compare import digest_butterfly, digest_similarity_matrix
from analysis.figures.docmap import document_map
from analysis.figures.heatmap import digest_topic_heatmap
from analysis.figures.hierarchy import topic_hierarchy
from analysis.figures.sizes import topic_sizes
from analysis.figures.terms import top_terms
from analysis.figures.timeline import topics_over_time

__all__ = [
    "build_figures",
    "digest_butterfly",
    "digest_similarity_matrix",
    "digest_topic_heatmap",
    "document_map",
    "top_terms",
    "topic_hierarchy",
    "topic_sizes",
    "topics_over_time",
]


def build_figures(
    papers: pd.DataFrame,
    topics: pd.DataFrame,
    terms: pd.DataFrame,
    centres: np.ndarray,
    overlap: dict[str, pd.DataFrame],
    coords: np.ndarray,
) -> dict[str, go.Figure]:
    """Every figure that the data supports, by file name: a butterfly chart for exactly two digests, a
    similarity matrix for three or more, topics over time for two or more digest dates, a hierarchy for two
    or more topics."""
    counts = overlap["counts"]
    n_digests = counts["digest"].nunique()
    figures = {"topic_sizes": topic_sizes(counts), "digest_topic_heatmap": digest_topic_heatmap(counts)}
    if n_digests == 2:
        figures["digest_butterfly"] = digest_butterfly(counts)
    elif n_digests >= 3:
        figures["digest_similarity"] = digest_similarity_matrix(overlap["similarity"])
    figures["document_map"] = document_map(papers, coords)
    figures["top_terms"] = top_terms(terms)
    if papers["digest_date"].nunique() >= 2:
        figures["topics_over_time"] = topics_over_time(papers)
    if len(topics) >= 2:
        figures["topic_hierarchy"] = topic_hierarchy(topics, centres)
    return figures
