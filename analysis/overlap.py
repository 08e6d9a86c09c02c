"""How themes overlap across digests: counts, shares, enrichment with q-values, similarity, shared papers.

All tables are tidy frames computed from the papers frame with ``topic`` and ``topic_label``. A paper listed
in two digests counts once in each (it *is* part of both digests).

Classes of topics (:func:`classify_topics`), for a topic T and digest D:

* **unique to D** — every paper of T is in D (and T has at least 2 papers, or only one digest exists);
* **distinctive of D** — T's share of D is larger than its share of the other digests, and Fisher's exact
  test on the 2x2 table (in T or not) x (in D or not) gives a Benjamini–Hochberg q-value below ``alpha``
  (0.05) over all topic x digest tests;
* **shared** — every other topic: found in several digests, with no significant difference.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.spatial.distance import jensenshannon
from scipy.stats import fisher_exact
from statsmodels.stats.multitest import multipletests

__all__ = [
    "ALPHA",
    "CLASS_RULES",
    "classify_topics",
    "digest_similarity",
    "enrichment",
    "overlap_tables",
    "shared_papers",
    "topic_digest_counts",
]

ALPHA = 0.05
CLASS_RULES = (
    "A topic is unique to digest D when all its papers (at least 2) are in D; distinctive of D when its share of "
    "D is larger than its share of the other digests and Fisher's exact test on (in the topic or not) x (in D or "
    f"not) gives a Benjamini-Hochberg q-value below {ALPHA} over all topic x digest tests; shared otherwise."
)


def _digests(papers: pd.DataFrame) -> list[str]:
    return list(dict.fromkeys(papers["digest"]))  # in input order


def topic_digest_counts(papers: pd.DataFrame) -> pd.DataFrame:
    """One row per topic x digest: ``count``, ``digest_size`` and ``share`` (count / digest size)."""
    digests = _digests(papers)
    labels = papers.drop_duplicates("topic").set_index("topic")["topic_label"]
    counts = pd.crosstab(papers["topic"], papers["digest"]).reindex(columns=digests, fill_value=0)
    tidy = counts.stack().rename("count").reset_index()
    tidy["digest_size"] = tidy["digest"].map(papers["digest"].value_counts()).astype(int)
    tidy["share"] = tidy["count"] / tidy["digest_size"]
    tidy.insert(1, "topic_label", tidy["topic"].map(labels))
    tidy["digest"] = pd.Categorical(tidy["digest"], categories=digests, ordered=True)
    return tidy.sort_values(["topic", "digest"]).reset_index(drop=True).astype({"digest": str})


def enrichment(counts: pd.DataFrame) -> pd.DataFrame:
    """Fisher's exact test per topic x digest: is the topic over- or under-represented in the digest?

    Adds ``share_elsewhere`` (the topic's share of all other digests), ``odds_ratio``, ``p_value`` and
    ``q_value`` (Benjamini–Hochberg over all tests) to :func:`topic_digest_counts`' table.
    """
    table = counts.copy()
    topic_total = table.groupby("topic")["count"].transform("sum")
    total = table.drop_duplicates("digest")["digest_size"].sum()
    elsewhere_size = total - table["digest_size"]
    elsewhere_count = topic_total - table["count"]
    table["share_elsewhere"] = np.where(elsewhere_size > 0, elsewhere_count / elsewhere_size.clip(lower=1), np.nan)
    odds, p_values = [], []
    for a, size, b, other in zip(table["count"], table["digest_size"], elsewhere_count, elsewhere_size, strict=True):
        if other == 0:  # a single digest: nothing to compare with
            odds.append(np.nan)
            p_values.append(1.0)
            continue
        result = fisher_exact([[a, size - a], [b, other - b]])
        odds.append(float(result.statistic))
        p_values.append(float(result.pvalue))
    table["odds_ratio"] = odds
    table["p_value"] = p_values
    table["q_value"] = multipletests(p_values, method="fdr_bh")[1] if p_values else []
    return table


def classify_topics(enriched: pd.DataFrame, *, alpha: float = ALPHA) -> pd.DataFrame:
    """One row per topic: ``size``, ``n_digests`` (digests it appears in), ``class``, ``digest`` (for unique
    and distinctive topics) and the ``q_value`` behind a distinctive class."""
    rows = []
    n_digests_total = enriched["digest"].nunique()
    for (topic, label), group in enriched.groupby(["topic", "topic_label"], sort=True):
        present = group[group["count"] > 0]
        size = int(group["count"].sum())
        row = {"topic": topic, "topic_label": label, "size": size, "n_digests": len(present)}
        over = group[(group["q_value"] < alpha) & (group["share"] > group["share_elsewhere"])]
        if len(present) == 1 and (size >= 2 or n_digests_total == 1):
            row.update({"class": "unique", "digest": present["digest"].iloc[0], "q_value": np.nan})
        elif len(over):
            best = over.sort_values(["q_value", "digest"]).iloc[0]
            row.update({"class": "distinctive", "digest": best["digest"], "q_value": best["q_value"]})
        else:
            row.update({"class": "shared", "digest": "", "q_value": group["q_value"].min()})
        rows.append(row)
    return pd.DataFrame(rows)


def digest_similarity(counts: pd.DataFrame) -> pd.DataFrame:
    """Digest x digest Jensen–Shannon distance (base 2: 0 = same topic mix, 1 = no topic in common)."""
    shares = counts.pivot(index="digest", columns="topic", values="share")
    digests = list(dict.fromkeys(counts["digest"]))
    shares = shares.reindex(digests)
    values = shares.to_numpy()
    distance = np.array(
        [[jensenshannon(a, b, base=2) if a.sum() and b.sum() else np.nan for b in values] for a in values]
    )
    return pd.DataFrame(np.clip(np.nan_to_num(distance, nan=1.0), 0, 1), index=digests, columns=digests)


def shared_papers(papers: pd.DataFrame) -> pd.DataFrame:
    """Papers listed in more than one digest: ``paper_id``, ``title``, ``topic_label``, ``digests``, ``n_digests``."""
    multi = papers[papers["n_digests"] > 1]
    if multi.empty:
        return pd.DataFrame(columns=["paper_id", "title", "topic_label", "digests", "n_digests"])
    grouped = multi.groupby("paper_id", sort=False).agg(
        title=("title", "first"),
        topic_label=("topic_label", "first"),
        digests=("digest", " | ".join),
        n_digests=("n_digests", "first"),
    )
    return grouped.reset_index()


def overlap_tables(papers: pd.DataFrame, *, alpha: float = ALPHA) -> dict[str, pd.DataFrame]:
    """Every overlap table at once: ``counts`` (with enrichment), ``classes``, ``similarity``, ``shared_papers``."""
    counts = enrichment(topic_digest_counts(papers))
    return {
        "counts": counts,
        "classes": classify_topics(counts, alpha=alpha),
        "similarity": digest_similarity(counts),
        "shared_papers": shared_papers(papers),
    }
