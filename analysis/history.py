"""Updates that keep the history: new papers placed onto saved topics, reported together with the papers those
topics were saved with, and tested for new themes.

A saved model (:func:`analysis.topics.save_topics`) carries the table of its papers (ids, digests, dates,
titles, abstracts, topics; the vectors stay in the embedding cache). :func:`update` places the new papers onto
the saved topics, joins them to that table (``is_new`` tells them apart), and runs
:func:`analysis.new_themes.find_new_themes` over both, so that trends, overlap and sizes cover the whole span
and what is new comes first. :func:`adopt` makes the new themes topics of an updated model, so the next update
tracks them by name.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.errors import InputError
from analysis.labels import phrase_labels, with_keywords
from analysis.levels import group_centres, unit_rows
from analysis.new_themes import NewThemes, find_new_themes

__all__ = ["HISTORY_COLUMNS", "MAP_COLUMNS", "Update", "adopt", "update"]

# Columns of a run's papers that belong to that run, not to the papers: left out of the saved history.
RUN_COLUMNS = ["period", "topic_similarity", "novel", "is_new", "new_theme"]
HISTORY_COLUMNS = ["topic", "topic_label", "broad_topic", "broad_topic_label"]
# The saved papers' places on the document map: kept with them, so that an update extends the map (reported
# papers do not carry them).
MAP_COLUMNS = ["map_x", "map_y"]


@dataclass
class Update:
    """What :func:`update` found.

    Attributes
    ----------
    papers : DataFrame
        The saved papers then the new ones, with their topics, ``is_new``, and ``new_theme`` (the new theme's
        number, or -1); the new ones also with ``topic_similarity`` and ``novel`` (see
        :meth:`analysis.topics.TopicResult.assign`).
    vectors : ndarray
        One unit-length embedding per row of ``papers``.
    new_themes : DataFrame
        One row per new theme (see :class:`analysis.new_themes.NewThemes`), with ``label``, ``nearest_topic``,
        ``nearest_topic_label``, ``nearest_similarity`` (cosine of the theme's centre to that saved topic's) and
        ``representative_titles`` (its new papers closest to its centre).
    terms : list
        Each new theme's top c-TF-IDF terms with their weights.
    test : NewThemes
        Every candidate tested, for the report.
    repeated : int
        New rows dropped because the saved papers already hold them (same digest and paper).
    saved_map : ndarray or None
        The saved papers' places on the document map (one row each, first in ``papers``); None where the save
        has none (its papers were never placed on a map).
    """

    papers: pd.DataFrame
    vectors: np.ndarray
    new_themes: pd.DataFrame
    terms: list[list[tuple[str, float]]]
    test: NewThemes
    repeated: int
    saved_map: np.ndarray | None = None


def _theme_labels(saved, papers: pd.DataFrame, vectors: np.ndarray, theme: np.ndarray, centres: np.ndarray):
    """A label per new theme, made as the fitted topics' are (:func:`analysis.labels.phrase_labels`): the phrase
    most specific to its papers against the papers of each saved topic, never a saved topic's label."""
    from analysis.embeddings import paper_texts

    n = len(centres)
    position = pd.Index(saved.topics["topic"]).get_indexer(papers["topic"])
    groups = np.where(theme >= 0, theme, n + position)
    own = np.where(theme >= 0, theme, 0)
    similarity = np.where(
        theme >= 0,
        np.einsum("ij,ij->i", vectors, centres[own]) if n else 0.0,
        np.einsum("ij,ij->i", vectors, saved.centres[position]),
    )
    texts = with_keywords(paper_texts(papers), papers)
    names = phrase_labels(texts, groups, similarity, avoid=[*saved.topics["label"], *saved.broad["label"]])
    return names.labels[:n]


def _describe(saved, papers: pd.DataFrame, vectors: np.ndarray, found: NewThemes) -> pd.DataFrame:
    """The new themes' table with a label (see :func:`_theme_labels`), top terms (in the saved model's
    vocabulary), the nearest saved topic and the titles of its new papers closest to its centre."""
    from analysis.embeddings import paper_texts
    from analysis.topics import N_TERMS, group_terms, representative_titles

    table, n = found.table.copy(), len(found.table)
    members = found.theme >= 0
    texts = paper_texts(papers.loc[members])
    terms = group_terms(saved.model, texts, found.theme[members], N_TERMS, n_groups=n) if n else []
    words = [[term for term, _ in pairs] for pairs in terms]
    centres = group_centres(vectors, found.theme, range(n)) if n else np.zeros((0, vectors.shape[1]))
    labels = _theme_labels(saved, papers, vectors, found.theme, centres) if n else []
    similarity = centres @ saved.centres.T
    nearest = similarity.argmax(axis=1) if n else np.zeros(0, int)
    is_new = papers["is_new"].to_numpy()
    representative = [
        representative_titles(papers, np.flatnonzero((found.theme == k) & is_new), vectors @ centres[k])
        for k in range(n)
    ]
    table.insert(1, "label", labels)
    table["top_terms"] = ["; ".join(w) for w in words]
    table["nearest_topic"] = saved.topics["topic"].to_numpy()[nearest].astype(int)
    table["nearest_topic_label"] = saved.topics["label"].to_numpy()[nearest]
    table["nearest_similarity"] = similarity[np.arange(n), nearest].round(3)
    table["representative_titles"] = representative
    return table, terms


def update(
    saved, papers: pd.DataFrame, vectors: np.ndarray, history_vectors: np.ndarray, *, seed: int = 42, client=None
) -> Update:
    """Place ``papers`` (with their ``vectors``) onto the ``saved`` topics (a loaded
    :class:`~analysis.topics.TopicResult` whose ``papers`` is its history, embedded as ``history_vectors``) and
    test saved + new papers for new themes."""
    history = saved.papers
    saved_map = None
    if set(MAP_COLUMNS) <= set(history.columns):
        saved_map = history[MAP_COLUMNS].to_numpy(dtype=float)
        saved_map = saved_map if len(saved_map) and np.isfinite(saved_map).all() else None
    history = history.drop(columns=MAP_COLUMNS, errors="ignore")
    key = ["digest", "paper_id"]
    known = (
        pd.MultiIndex.from_frame(history[key].astype(str)) if len(history) else pd.MultiIndex.from_tuples([], names=key)
    )
    repeated = pd.MultiIndex.from_frame(papers[key].astype(str)).isin(known)
    if len(papers) and repeated.all():
        raise InputError(
            f"all {len(papers)} papers are already in the saved model (the same digests): nothing to add "
            "(were these digests added before?)"
        )
    papers, vectors = papers.loc[~repeated].reset_index(drop=True), np.asarray(vectors)[~repeated]
    placed = saved.assign(papers, embeddings=vectors, client=client)
    combined = pd.concat([history.assign(is_new=False), placed.assign(is_new=True)], ignore_index=True, sort=False)
    combined["n_digests"] = combined.groupby("paper_id")["digest"].transform("nunique").astype(int)
    all_vectors = unit_rows(np.vstack([np.asarray(history_vectors).reshape(len(history), -1), vectors]))
    found = find_new_themes(
        all_vectors, combined["is_new"].to_numpy(), n_topics=len(saved.topics), seed=seed, topics=combined["topic"]
    )
    combined["new_theme"] = found.theme
    table, terms = _describe(saved, combined, all_vectors, found)
    vectors = np.asarray(all_vectors, dtype=np.float32)  # no copy where they are float32 already
    return Update(combined, vectors, table, terms, found, int(repeated.sum()), saved_map)


def adopt(saved, result: Update):
    """``saved`` with ``result``'s new themes as topics: each a fine topic in a broad topic of its own, numbered
    after the saved ones, with the theme's papers (saved and new) moved into it; the papers are the update's,
    so the next update reports over them all."""
    themes = result.new_themes
    papers = result.papers.copy()
    n_fine, n_broad = len(saved.topics), len(saved.broad)
    fine_rows, broad_rows, terms, means = [], [], [saved.terms], []
    for k, theme in themes.iterrows():
        members = papers["new_theme"].to_numpy() == k
        fine_id, broad_id, label = n_fine + k, n_broad + k, theme["label"]
        papers.loc[members, HISTORY_COLUMNS] = [fine_id, label, broad_id, label]
        means.append(result.vectors[members].mean(axis=0))  # the k-means centre of its papers
        shared = {
            "label": label,
            "label_source": "phrase",
            "size": int(members.sum()),
            "top_terms": theme["top_terms"],
            "representative_titles": theme["representative_titles"],
            "label_share": np.nan,  # named in the saved vocabulary, not by the papers' phrases
            "mixed": False,
            "stability": np.nan,  # not refitted: unknown
        }
        fine_rows.append({"topic": fine_id, **shared, "broad_topic": broad_id, "broad_topic_label": label})
        broad_rows.append({"broad_topic": broad_id, **shared, "n_topics": 1, "topics": label})
        terms.append(
            pd.DataFrame(
                [(fine_id, label, term, weight) for term, weight in result.terms[k]], columns=saved.terms.columns
            )
        )
    topics = pd.concat([saved.topics, pd.DataFrame(fine_rows, columns=saved.topics.columns)], ignore_index=True)
    broad = pd.concat([saved.broad, pd.DataFrame(broad_rows, columns=saved.broad.columns)], ignore_index=True)
    means = np.array(means, dtype=np.float32) if means else np.zeros((0, saved.centres.shape[1]), np.float32)
    return dataclasses.replace(
        saved,
        papers=papers,
        topics=topics,
        broad=broad,
        centres=np.vstack([saved.centres, unit_rows(means)]).astype(np.float32),
        centroids=np.vstack([saved.centroids, means]).astype(np.float32),
        broad_centroids=np.vstack([saved.broad_centroids, means]).astype(np.float32),
        params=dataclasses.replace(saved.params, n_topics=len(topics), n_broad=len(broad)),
        terms=pd.concat(terms, ignore_index=True),
    )
