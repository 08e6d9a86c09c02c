"""Term counts whose memory grows with the terms kept, not with every term seen.

BERTopic counts the 1–3-grams of each topic's papers joined together, keeping those in at least ``min_df`` topics.
scikit-learn's ``CountVectorizer`` finds them by building a dictionary of *every* n-gram first and pruning it
afterwards. Most 3-grams occur once, so that dictionary grows with the corpus: on 20,000 arXiv abstracts counting
took 819 MB to keep 306,455 terms, and 1.5 GB at 37,620 (``bench/vocabulary.py``; ours: 157 MB and 467 MB).

:class:`FrequentTermsVectorizer` finds the same vocabulary in two passes. The first counts, per document, the
hashes of its distinct terms in two tables of 8-bit counters (at most 32 MiB each); the second keeps, as exact
candidates, only the terms whose counter is at least ``min_df`` in both tables, and counts those exactly. A term
kept by ``CountVectorizer`` always passes the first pass, and the exact count drops the few that passed only
through collisions: the vocabulary and the counts are identical (tested), whatever the process's hash seed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from numbers import Integral

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer

__all__ = ["FrequentTermsVectorizer", "frequent_terms"]

# at most 2 tables of 32 Mi counters (by the birthday bound, a term seen once passes both by collision about 2% of
# the time among 5 million terms); fewer for fewer texts: about 4 counters per n-gram they could hold (one per 2
# characters)
TABLE_BITS = 25


def _table_bits(documents: Sequence[str]) -> int:
    """log2 of the counters per table for ``documents``."""
    grams = sum(map(len, documents)) // 2
    return int(min(TABLE_BITS, max(16, np.ceil(np.log2(4 * grams + 1)))))


def _hashes(terms: list[str], mask: int) -> tuple[np.ndarray, np.ndarray]:
    """Each term's bucket in the two tables (from different bits of one 64-bit hash)."""
    hashes = np.fromiter(map(hash, terms), dtype=np.int64, count=len(terms))
    return hashes & mask, (hashes >> 32) & mask


def frequent_terms(documents: Sequence[str], analyzer: Callable[[str], list[str]], min_df: int):
    """The terms (as ``analyzer`` makes them) found in at least ``min_df`` of ``documents`` (a sequence: read
    twice), sorted, and the documents' counts of them: ``(terms, counts)``, ``counts`` a CSR matrix of one row per
    document and one column per term."""
    if not 1 <= min_df < 255:
        raise ValueError(f"min_df must be between 1 and 254, got {min_df}")
    mask = (1 << _table_bits(documents)) - 1
    tables = np.zeros((2, mask + 1), dtype=np.uint8)
    for document in documents:
        for table, buckets in zip(tables, _hashes(analyzer(document), mask), strict=True):
            seen = np.unique(buckets)
            table[seen] = np.minimum(table[seen], 254) + 1
    ids: dict[str, int] = {}  # each candidate (passed both tables somewhere): its number
    rows = []  # per document, its candidates' numbers and counts
    for document in documents:
        terms = analyzer(document)
        first, second = _hashes(terms, mask)
        passed = np.flatnonzero((tables[0][first] >= min_df) & (tables[1][second] >= min_df))
        numbers = np.fromiter((ids.setdefault(terms[i], len(ids)) for i in passed), dtype=np.int64, count=len(passed))
        numbers, counts = np.unique(numbers, return_counts=True)
        rows.append((numbers.astype(np.int32), counts.astype(np.int32)))
    del tables
    df = np.bincount(np.concatenate([numbers for numbers, _ in rows] or [np.zeros(0, np.int64)]), minlength=len(ids))
    names = list(ids)
    del ids
    kept = np.array(sorted(np.flatnonzero(df >= min_df).tolist(), key=names.__getitem__), dtype=np.int64)
    column = np.full(len(names), -1, dtype=np.int64)
    column[kept] = np.arange(len(kept))
    indices, data = [], []
    for numbers, counts in rows:
        columns = column[numbers]
        inside = columns >= 0
        order = np.argsort(columns[inside], kind="stable")
        indices.append(columns[inside][order])
        data.append(counts[inside][order])
    indptr = np.cumsum([0, *map(len, indices)])
    matrix = sp.csr_matrix(
        (np.concatenate(data or [np.zeros(0)]), np.concatenate(indices or [np.zeros(0)]), indptr),
        shape=(len(rows), len(kept)),
    )
    return [names[i] for i in kept], matrix


class FrequentTermsVectorizer(CountVectorizer):
    """``CountVectorizer`` with the same parameters and results, whose fit holds only the terms it keeps when an
    integer ``min_df`` of 2 or more prunes them (see the module's docstring); otherwise it is ``CountVectorizer``."""

    def fit(self, raw_documents, y=None):
        self.fit_transform(raw_documents)
        return self

    def fit_transform(self, raw_documents, y=None):
        bounded = (
            not isinstance(raw_documents, str)  # CountVectorizer's own error for a lone string
            and self.vocabulary is None
            and isinstance(self.min_df, Integral)
            and 2 <= self.min_df < 255
            and self.max_df == 1.0
            and self.max_features is None
        )
        if not bounded:
            return super().fit_transform(raw_documents, y)
        terms, counts = frequent_terms(list(raw_documents), self.build_analyzer(), self.min_df)
        if not terms:
            raise ValueError("After pruning, no terms remain. Try a lower min_df or a higher max_df.")
        self.vocabulary_, self.fixed_vocabulary_ = {term: i for i, term in enumerate(terms)}, False
        counts.data = np.ones_like(counts.data) if self.binary else counts.data
        return counts.astype(self.dtype)
