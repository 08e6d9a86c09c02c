"""Themes from papers: BERTopic assembled for readable, reproducible topics at any corpus size.

What differs from BERTopic's defaults, and why (measured in ``docs/quality.md``):

* **Clustering**: k-means on the L2-normalised sentence embeddings (spherical k-means) at two nested
  levels, top down: broad topics, then fine topics within each, with both counts and each topic's stability from
  :mod:`analysis.levels`. HDBSCAN's density clusters left 11–35% of papers as outliers and collapsed to 2
  clusters as ``min_cluster_size`` grew; k-means leaves none. UMAP before k-means gave the same NMI/ARI at
  ten times the cost, so it is skipped.
* **Terms**: 1–3-grams without English or generic research stop words, ``min_df=2`` (1 below 20 papers),
  c-TF-IDF with ``reduce_frequent_words``; counted by :class:`~analysis.vocabulary.FrequentTermsVectorizer`
  (scikit-learn's terms and counts, without holding every n-gram seen).
* **Labels**: see :mod:`analysis.labels`.
* **Tiny corpora**: fewer than 3 papers (or fewer than 20 without a count given) make one topic.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from analysis import store
from analysis._bertopic import bertopic_class, set_labels
from analysis.columns import require
from analysis.embeddings import Embedder, paper_texts
from analysis.errors import InputError
from analysis.labels import STOP_WORDS, name_levels, with_keywords
from analysis.levels import (
    Granularity,
    NestedKMeans,
    check_counts,
    choose_counts,
    fine_level_note,
    group_centres,
    topic_stability,
    unit_rows,
)
from analysis.terms import N_TERMS, TOKEN_PATTERN, group_terms, representative_titles, terms_frame
from analysis.update import place

__all__ = [
    "FitParams",
    "TopicModel",
    "TopicResult",
    "broad_level",
    "fit_topics",
    "load_topics",
    "check_label",
    "level_table",
    "relabel_topics",
    "save_topics",
]

N_INIT = (
    20  # k-means restarts: the seeds' stability (ARI across seeds) rose from 0.36 at 10 to 0.41 at 20 and 0.43 at 50
)
NOVELTY_QUANTILE = 0.02  # a new paper less similar to its topic than 98% of the fitted papers is "novel"


@dataclass(frozen=True)
class FitParams:
    """How topics were fitted (saved with them; the report gives each a name and a meaning)."""

    seed: int
    n_topics: int
    n_broad: int
    counts_chosen_by: str  # "as given", or how the counts were chosen from the data
    n_papers: int
    embedding_model: str
    precision: str
    clustering: str
    novelty_threshold: float  # a placed paper less similar than this to its topic's centre is novel
    # the review's, set by the run that fits or updates them: the period its trends are tested by (None: no
    # dated papers yet), and every input read so far, the fit's first ("; " between runs)
    review_period: str | None = None
    review_inputs: str = ""


@dataclass
class TopicResult:
    """Fitted topics, in the manner of a scikit-learn estimator: :func:`fit_topics` fits them once;
    :meth:`assign` places papers onto them (new ones, or those they were fitted on, which get their own
    topics back); :meth:`save` writes them and :func:`load_topics` reads them back as the same type.

    Attributes
    ----------
    papers : DataFrame
        The papers fitted on, with ``topic`` (int), ``topic_label`` (str), ``broad_topic`` and
        ``broad_topic_label`` added; for loaded topics, the papers they were saved with (an update's history:
        every earlier update's papers too), without a run's own columns.
    topics : DataFrame
        One row per fine topic: ``topic``, ``label``, ``size``, ``top_terms``, ``representative_titles``,
        ``stability`` (0–1), ``broad_topic``, ``broad_topic_label``.
    broad : DataFrame
        One row per broad topic: ``broad_topic``, ``label``, ``size``, ``n_topics``, ``topics`` (the labels of
        its fine topics), ``top_terms``, ``representative_titles``, ``stability``.
    model : bertopic.BERTopic
        The fitted BERTopic model, for BERTopic's own API.
    embeddings : ndarray or None
        One L2-normalised row per fitted paper; None for loaded topics.
    terms : DataFrame
        One row per topic and top term: ``topic``, ``topic_label``, ``term``, ``weight`` (c-TF-IDF).
    centres : ndarray
        One L2-normalised row per topic (in ``topics`` order): the direction of its papers' mean embedding.
    params : FitParams
        How they were fitted (seed, numbers of topics, embedding model...).
    granularity : Granularity or None
        How the two counts were chosen, with the evidence; None for loaded topics.
    messages : list of str
        What a user should know, e.g. that a tiny corpus was kept in one topic.
    centroids : ndarray
        The k-means centres (one row per topic, not normalised) that :meth:`assign` places papers by.
    broad_centroids : ndarray
        The broad level's k-means centres (one row per broad topic): :meth:`assign` places a paper in the
        nearest broad topic first, then in its nearest fine topic there.
    """

    papers: pd.DataFrame
    topics: pd.DataFrame
    broad: pd.DataFrame
    model: object
    embeddings: np.ndarray | None
    terms: pd.DataFrame
    centres: np.ndarray
    params: FitParams
    granularity: Granularity | None = None
    messages: list[str] = field(default_factory=list)
    centroids: np.ndarray | None = None
    broad_centroids: np.ndarray | None = None

    def assign(
        self,
        papers: pd.DataFrame,
        *,
        embedder: Embedder | None = None,
        embeddings: np.ndarray | None = None,
        cluster=None,
    ) -> pd.DataFrame:
        """The papers with each placed onto its topic (:func:`analysis.update.place`): the nearest k-means
        centre, the rule the fit itself assigned by, so the papers the topics were fitted on get their own
        topics back. Adds ``topic``, ``topic_label``, ``broad_topic``, ``broad_topic_label``,
        ``topic_similarity`` (cosine to the topic's centre) and ``novel``: farther from its topic than all but 2%
        of the fitted papers.

        ``embeddings`` (one row per paper, from the fitted embedding model) skip embedding; by default the
        papers are embedded with the fit's model and precision. With a ``cluster``
        (:class:`analysis.dask_cluster.DaskCluster`), embedding and placement run on it.
        """
        if embeddings is None:
            embedder = embedder or Embedder.of_fit(self.params, cluster=cluster)
            embeddings = embedder.embed_papers(papers)
        return place(self, papers, embeddings, cluster=cluster)

    def save(self, directory: str | Path) -> None:
        """Write these topics into ``directory`` (see :func:`save_topics`)."""
        save_topics(self, directory)


def _normalise(vectors: np.ndarray) -> np.ndarray:
    """Unit rows in float32: the caller's array itself where it is that already (read, never written)."""
    return np.asarray(unit_rows(vectors), dtype=np.float32)


def _build_model(n_papers: int, n_topics: int, n_broad: int, seed: int):
    BERTopic = bertopic_class()  # noqa: N806
    from bertopic.dimensionality import BaseDimensionalityReduction
    from bertopic.vectorizers import ClassTfidfTransformer

    from analysis.vocabulary import FrequentTermsVectorizer

    vectorizer = FrequentTermsVectorizer(  # CountVectorizer's terms, without holding every n-gram seen
        stop_words=sorted(STOP_WORDS),
        ngram_range=(1, 3),
        min_df=2 if n_papers >= 20 else 1,
        token_pattern=TOKEN_PATTERN,
    )
    return BERTopic(
        language=None,  # "english" would strip hyphens before counting terms: "in-context" -> "incontext"
        umap_model=BaseDimensionalityReduction(),
        hdbscan_model=NestedKMeans(n_topics, n_broad, seed=seed, n_init=N_INIT),
        vectorizer_model=vectorizer,
        ctfidf_model=ClassTfidfTransformer(reduce_frequent_words=True),
        top_n_words=N_TERMS,
        calculate_probabilities=False,
    )


def _level_table(papers: pd.DataFrame, groups: np.ndarray, terms: list[list[str]], similarity: np.ndarray, names):
    """One row per group id 0..k-1 of ``groups``: label, size, how many of its papers use the label
    (``label_share``) and whether it is ``mixed`` (:class:`~analysis.labels.Names`), top terms, representative
    titles."""
    rows = []
    for group, (label, words) in enumerate(zip(names.labels, terms, strict=True)):
        members = np.flatnonzero(groups == group)
        rows.append(
            {
                "label": label,
                "label_source": "phrase",
                "size": len(members),
                "label_share": float(names.coverage[group]),
                "mixed": bool(names.mixed[group]),
                "top_terms": "; ".join(words[:N_TERMS]),
                "representative_titles": representative_titles(papers, members, similarity),
            }
        )
    return pd.DataFrame(rows)


def label_levels(model, texts, fine, broad_of_fine, similarity, broad_similarity, label_texts=None):
    """Top terms and labels of both levels: ``(fine_terms, fine_names, broad_terms, broad_names)``, a list of
    terms per topic and :class:`~analysis.labels.Names`, for the fitted BERTopic ``model``, the papers' ``texts``,
    their fine topics, each fine topic's broad topic, and each paper's cosine to its fine and broad centre. The
    labels are phrases of ``label_texts`` (default: ``texts``; :func:`analysis.labels.with_keywords` adds the
    papers' own keywords), named by :func:`analysis.labels.name_levels`."""
    n_fine = len(broad_of_fine)
    broad_of_fine = np.asarray(broad_of_fine)
    fine_terms = [[term for term, _ in model.get_topic(t) or [] if term] for t in range(n_fine)]
    broad = broad_of_fine[fine]
    broad_terms = [[term for term, _ in pairs] for pairs in group_terms(model, texts, broad, 3 * N_TERMS)]
    label_texts = texts if label_texts is None else label_texts
    fine_names, broad_names = name_levels(label_texts, fine, broad_of_fine, similarity, broad_similarity)
    return fine_terms, fine_names, broad_terms, broad_names


class TopicModel(BaseEstimator):
    """The topic fit as a scikit-learn estimator (``get_params``, ``set_params``, ``clone``): configured by
    keyword, :meth:`fit` returns the model itself, and what it learned ends in ``_``; :meth:`transform` places
    papers onto the fitted topics (``NotFittedError`` before a fit); :meth:`save` writes it and :meth:`load`
    reads it back as a fitted estimator.

    Parameters
    ----------
    n_topics, n_broad
        Numbers of fine and broad topics; by default chosen from the data (:func:`analysis.levels.choose_counts`).
    seed
        Seed for every random step of the fit: the same papers and seed give the same topics.
    embedder
        The :class:`~analysis.embeddings.Embedder` (default: the bundled model, cached).

    Attributes
    ----------
    result_ : TopicResult
        Everything the fit made, as :func:`fit_topics` returns it; the attributes below are views of it, so each
        fact lives in one place.
    topics_, broad_, terms_ : DataFrame
        The fine topics, the broad topics and the top terms (see :class:`TopicResult`).
    labels_ : ndarray of int
        Each fitted paper's fine topic.
    centres_, centroids_, broad_centroids_ : ndarray
        The unit-length direction of each topic's papers, and the k-means centres of each level that
        :meth:`transform` places papers by.
    granularity_ : Granularity
        How the two counts were chosen, with the evidence.
    """

    def __init__(
        self,
        *,
        n_topics: int | None = None,
        n_broad: int | None = None,
        seed: int = 42,
        embedder: Embedder | None = None,
    ):
        self.n_topics, self.n_broad, self.seed, self.embedder = n_topics, n_broad, seed, embedder

    def fit(self, papers: pd.DataFrame, embeddings: np.ndarray | None = None) -> TopicModel:
        """Fit the topics of ``papers`` (the frame of :func:`analysis.load_digests`; ``embeddings``: one row per
        paper, by default embedded with ``embedder``); returns the model."""
        seed, n_topics, n_broad = self.seed, self.n_topics, self.n_broad
        require(papers, ["paper_id", "title", "abstract"], "fitting topics")
        if papers.empty:
            raise InputError("no papers to fit topics on")
        n_papers = len(papers)
        check_counts(n_papers, n_topics, n_broad)
        embedder = self.embedder or Embedder()
        vectors = _normalise(embedder.embed_papers(papers) if embeddings is None else np.asarray(embeddings))
        if len(vectors) != n_papers:
            raise InputError(f"embeddings have {len(vectors)} rows for {n_papers} papers")
        counts = choose_counts(vectors, n_topics=n_topics, n_broad=n_broad)
        messages = []
        if n_topics is None and counts.n_topics == 1:
            are = "paper is" if n_papers == 1 else "papers are"
            messages.append(f"{n_papers} {are} too few to split into topics: all are in one")
        model = _build_model(n_papers, counts.n_topics, counts.n_broad, seed)
        texts = paper_texts(papers)
        fine = np.asarray(model.fit_transform(texts, vectors)[0]).astype(int)
        n_fine = fine.max() + 1
        nested = model.hdbscan_model  # BERTopic renumbers topics by size: find each topic's own cluster
        cluster_of = nested.labels_[[np.flatnonzero(fine == t)[0] for t in range(n_fine)]]
        broad_of_fine = nested.broad_of_fine_[cluster_of]
        broad = broad_of_fine[fine]
        centres = group_centres(vectors, fine, range(n_fine)).astype(np.float32)
        similarity = np.einsum("ij,ij->i", vectors, centres[fine])
        broad_centres = group_centres(vectors, broad, range(broad.max() + 1)).astype(np.float32)
        broad_similarity = np.einsum("ij,ij->i", vectors, broad_centres[broad])
        fine_stability, broad_stability = topic_stability(vectors, fine, broad_of_fine, seed=seed)

        fine_terms, fine_names, broad_terms, broad_names = label_levels(
            model, texts, fine, broad_of_fine, similarity, broad_similarity, with_keywords(texts, papers)
        )
        fine_labels, broad_labels = fine_names.labels, broad_names.labels
        topics = _level_table(papers, fine, fine_terms, similarity, fine_names)
        topics.insert(0, "topic", range(n_fine))
        topics = topics.assign(
            stability=fine_stability.round(3),
            broad_topic=broad_of_fine,
            broad_topic_label=[broad_labels[b] for b in broad_of_fine],
            adopted=False,  # a fitted topic; an update's adopted new themes are True
        )
        broad_table = _level_table(papers, broad, broad_terms, broad_similarity, broad_names)
        broad_table.insert(0, "broad_topic", range(len(broad_labels)))
        broad_table.insert(4, "n_topics", np.bincount(broad_of_fine))
        broad_table.insert(
            5, "topics", [" | ".join(topics.loc[broad_of_fine == b, "label"]) for b in range(len(broad_labels))]
        )
        broad_table["stability"] = broad_stability.round(3)
        if note := fine_level_note(topics, broad_table):
            messages.append(note)
        set_labels(model, dict(enumerate(fine_labels)))
        out = papers.copy()
        out["topic"] = fine
        out["topic_label"] = [fine_labels[t] for t in fine]
        out["broad_topic"] = broad
        out["broad_topic_label"] = [broad_labels[b] for b in broad]
        params = FitParams(
            seed=seed,
            n_topics=int(n_fine),
            n_broad=len(broad_labels),
            counts_chosen_by="as given" if n_topics is not None and n_broad is not None else counts.chosen_by,
            n_papers=n_papers,
            embedding_model=embedder.model,
            precision=embedder.precision,
            clustering="spherical k-means, top down: broad topics, then fine topics within each",
            novelty_threshold=float(np.quantile(similarity, NOVELTY_QUANTILE)),
        )
        terms = terms_frame(model, topics)
        self.result_ = TopicResult(
            papers=out,
            topics=topics,
            broad=broad_table,
            model=model,
            embeddings=vectors,
            terms=terms,
            centres=centres,
            params=params,
            granularity=counts,
            messages=messages,
            centroids=nested.cluster_centers_[cluster_of],
            broad_centroids=nested.broad_centers_,
        )
        return self

    def transform(self, papers: pd.DataFrame, embeddings: np.ndarray | None = None) -> pd.DataFrame:
        """``papers`` placed onto the fitted topics (see :meth:`TopicResult.assign`)."""
        return self._fitted().assign(papers, embedder=self.embedder, embeddings=embeddings)

    def save(self, directory: str | Path) -> None:
        """Write the fitted topics into ``directory`` (see :func:`save_topics`)."""
        save_topics(self._fitted(), directory)

    @classmethod
    def load(cls, directory: str | Path, *, embedder: Embedder | None = None) -> TopicModel:
        """The fitted estimator saved in ``directory`` (by :meth:`save`, or a run's ``model/``), configured as
        it was fitted."""
        result = load_topics(directory)
        params = result.params
        model = cls(n_topics=params.n_topics, n_broad=params.n_broad, seed=params.seed, embedder=embedder)
        model.result_ = result
        return model

    def _fitted(self) -> TopicResult:
        check_is_fitted(self, "result_")
        return self.result_

    topics_ = property(lambda self: self._fitted().topics)
    broad_ = property(lambda self: self._fitted().broad)
    terms_ = property(lambda self: self._fitted().terms)
    labels_ = property(lambda self: self._fitted().papers["topic"].to_numpy())
    centres_ = property(lambda self: self._fitted().centres)
    centroids_ = property(lambda self: self._fitted().centroids)
    broad_centroids_ = property(lambda self: self._fitted().broad_centroids)
    granularity_ = property(lambda self: self._fitted().granularity)


def fit_topics(
    papers: pd.DataFrame,
    *,
    seed: int = 42,
    n_topics: int | None = None,
    n_broad: int | None = None,
    embeddings: np.ndarray | None = None,
    embedder: Embedder | None = None,
) -> TopicResult:
    """Cluster papers into fine themes and broad areas with BERTopic, and label both.

    Parameters
    ----------
    papers
        The papers frame of :func:`analysis.load_digests`.
    seed
        Seed for every random step of the fit: the same papers and seed give the same topics. The counts are
        chosen with a fixed random stream of their own, so a different seed never changes how many topics.
    n_topics, n_broad
        Numbers of fine and broad topics; by default chosen from the data (:func:`analysis.levels.choose_counts`).
    embeddings
        Precomputed embeddings (one row per paper); by default computed with ``embedder``.
    embedder
        The :class:`~analysis.embeddings.Embedder` to use (default: the bundled model, cached).

    Examples
    --------
    >>> from analysis import load_digests
    >>> fp32 = Embedder(precision="fp32")  # the reference arithmetic: these counts on every CPU (docs/quality.md)
    >>> result = fit_topics(load_digests("data/"), seed=42, embedder=fp32)
    >>> len(result.topics), len(result.broad), int(result.topics["size"].sum())
    (10, 4, 186)
    >>> first = result.topics.iloc[0]
    >>> str(first["label"]), int(first["size"]), str(first["broad_topic_label"])
    ('Neural networks', 34, 'Neural networks and analytical solution')
    >>> bool((result.assign(result.papers)["topic"] == result.papers["topic"]).all())  # placed where it was fitted
    True
    """
    return TopicModel(n_topics=n_topics, n_broad=n_broad, seed=seed, embedder=embedder).fit(papers, embeddings).result_


def broad_level(papers: pd.DataFrame) -> pd.DataFrame:
    """The papers with ``topic`` / ``topic_label`` replaced by the broad topic, so that every overlap, trend and
    figure function works at the broad level unchanged.

    >>> broad_level(pd.DataFrame({"topic": [0, 1], "topic_label": ["KV cache", "Serving"],
    ...                           "broad_topic": [0, 0], "broad_topic_label": ["LLM systems"] * 2}))
       topic  topic_label
    0      0  LLM systems
    1      0  LLM systems
    """
    return papers.drop(columns=["topic", "topic_label"]).rename(
        columns={"broad_topic": "topic", "broad_topic_label": "topic_label"}
    )


MAX_LABEL = 80  # characters: a name that fits a figure's axis and a report's table


def check_label(name: str) -> str:
    """``name`` with its white space made single, or ``InputError`` when that is empty or over ``MAX_LABEL``."""
    name = " ".join(str(name).split())
    if not name:
        raise InputError("a topic's name must not be empty")
    if len(name) > MAX_LABEL:
        raise InputError(f"a topic's name must be at most {MAX_LABEL} characters, got {len(name)}: {name[:40]!r}...")
    return name


def level_table(result: TopicResult, *, broad: bool = False) -> tuple[pd.DataFrame, str]:
    """The fine topics' table and its id column (``topic``), or with ``broad`` the broad topics' (``broad_topic``)."""
    return (result.broad, "broad_topic") if broad else (result.topics, "topic")


def relabel_topics(
    result: TopicResult, labels: dict[int, str], *, broad: bool = False, source: str = "user"
) -> TopicResult:
    """A copy of ``result`` with the given topics renamed everywhere (papers, topics, broad topics, terms, the
    BERTopic model), their ``label_source`` set to ``source`` (``"user"``; :mod:`analysis.namer` sets
    ``"llm"``); with ``broad``, the ids are broad topics. A saved
    name carries through every later update (``run --model``, ``--adopt`` included), which keeps the saved
    topics' names. ``InputError`` for a topic that does not exist, or a name that is empty or longer than
    ``MAX_LABEL`` characters.

    Examples
    --------
    >>> from analysis import fit_topics, load_digests
    >>> result = fit_topics(load_digests("data/"), seed=42)
    >>> renamed = relabel_topics(result, {0: "Large-batch training"})
    >>> renamed.topics.loc[0, ["label", "label_source"]].tolist(), result.topics.loc[0, "label_source"]
    (['Large-batch training', 'user'], 'phrase')
    >>> systems = relabel_topics(result, {1: "Systems"}, broad=True)
    >>> systems.papers.loc[systems.papers["broad_topic"] == 1, "broad_topic_label"].unique().tolist()
    ['Systems']
    """
    level, key = level_table(result, broad=broad)
    unknown = sorted(set(labels) - set(level[key]))
    if unknown:
        what = "broad topic" if broad else "topic"
        raise InputError(f"no such {what}: {unknown} ({what}s are {level[key].min()}..{level[key].max()})")
    labels = {int(t): check_label(name) for t, name in labels.items()}
    renamed = level[key].isin(list(labels))
    level = level.assign(
        label=[labels.get(t, label) for t, label in zip(level[key], level["label"], strict=True)],
        label_source=level["label_source"].where(~renamed, source),
    )
    mapping = dict(zip(level[key], level["label"], strict=True))
    papers = result.papers.assign(**{f"{key}_label": result.papers[key].map(mapping)})
    if broad:
        topics = result.topics.assign(broad_topic_label=result.topics["broad_topic"].map(mapping))
        return dataclasses.replace(result, papers=papers, topics=topics, broad=level)
    terms = result.terms.assign(topic_label=result.terms["topic"].map(mapping))
    children = level.groupby("broad_topic", sort=False)["label"].agg(" | ".join)
    broad_table = result.broad.assign(topics=result.broad["broad_topic"].map(children).fillna(result.broad["topics"]))
    model = copy.deepcopy(result.model)  # ``result`` and its model stay as they were
    set_labels(model, mapping)
    return dataclasses.replace(result, papers=papers, topics=level, broad=broad_table, terms=terms, model=model)


# ----------------------------------------------------------------------------------------- save and load
def save_topics(result: TopicResult, directory: str | Path) -> None:
    """Save the BERTopic model (safetensors) plus labels, centres, parameters and papers into ``directory``
    (the folder's schema: :mod:`analysis.store`)."""
    store.write(result, directory)


def load_topics(directory: str | Path) -> TopicResult:
    """Load topics saved by :func:`save_topics` (offline: the embedding model is not part of the save). ``papers``
    is the table of the papers they hold; their embeddings are not saved (they are in the embedding cache), so
    ``embeddings`` is None. Topics saved by an earlier version, without the parts an update needs, are refused
    with a one-line hint."""
    saved = store.read(directory)
    try:
        params = FitParams(**saved.params)
    except TypeError:  # parameters under the names of an earlier version
        raise store.earlier_version(directory, f"parameters {', '.join(sorted(saved.params))}") from None
    return TopicResult(
        papers=saved.papers,
        topics=saved.topics,
        broad=saved.broad,
        model=saved.model,
        embeddings=None,
        terms=saved.terms,
        centres=_normalise(saved.centres),
        params=params,
        centroids=saved.centroids,
        broad_centroids=saved.broad_centroids,
    )
