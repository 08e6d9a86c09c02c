"""The terms of topics: the token pattern our vocabulary counts by, c-TF-IDF weights and top terms of any
grouping of papers in a fitted model's vocabulary, a topic's representative titles, and the tidy terms table.

Used by the fit (:mod:`analysis.topics`) and by an update's new themes (:mod:`analysis.update`), which name
groups in the saved model's vocabulary.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis._bertopic import bertopic_text

__all__ = [
    "N_REPRESENTATIVE",
    "N_TERMS",
    "TOKEN_PATTERN",
    "group_terms",
    "group_weights",
    "representative_titles",
    "terms_frame",
]

N_TERMS = 10
TERM_CHUNK = 2048  # papers whose term counts are held at once when counting a level's terms
N_REPRESENTATIVE = 3
TOKEN_PATTERN = r"(?u)\b\w[\w-]*\w\b"  # words of 2+ characters, hyphenated ones whole ("in-context", "self-play")


def representative_titles(papers: pd.DataFrame, members: np.ndarray, similarity: np.ndarray) -> str:
    """The titles of the ``N_REPRESENTATIVE`` distinct papers closest to the topic's centre."""
    titles: dict[str, str] = {}
    for i in members[np.argsort(-similarity[members], kind="stable")]:
        titles.setdefault(papers["paper_id"].iat[i], papers["title"].iat[i])
        if len(titles) == N_REPRESENTATIVE:
            break
    return " | ".join(titles.values())


def group_weights(model, texts: list[str], groups: np.ndarray, n_groups: int | None = None):
    """The c-TF-IDF of each group id 0..k-1 of ``groups``, in the fitted model's vocabulary: a sparse matrix with
    one row per group, one column per term."""
    import scipy.sparse as sp
    from bertopic.vectorizers import ClassTfidfTransformer

    shape = (n_groups or int(groups.max()) + 1, len(groups))
    membership = sp.csr_matrix((np.ones(len(groups)), (groups, np.arange(len(groups)))), shape=shape)
    per_group = sp.csr_matrix((shape[0], len(model.vectorizer_model.vocabulary_)))
    for start in range(0, len(texts), TERM_CHUNK):  # the papers' counts a chunk at a time: memory stays flat
        chunk = bertopic_text(texts[start : start + TERM_CHUNK])  # cleaned as BERTopic cleaned the fit's
        per_group = per_group + membership[:, start : start + TERM_CHUNK] @ model.vectorizer_model.transform(chunk)
    # BERTopic counts n-grams on each topic's papers joined together; keep those inside single papers
    present = np.flatnonzero(np.asarray(per_group.sum(axis=0)).ravel() > 0)
    weights = ClassTfidfTransformer(reduce_frequent_words=True).fit_transform(per_group.tocsc()[:, present].tocsr())
    back = (np.ones(len(present)), (np.arange(len(present)), present))  # the present terms' columns, back in place
    return sp.csr_matrix(weights @ sp.csr_matrix(back, shape=(len(present), per_group.shape[1])))


def group_terms(model, texts: list[str], groups: np.ndarray, n_terms: int, n_groups: int | None = None, weights=None):
    """Top c-TF-IDF terms of each group id 0..k-1 (``weights``: their :func:`group_weights`, computed here
    unless given), with the fitted model's vocabulary: one list of ``(term, weight)`` per group."""
    weights = group_weights(model, texts, groups, n_groups) if weights is None else weights
    vocabulary = model.vectorizer_model.get_feature_names_out()
    out = []
    for k in range(weights.shape[0]):
        row = weights.getrow(k)
        order = np.lexsort((row.indices, -row.data))[:n_terms]  # by weight, ties in vocabulary order
        out.append([(str(vocabulary[row.indices[i]]), float(row.data[i])) for i in order if row.data[i] > 0])
    return out


def terms_frame(model, topics: pd.DataFrame) -> pd.DataFrame:
    """Tidy top terms of a fitted BERTopic model: topic, topic_label, term, weight."""
    rows = [
        {"topic": topic, "topic_label": label, "term": term, "weight": float(weight)}
        for topic, label in zip(topics["topic"], topics["label"], strict=True)
        for term, weight in (model.get_topic(topic) or [])
        if term
    ]
    return pd.DataFrame(rows, columns=["topic", "topic_label", "term", "weight"])
