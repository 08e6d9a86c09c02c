"""The update: new papers placed onto saved topics, reported together with the papers those topics were saved
with, tested for new themes, and (asked for) the new themes made topics; one stage, :func:`update` ->
:class:`Update`.

A saved model (:mod:`analysis.store`) carries the table of its papers (ids, digests, dates, titles, abstracts,
topics, places on the map; the vectors stay in the embedding cache). :func:`update` places the new papers onto
the saved topics (:func:`place`, the fit's own rule), joins them to that table (``is_new`` tells them apart),
runs :func:`analysis.new_themes.find_new_themes` over both, so that trends, overlap and sizes cover the whole
span and what is new comes first, extends the saved document map by the new papers, and with ``adopt`` makes
the new themes topics of the model it returns (:func:`adopt_themes`), so the next update tracks them by name. What a
user should know comes back as :attr:`Update.messages`, not printed.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis._io import plural
from analysis.columns import MAP_COLUMNS, TOPIC_COLUMNS, require
from analysis.embeddings import Embedder, paper_texts
from analysis.errors import InputError
from analysis.labels import phrase_labels, with_keywords
from analysis.levels import group_centres, unit_rows
from analysis.levels import place as nearest_topics
from analysis.new_themes import ALPHA, MIN_NEW_PAPERS, MIN_RATE_RATIO, NewThemes, find_new_themes
from analysis.projection import extend_2d, project_2d
from analysis.terms import N_TERMS, group_terms, group_weights, representative_titles

__all__ = ["Update", "adopt_themes", "place", "this_update", "update"]


@dataclass
class Update:
    """What :func:`update` found and made.

    Attributes
    ----------
    papers : DataFrame
        The saved papers then the new ones, with their topics, ``is_new``, and ``new_theme`` (the new theme's
        number, or -1); the new ones also with ``topic_similarity`` and ``novel`` (see
        :func:`place`).
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
    weights : sparse matrix or None
        Each new theme's c-TF-IDF row in the saved model's vocabulary (None without new themes).
    model : TopicResult
        The topics to report and to save: the saved ones holding ``papers``, or with ``adopt`` the adopted
        themes' too (its ``papers`` then give them their members).
    coords : ndarray
        Each paper's place on the document map: the saved papers where the reader left them, the new ones beside
        their nearest neighbours (a map of all of them where the save has none).
    messages : list of str
        What the run says, in order: repeated papers left out, the placement, the new themes, adoption.
    notes : list of str
        Those of ``messages`` the report repeats (where the adopted themes' saved papers went).
    """

    papers: pd.DataFrame
    vectors: np.ndarray
    new_themes: pd.DataFrame
    terms: list[list[tuple[str, float]]]
    test: NewThemes
    repeated: int
    saved_map: np.ndarray | None = None
    weights: object = None
    model: object = None
    coords: np.ndarray | None = None
    messages: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _theme_labels(saved, papers: pd.DataFrame, vectors: np.ndarray, theme: np.ndarray, centres: np.ndarray):
    """A label per new theme, made as the fitted topics' are (:func:`analysis.labels.phrase_labels`): the phrase
    most specific to its papers against the papers of each saved topic, never a saved topic's label."""
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


def _describe(saved, papers: pd.DataFrame, vectors: np.ndarray, found: NewThemes) -> tuple[pd.DataFrame, list, object]:
    """The new themes' table with a label (see :func:`_theme_labels`), top terms (in the saved model's
    vocabulary), the nearest saved topic and the titles of its new papers closest to its centre; with each
    theme's top ``(term, weight)`` pairs and its c-TF-IDF rows: ``(table, terms, weights)``."""
    table, n = found.table.copy(), len(found.table)
    members = found.theme >= 0
    texts = paper_texts(papers.loc[members])
    weights = group_weights(saved.model, texts, found.theme[members], n_groups=n) if n else None
    terms = group_terms(saved.model, texts, found.theme[members], N_TERMS, weights=weights) if n else []
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
    return table, terms, weights


def place(saved, papers: pd.DataFrame, vectors: np.ndarray, *, cluster=None) -> pd.DataFrame:
    """``papers`` (embedded as ``vectors``) each placed onto its ``saved`` topic by the rule the fit itself
    assigned by: the nearest broad k-means centre, then the nearest fine one in it, so the papers the topics
    were fitted on get their own topics back. Adds ``topic``, ``topic_label``, ``broad_topic``,
    ``broad_topic_label``, ``topic_similarity`` (cosine to the topic's centre) and ``novel``: farther from its
    topic than all but 2% of the fitted papers. With a ``cluster`` (:class:`analysis.dask_cluster.DaskCluster`),
    the placement's blocks run through its ``map_blocks``."""
    vectors = np.asarray(unit_rows(np.asarray(vectors)), dtype=np.float32)
    map_blocks = None if cluster is None else cluster.map_blocks
    # an adopted theme is a region of its own at the broad level (placed onto as its own broad topic was),
    # though it is reported in the broad topic it joined
    regions, region_of = saved.broad_centroids, saved.topics["broad_topic"].to_numpy(int)
    adopted = np.flatnonzero(saved.topics["adopted"].to_numpy(bool)) if "adopted" in saved.topics else []
    if len(adopted):
        regions = np.vstack([regions, saved.centroids[adopted]])
        region_of = region_of.copy()
        region_of[adopted] = len(saved.broad_centroids) + np.arange(len(adopted))
    nearest = nearest_topics(vectors, regions, saved.centroids, region_of, map_blocks)
    similarity = np.einsum("ij,ij->i", vectors, saved.centres[nearest]) if len(vectors) else np.zeros(0)
    out = papers.copy()
    out["topic"] = saved.topics["topic"].to_numpy()[nearest].astype(int)
    out["topic_label"] = saved.topics["label"].to_numpy()[nearest]
    out["broad_topic"] = saved.topics["broad_topic"].to_numpy()[nearest].astype(int)
    out["broad_topic_label"] = saved.topics["broad_topic_label"].to_numpy()[nearest]
    out["topic_similarity"] = similarity.round(4)
    out["novel"] = out["topic_similarity"] < saved.params.novelty_threshold
    return out


def update(
    saved,
    papers: pd.DataFrame,
    vectors: np.ndarray,
    *,
    seed: int = 42,
    adopt: bool = False,
    move_saved: bool = False,
    history_vectors: np.ndarray | None = None,
    embedder: Embedder | None = None,
    cluster=None,
) -> Update:
    """Place ``papers`` (with their ``vectors``) onto the ``saved`` topics (a loaded
    :class:`~analysis.topics.TopicResult` whose ``papers`` is its history), test saved + new papers for new
    themes, extend the saved map, and with ``adopt`` make the new themes topics (:func:`adopt_themes`; ``move_saved``
    moves their saved papers too). ``history_vectors``: the saved papers' embeddings, by default embedded (from
    the cache) with ``embedder``, the saved model's own by default. ``seed`` is the new-theme search's and, for
    a save without a map, the map's."""
    require(papers, ["digest", "paper_id", "title", "abstract"], "an update's new papers")
    history = saved.papers
    if history_vectors is None:
        embedder = embedder or Embedder.of_fit(saved.params, cluster=cluster)
        history_vectors = embedder.embed_papers(history)
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
    placed = place(saved, papers, vectors, cluster=cluster)
    combined = pd.concat([history.assign(is_new=False), placed.assign(is_new=True)], ignore_index=True, sort=False)
    # the topic of each paper's first report: kept from the save (topics saved before it: their topic), placed
    first = combined["first_topic"] if "first_topic" in combined else pd.Series(np.nan, index=combined.index)
    combined["first_topic"] = first.fillna(combined["topic"]).astype(int)
    combined["n_digests"] = combined.groupby("paper_id")["digest"].transform("nunique").astype(int)
    all_vectors = unit_rows(np.vstack([np.asarray(history_vectors).reshape(len(history), -1), vectors]))
    tested = find_new_themes(
        all_vectors, combined["is_new"].to_numpy(), n_topics=len(saved.topics), seed=seed, topics=combined["topic"]
    )
    combined["new_theme"] = tested.theme
    table, terms, weights = _describe(saved, combined, all_vectors, tested)
    vectors = np.asarray(all_vectors, dtype=np.float32)  # no copy where they are float32 already
    found = Update(
        papers=combined,
        vectors=vectors,
        new_themes=table,
        terms=terms,
        test=tested,
        repeated=int(repeated.sum()),
        saved_map=saved_map,
        weights=weights,
    )
    messages, notes = _placed_lines(found, len(saved.topics)), []
    if adopt:
        model, saved_members = adopt_themes(saved, found, move_saved=move_saved)
        if len(table):
            messages.append(f"adopted {plural(len(table), 'new theme')} as topics of the model written to model/")
        notes = [line for line in [_moves(saved_members, move_saved)] if line]
    else:
        model = dataclasses.replace(saved, papers=combined)
    # the saved papers first, where the reader left them; a save without a map gets one
    coords = extend_2d(saved_map, vectors) if saved_map is not None else project_2d(unit_rows(vectors), seed=seed)
    return dataclasses.replace(found, model=model, coords=coords, messages=messages + notes, notes=notes)


def _placed_lines(result: Update, n_saved_topics: int) -> list[str]:
    """What the run says about the placement and the new themes."""
    new, themes = result.papers["is_new"], result.new_themes
    lines = [f"{plural(result.repeated, 'paper')} already in the saved papers (same digest) left out"]
    lines = lines if result.repeated else []
    lines.append(
        f"placed {plural(int(new.sum()), 'new paper')} onto {plural(n_saved_topics, 'saved topic')}, "
        f"beside {plural(int((~new).sum()), 'saved paper')}; {int(result.papers['novel'].sum())} flagged as novel"
    )
    found = (
        f" ({'; '.join(f'{t.label}, {t.new_papers} new papers' for t in themes.itertuples())})" if len(themes) else ""
    )
    lines.append(
        f"new themes: {len(themes)}{found} "
        f"(q < {ALPHA}, at least {MIN_NEW_PAPERS} new papers and {MIN_RATE_RATIO:g}x their share before)"
    )
    return lines


def _moves(saved_members: pd.DataFrame, moved: bool) -> str:
    """The line saying where the adopted themes' saved papers went (``moved``) or stayed."""
    if saved_members.empty:
        return ""
    n = int(saved_members["papers"].sum())
    where = "; ".join(
        f"{theme}: " + ", ".join(f"{row.papers} from {row.topic_label}" for row in rows.itertuples())
        for theme, rows in saved_members.groupby("theme", sort=False)
    )
    if moved:
        return f"moved {plural(n, 'saved paper')} into the adopted themes (--move-saved): {where}"
    return (
        f"{plural(n, 'saved paper')} of the adopted themes keep their topics ({where}); "
        "--move-saved moves them, rewriting those topics' history"
    )


def _parent(saved, centre: np.ndarray) -> int | None:
    """The broad topic an adopted theme with this unit ``centre`` joins: the one whose centre is nearest
    (cosine), unless the theme is farther from it than every saved fine topic is from its own broad topic's
    centre; then None (a broad topic of its own)."""
    broad = unit_rows(saved.broad_centroids)
    own = np.einsum("ij,ij->i", saved.centres, broad[saved.topics["broad_topic"].to_numpy(int)])
    similarity = broad @ centre
    nearest = int(np.argmax(similarity))
    return nearest if similarity[nearest] >= own.min() else None


def _theme_row(theme, size: int) -> dict:
    return {
        "label": theme["label"],
        "label_source": "phrase",
        "size": size,
        "top_terms": theme["top_terms"],
        "representative_titles": theme["representative_titles"],
        "label_share": np.nan,  # named in the saved vocabulary, not by the papers' phrases
        "mixed": False,
        "stability": np.nan,  # not refitted: unknown
    }


def adopt_themes(saved, result: Update, *, move_saved: bool = False):
    """``saved`` with ``result``'s new themes as topics, numbered after the saved ones, and where each theme's
    saved papers are: ``(model, saved_members)``.

    Each theme is a fine topic (``adopted`` true) in the broad topic nearest it (:func:`_parent`), or in a broad
    topic of its own where it is far from all of them, and the saved BERTopic model learns it (terms, c-TF-IDF,
    size, mean embedding). Its **new** papers become its members; its saved papers keep their topics, so the
    saved themes' history does not change, unless ``move_saved``. ``saved_members`` has a row per theme and
    saved topic holding its saved papers (``theme``, ``topic``, ``topic_label``, ``papers``): moved with
    ``move_saved``, else staying. The papers are the update's, so the next update reports over them all;
    ``first_topic`` is each paper's topic when it was first reported (for a new paper, its adopted theme)."""
    from analysis._bertopic import with_topics

    themes, papers = result.new_themes, result.papers.copy()
    topics, broad = saved.topics.copy(), saved.broad.copy()
    topics["adopted"] = topics["adopted"].astype(bool) if "adopted" in topics else False
    n_fine, n_broad = len(topics), len(broad)
    is_new = papers["is_new"].to_numpy(bool)
    fine_rows, broad_rows, means, own_means, staying = [], [], [], [], []
    for k, theme in themes.iterrows():
        fine_id, label = n_fine + k, theme["label"]
        in_theme = papers["new_theme"].to_numpy() == k
        means.append(result.vectors[in_theme].mean(axis=0))  # the k-means centre of its papers
        centre = unit_rows(means[-1][None])[0]
        parent = _parent(saved, centre)
        if parent is None:
            parent, parent_label = n_broad + len(broad_rows), label
            broad_rows.append({"broad_topic": parent, **_theme_row(theme, 0), "n_topics": 1, "topics": label})
            own_means.append(means[-1])
        else:
            parent_label = broad.at[parent, "label"]
            broad.at[parent, "n_topics"] += 1
            broad.at[parent, "topics"] += f" | {label}"
        counts = papers.loc[in_theme & ~is_new].groupby(["topic", "topic_label"], sort=False).size()
        for (topic, name), count in counts.sort_values(ascending=False, kind="stable").items():
            staying.append({"theme": label, "topic": int(topic), "topic_label": name, "papers": int(count)})
        members, joined = in_theme & (is_new | move_saved), in_theme & is_new
        papers.loc[members, TOPIC_COLUMNS] = [fine_id, label, parent, parent_label]
        similarity = (result.vectors[joined] @ centre).round(4)
        papers.loc[joined, "first_topic"] = fine_id
        papers.loc[joined, "topic_similarity"] = similarity
        papers.loc[joined, "novel"] = similarity < saved.params.novelty_threshold
        row = {"topic": fine_id, **_theme_row(theme, int(members.sum()))}
        fine_rows.append({**row, "broad_topic": parent, "broad_topic_label": parent_label, "adopted": True})
    n = len(themes)
    terms = [
        pd.DataFrame([(n_fine + k, label, t, w) for t, w in result.terms[k]], columns=saved.terms.columns)
        for k, label in enumerate(themes["label"])
    ]
    dim = saved.centres.shape[1]
    means = np.array(means, dtype=np.float32).reshape(n, dim)
    own_means = np.array(own_means, dtype=np.float32).reshape(-1, dim)
    topics = pd.concat([topics, pd.DataFrame(fine_rows, columns=topics.columns)], ignore_index=True)
    broad = pd.concat([broad, pd.DataFrame(broad_rows, columns=broad.columns)], ignore_index=True)
    model = saved.model
    if n:
        labels = dict(zip(range(n_fine, n_fine + n), themes["label"], strict=True))
        sizes = [row["size"] for row in fine_rows]
        model = with_topics(model, labels, result.terms, sizes, means, result.weights)
    model = dataclasses.replace(
        saved,
        papers=papers,
        topics=topics,
        broad=broad,
        model=model,
        centres=np.vstack([saved.centres, unit_rows(means)]).astype(np.float32),
        centroids=np.vstack([saved.centroids, means]).astype(np.float32),
        broad_centroids=np.vstack([saved.broad_centroids, own_means]).astype(np.float32),
        params=dataclasses.replace(saved.params, n_topics=len(topics), n_broad=len(broad)),
        terms=pd.concat([saved.terms, *terms], ignore_index=True),
    )
    return model, pd.DataFrame(staying, columns=["theme", "topic", "topic_label", "papers"])


def this_update(papers: pd.DataFrame, topics: pd.DataFrame, similarity: np.ndarray) -> pd.DataFrame:
    """Each topic's new papers against its saved ones (``papers`` with ``is_new``; ``similarity``: each paper's
    cosine to its topic's centre): ``topic``, ``label``, ``new_papers``, ``saved_papers``, ``share_new`` and
    ``share_saved`` (of all new / all saved papers), ``share_ratio`` (new over saved, with 0.5 added to each
    count as for new themes) and ``new_titles``, the new papers closest to its centre; largest change first."""
    is_new = papers["is_new"].to_numpy(bool)
    n_new, n_saved = int(is_new.sum()), int((~is_new).sum())
    rows = []
    for topic, label in zip(topics["topic"], topics["label"], strict=True):
        mine = papers["topic"].to_numpy() == topic
        new, saved = int((mine & is_new).sum()), int((mine & ~is_new).sum())
        share_new, share_saved = new / max(n_new, 1), saved / max(n_saved, 1)
        ratio = ((new + 0.5) / (n_new + 0.5)) / ((saved + 0.5) / (n_saved + 0.5))
        titles = representative_titles(papers, np.flatnonzero(mine & is_new), similarity)
        rows.append((int(topic), label, new, saved, share_new, share_saved, ratio, titles))
    columns = ["topic", "label", "new_papers", "saved_papers", "share_new", "share_saved", "share_ratio"]
    table = pd.DataFrame(rows, columns=[*columns, "new_titles"])
    return table.sort_values(["share_ratio", "new_papers"], ascending=False, kind="stable").reset_index(drop=True)
