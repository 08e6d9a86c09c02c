"""The figures of a run: every figure that the data supports, in report order, and how to read each."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analysis._io import file_stem
from analysis.figures import (
    butterfly,
    document_map,
    similarity_matrix,
    top_terms,
    topic_heatmap,
    topic_hierarchy,
    topic_sizes,
    topic_treemap,
    topics_over_time,
    trend_changes,
)
from analysis.levels import RECURS, SOLID
from analysis.overlap import OverlapTables
from analysis.projection import TSNE_FROM, UMAP_FROM
from analysis.trends import Trends

__all__ = ["CAPTIONS", "build_figures", "caption"]


# How to read each figure, by the end of its name (the unit, digest or period, comes first in some names).
CAPTIONS = {
    "topics_over_time": "One panel per topic: its share of each period's papers (dots, larger for busier periods), "
    "the fitted trend and its 95% band. Coloured panels changed beyond the period-to-period noise; grey ones are "
    "steady.",
    "trend_changes": "Each topic's change in share per year as an odds ratio with its 95% interval (1 = no "
    "change); filled markers are significant after Benjamini-Hochberg correction.",
    "broad_trend_changes": "The same for the broad topics.",
    "topic_treemap": "Broad topics as blocks split into their fine topics; area is papers, and the text gives "
    f"each topic's stability (0-1: above {SOLID} solid, below {RECURS} may not recur in another run).",
    "topic_sizes": "Papers per topic, largest on top; each bar is split by digest (or period).",
    "_topic_heatmap": "Share of each digest's (or period's) papers in each topic: compare along a row to see where "
    "a theme is concentrated.",
    "_butterfly": "The two digests side by side: each topic's share of the left and of the right digest.",
    "_similarity": "How alike the digests (or periods) are in their mix of topics: Jensen-Shannon distance of the "
    "topic shares, 0 = the same mix.",
    "document_map": "Every paper placed in 2-D so that papers with similar abstracts are close (PCA below "
    f"{TSNE_FROM} papers, t-SNE below {UMAP_FROM:,}, UMAP from {UMAP_FROM:,}); colour is the topic. Distances "
    "between far-apart groups mean little. In an update, the new papers are outlined and each new theme is "
    "labelled on its papers.",
    "top_terms": "For each topic, the terms most specific to it (c-TF-IDF weight): the longer the bar, the more "
    "the term sets the topic apart.",
    "topic_hierarchy": "How the fine topics merge by the similarity of their centres; each broad topic is one "
    "coloured subtree and the dashed line is where the tree is cut into broad topics.",
}


def caption(name: str) -> str:
    """How to read the figure called ``name`` (a key of :func:`build_figures`), or ``""``."""
    return next((text for key, text in CAPTIONS.items() if name == key or (key[0] == "_" and name.endswith(key))), "")


def build_figures(
    papers: pd.DataFrame,
    topics: pd.DataFrame,
    terms: pd.DataFrame,
    centres: np.ndarray,
    overlap: OverlapTables,
    coords: np.ndarray,
    trends: Trends | None = None,
    broad_trends: Trends | None = None,
    new_themes: dict[int, str] | None = None,
) -> dict[str, go.Figure]:
    """Every figure that the data supports, by file name: with ``trends``, topics over time, the ranked
    changes and a period x topic heatmap first (with ``broad_trends``, the broad topics' changes too); then the
    broad/fine treemap (when ``topics`` has ``broad_topic``), topic sizes and the heatmap of the overlap unit; a
    butterfly chart for exactly two groups, a similarity matrix for three or more; the document map, top
    terms, and a hierarchy for two or more topics."""
    figures = {}
    if trends is not None:
        figures["topics_over_time"] = topics_over_time(trends)
        figures["trend_changes"] = trend_changes(trends)
        if overlap.unit != "period":
            figures["period_topic_heatmap"] = topic_heatmap(trends.shares, unit_name=trends.unit)
    if broad_trends is not None:
        figures["broad_trend_changes"] = trend_changes(broad_trends, level="broad topics")
    if "broad_topic" in topics and len(topics) >= 2:
        figures["topic_treemap"] = topic_treemap(topics)
    counts = overlap.counts
    n_groups = counts[overlap.unit].nunique()
    name = trends.unit if trends is not None and overlap.unit == "period" else overlap.unit
    figures["topic_sizes"] = topic_sizes(counts)
    stem = file_stem(overlap.unit)  # the unit may be any column's name: never a path or markup
    figures[f"{stem}_topic_heatmap"] = topic_heatmap(counts, unit_name=name)
    if n_groups == 2:
        figures[f"{stem}_butterfly"] = butterfly(counts)
    elif n_groups >= 3:
        figures[f"{stem}_similarity"] = similarity_matrix(overlap.similarity, name)
    figures["document_map"] = document_map(papers, coords, new_themes)
    figures["top_terms"] = top_terms(terms)
    if len(topics) >= 2:
        figures["topic_hierarchy"] = topic_hierarchy(topics, centres)
    return figures
