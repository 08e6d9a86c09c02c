"""Topic quality, side by side with BERTopic's defaults on the same embeddings.

Metrics (all on the same papers and embeddings):

* ``topics``: number of topics (outlier topic excluded); ``outliers``: share of papers in topic -1.
* ``npmi``: mean normalised pointwise mutual information of each topic's top-10 terms, over pairs of terms,
  with probabilities from document co-occurrence in the corpus itself (1 = always together, 0 = independent,
  -1 = never together).
* ``diversity``: unique terms among all topics' top-10 terms / (10 x topics).
* ``nmi``, ``ari``: agreement with a label column (outliers count as one more cluster, as they would for a
  reader), when one is given.
* ``stability``: mean adjusted Rand index between the assignments of 5 seeds.
* ``broad_*``: the same for our broad topics (BERTopic's defaults have one level).
"""

from __future__ import annotations

import itertools
import re

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from analysis.embeddings import Embedder, paper_texts
from analysis.errors import InputError
from analysis.topics import fit_topics

__all__ = ["evaluate", "format_table", "npmi_coherence", "topic_diversity"]

STABILITY_SEEDS = (0, 1, 2, 3, 4)


def _clean(text: str, hyphens: bool = False) -> str:
    """``text`` as a topic model counts its terms: BERTopic's default drops every other character
    (``in-context`` -> ``incontext``); ours keeps hyphenated words whole (``hyphens``)."""
    keep = r"[^A-Za-z0-9 -]+" if hyphens else r"[^A-Za-z0-9 ]+"
    return re.sub(keep, "", text.replace("\n", " ")).lower()


def npmi_coherence(term_lists: list[list[str]], texts: list[str]) -> float:
    """Mean NPMI of the term pairs within each topic, from document co-occurrence in ``texts``."""
    vocabulary = sorted({t for terms in term_lists for t in terms})
    if not vocabulary:
        return float("nan")
    longest = max(len(t.split()) for t in vocabulary)
    # a term is in a document as either model counts it: "in-context" as our terms keep it, "incontext" as
    # BERTopic's default makes it; a plain word reads the same both ways
    present = None
    for hyphens, pattern in ((False, r"(?u)\b\w+\b"), (True, r"(?u)\b\w(?:[\w-]*\w)?\b")):
        counts = CountVectorizer(vocabulary=vocabulary, ngram_range=(1, longest), binary=True, token_pattern=pattern)
        seen = counts.transform([_clean(t, hyphens) for t in texts])
        present = seen if present is None else present.maximum(seen)
    present = present.astype(np.float64)
    n_docs = present.shape[0]
    p_term = np.asarray(present.sum(axis=0)).ravel() / n_docs
    p_pair = (present.T @ present).toarray() / n_docs
    index = {t: i for i, t in enumerate(vocabulary)}
    scores = []
    for terms in term_lists:
        pairs = []
        for a, b in itertools.combinations([index[t] for t in terms], 2):
            joint = p_pair[a, b]
            if joint == 0:
                pairs.append(-1.0)
            elif joint == 1:
                pairs.append(1.0)
            else:
                pairs.append(np.log(joint / (p_term[a] * p_term[b])) / -np.log(joint))
        if pairs:
            scores.append(np.mean(pairs))
    return float(np.mean(scores)) if scores else float("nan")


def topic_diversity(term_lists: list[list[str]]) -> float:
    """Unique terms over all terms of all topics."""
    total = sum(len(terms) for terms in term_lists)
    return len({t for terms in term_lists for t in terms}) / total if total else float("nan")


def _fit_defaults(texts: list[str], vectors: np.ndarray, seed: int) -> tuple[np.ndarray, list[list[str]], None]:
    """BERTopic as its README shows it, with only UMAP's seed fixed so that runs repeat."""
    from bertopic import BERTopic
    from umap import UMAP

    model = BERTopic(umap_model=UMAP(n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", random_state=seed))
    assigned = np.asarray(model.fit_transform(texts, vectors)[0])
    terms = [[t for t, _ in model.get_topic(topic)][:10] for topic in sorted(set(assigned)) if topic != -1]
    return assigned, terms, None


def _fit_ours(papers: pd.DataFrame, vectors: np.ndarray, seed: int) -> tuple[np.ndarray, list[list[str]], np.ndarray]:
    result = fit_topics(papers, seed=seed, embeddings=vectors)
    terms = [t.split("; ")[:10] for t in result.topics["top_terms"]]
    return result.papers["topic"].to_numpy(), terms, result.papers["broad_topic"].to_numpy()


def _scores(assigned, terms, texts, labels) -> dict[str, float]:
    row = {
        "topics": len(set(assigned.tolist()) - {-1}),
        "outliers": float(np.mean(assigned == -1)),
        "npmi": npmi_coherence(terms, texts),
        "diversity": topic_diversity(terms),
    }
    if labels is not None:
        known = labels.notna().to_numpy()
        row["nmi"] = normalized_mutual_info_score(labels[known], assigned[known])
        row["ari"] = adjusted_rand_score(labels[known], assigned[known])
    return row


def _agreement(runs: list[np.ndarray]) -> float:
    return float(np.mean([adjusted_rand_score(a, b) for a, b in itertools.combinations(runs, 2)]))


def evaluate(
    papers: pd.DataFrame,
    *,
    label_column: str | None = None,
    seed: int = 42,
    embedder: Embedder | None = None,
    stability_seeds=STABILITY_SEEDS,
) -> pd.DataFrame:
    """Score our topics and BERTopic's defaults on the same papers and embeddings.

    Returns a frame with one row per metric and the columns ``ours`` and ``bertopic_defaults``.
    """
    if label_column is not None and label_column not in papers.columns:
        raise InputError(f"no column {label_column!r} in the papers (columns: {', '.join(papers.columns)})")
    texts = paper_texts(papers)
    vectors = (embedder or Embedder()).embed_papers(papers)
    labels = papers[label_column] if label_column else None
    known = labels.notna().to_numpy() if labels is not None else None
    columns = {}
    for name, fit in (
        ("ours", lambda s: _fit_ours(papers, vectors, s)),
        ("bertopic_defaults", lambda s: _fit_defaults(texts, vectors, s)),
    ):
        assigned, terms, broad = fit(seed)
        row = _scores(assigned, terms, texts, labels)
        runs = [fit(s) for s in stability_seeds]
        row["stability"] = _agreement([run[0] for run in runs])
        if broad is not None:  # a model with one level gets NaN in these rows
            row["broad_topics"] = len(set(broad.tolist()))
            if labels is not None:
                row["broad_nmi"] = normalized_mutual_info_score(labels[known], broad[known])
                row["broad_ari"] = adjusted_rand_score(labels[known], broad[known])
            row["broad_stability"] = _agreement([run[2] for run in runs])
        columns[name] = row
    return pd.DataFrame(columns)


def format_table(table: pd.DataFrame) -> str:
    """A Markdown table: counts as integers, shares and scores with three decimals."""
    lines = ["| metric | " + " | ".join(table.columns) + " |", "|---|" + "---:|" * len(table.columns)]
    for metric, row in table.iterrows():
        cells = ["–" if v != v else f"{v:.0f}" if metric.endswith("topics") else f"{v:.3f}" for v in row]
        lines.append(f"| {metric} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
