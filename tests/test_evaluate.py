"""Topic quality metrics, checked by hand on a corpus small enough to count."""

import math

import numpy as np
import pandas as pd
import pytest

from analysis.errors import InputError
from analysis.evaluate import evaluate, format_table, npmi_coherence, topic_diversity

TEXTS = ["Alpha beta.", "alpha, BETA", "alpha gamma", "delta"]


def _npmi(joint: float, a: float, b: float) -> float:
    return math.log(joint / (a * b)) / -math.log(joint)


def test_npmi_from_document_co_occurrence():
    # alpha in 3 of 4 texts, beta in 2, both in 2; gamma in 1, with alpha once, never with beta
    alpha_beta, alpha_gamma = _npmi(2 / 4, 3 / 4, 2 / 4), _npmi(1 / 4, 3 / 4, 1 / 4)
    assert npmi_coherence([["alpha", "beta"]], TEXTS) == pytest.approx(alpha_beta)  # 0.415
    assert npmi_coherence([["beta", "delta"]], TEXTS) == -1.0  # never together
    assert npmi_coherence([["alpha", "beta", "gamma"]], TEXTS) == pytest.approx((alpha_beta + alpha_gamma - 1) / 3)
    # one mean per topic, then the mean of the topics
    assert npmi_coherence([["alpha", "beta"], ["beta", "delta"]], TEXTS) == pytest.approx((alpha_beta - 1) / 2)
    assert math.isnan(npmi_coherence([], TEXTS))


def test_diversity_is_unique_terms_over_all_terms():
    assert topic_diversity([["a", "b"], ["b", "c"]]) == 0.75
    assert topic_diversity([["a", "b"], ["c", "d"]]) == 1.0
    assert math.isnan(topic_diversity([]))


def test_format_table_writes_counts_whole_and_scores_to_three_places():
    table = pd.DataFrame({"ours": [12.0, 0.12345, np.nan], "bertopic_defaults": [30.0, -0.5, 0.25]})
    table.index = ["topics", "npmi", "nmi"]
    assert format_table(table).splitlines() == [
        "| metric | ours | bertopic_defaults |",
        "|---|---:|---:|",
        "| topics | 12 | 30 |",
        "| npmi | 0.123 | -0.500 |",
        "| nmi | – | 0.250 |",
    ]


def test_a_missing_label_column_is_refused_before_any_embedding():
    papers = pd.DataFrame({"title": ["A"], "abstract": ["B"], "digest": ["d"]})
    with pytest.raises(InputError, match=r"no column 'category' in the papers \(columns: title, abstract, digest\)"):
        evaluate(papers, label_column="category", embedder=object())  # an embedder that cannot embed anything


def test_hyphenated_terms_are_counted_as_our_topics_keep_them():
    texts = ["In-context learning with demonstrations.", "In-context learning again.", "Retrieval only.", "Other."]
    joined = npmi_coherence([["in-context", "learning"]], texts)
    assert joined == npmi_coherence([["incontext", "learning"]], texts) == 1.0  # always together, both spellings
    assert npmi_coherence([["in-context learning", "demonstrations"]], texts) == pytest.approx(
        _npmi(1 / 4, 2 / 4, 1 / 4)
    )
