"""How themes overlap across digests (or periods, or any grouping column): counts, shares, enrichment with
q-values, similarity, shared papers.

All tables are tidy frames computed from the papers frame with ``topic`` and ``topic_label``. The *unit* of
comparison is a column of the papers frame: ``digest`` when there are few digests; with many digests single
days have no power, so :func:`choose_unit` compares periods (``period``) instead, or a column the user names
(a source, a venue). The unit column is the third column of the counts table and its sizes are in
``<unit>_size``. A paper listed in two digests counts once in each (it *is* part of both digests).

Classes of topics (:func:`classify_topics`), for a topic T and group D:

* **unique to D** — every paper of T is in D (and T has at least 2 papers, or only one group exists);
* **distinctive of D** — T's share of D is larger than its share of the other groups, and Fisher's exact
  test on the 2x2 table (in T or not) x (in D or not) gives a Benjamini–Hochberg q-value below ``alpha``
  (0.05) over all topic x group tests;
* **shared** — every other topic: found in several groups, with no significant difference.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis._stats import ALPHA, q_values
from analysis.columns import require
from analysis.errors import InputError

__all__ = [
    "ALPHA",
    "CLASS_RULES",
    "MAX_GROUPS",
    "MAX_GROUP_VALUES",
    "OverlapTables",
    "choose_unit",
    "classify_topics",
    "digest_similarity",
    "enrichment",
    "ordered_groups",
    "overlap_tables",
    "shared_papers",
    "topic_digest_counts",
    "unit_of",
]

MAX_GROUPS = 20  # more digests than this are compared by period: single digests then have too few papers
MAX_GROUP_VALUES = 100  # --group-by: more values than this make an unreadable N x N matrix (and cost N squared)
CLASS_RULES = (
    "A topic is unique to group D (a digest, a period or a value of the grouping column) when all its papers "
    "(at least 2) are in D; distinctive of D when its share of D is larger than its share of the other groups "
    "and Fisher's exact test on (in the topic or not) x (in D or not) gives a Benjamini-Hochberg q-value below "
    f"{ALPHA} over all topic x group tests; shared otherwise."
)


def unit_of(table: pd.DataFrame) -> str:
    """The unit column of a counts table (its third column): ``digest``, ``period`` or a grouping column."""
    return str(table.columns[2])


def choose_unit(papers: pd.DataFrame, group_by: str | None = None) -> str:
    """The column to compare topics across: ``group_by`` if given; else ``digest`` for at most
    :data:`MAX_GROUPS` digests, else ``period`` when every paper has one, else ``digest``.

    >>> papers = pd.DataFrame({"digest": [f"d{i}" for i in range(30)], "period": ["2025-01"] * 15 + ["2025-02"] * 15})
    >>> choose_unit(papers), choose_unit(papers.head(3)), choose_unit(papers, "period")
    ('period', 'digest', 'period')
    """
    if group_by is not None:
        if group_by not in papers.columns:
            raise InputError(
                f"--group-by {group_by!r}: no such column (columns: {', '.join(map(str, papers.columns))})"
            )
        n = papers[group_by].nunique()
        if group_by != "period" and n > MAX_GROUP_VALUES:
            raise InputError(
                f"--group-by {group_by!r} has {n} values; topics are compared across at most {MAX_GROUP_VALUES} "
                "(each pair of values is a cell of the similarity matrix): group them into fewer values first"
            )
        return group_by
    dated = "period" in papers.columns and (papers["period"].astype(str) != "").all()
    return "period" if papers["digest"].nunique() > MAX_GROUPS and dated else "digest"


def ordered_groups(values, unit: str = "digest") -> list:
    """The distinct ``values`` of a grouping column in the order every table and figure shows them: periods in
    time order (their names sort so), digests and other groups in the order they first occur (input order).

    >>> ordered_groups(["b", "a", "b"]), ordered_groups(["2025-02", "2025-01"], "period")
    (['b', 'a'], ['2025-01', '2025-02'])
    """
    return sorted(set(values)) if unit == "period" else list(dict.fromkeys(values))


def topic_digest_counts(papers: pd.DataFrame, by: str = "digest") -> pd.DataFrame:
    """One row per topic x group of ``by`` (default: digest): ``count``, ``<by>_size`` and ``share`` (count /
    group size). Periods in time order (their names sort so), other groups in input order."""
    values = papers[by].astype(str).where(papers[by].notna(), "")
    groups = ordered_groups(values, by)
    labels = papers.drop_duplicates("topic").set_index("topic")["topic_label"]
    counts = pd.crosstab(papers["topic"], values.rename(by)).reindex(columns=groups, fill_value=0)
    tidy = counts.stack().rename("count").reset_index()
    tidy[f"{by}_size"] = tidy[by].map(values.value_counts()).astype(int)
    tidy["share"] = tidy["count"] / tidy[f"{by}_size"]
    tidy.insert(1, "topic_label", tidy["topic"].map(labels))
    tidy[by] = pd.Categorical(tidy[by], categories=groups, ordered=True)
    return tidy.sort_values(["topic", by]).reset_index(drop=True).astype({by: str})


def enrichment(counts: pd.DataFrame) -> pd.DataFrame:
    """Fisher's exact test per topic x group: is the topic over- or under-represented in the group?

    Adds ``share_elsewhere`` (the topic's share of all other groups), ``odds_ratio``, ``p_value`` and
    ``q_value`` (Benjamini–Hochberg over all tests) to :func:`topic_digest_counts`' table.
    """
    from scipy.stats import fisher_exact

    table = counts.copy()
    unit = unit_of(table)
    sizes = table[f"{unit}_size"]
    topic_total = table.groupby("topic")["count"].transform("sum")
    total = table.drop_duplicates(unit)[f"{unit}_size"].sum()
    elsewhere_size = total - sizes
    elsewhere_count = topic_total - table["count"]
    table["share_elsewhere"] = np.where(elsewhere_size > 0, elsewhere_count / elsewhere_size.clip(lower=1), np.nan)
    odds, p_values = [], []
    for a, size, b, other in zip(table["count"], sizes, elsewhere_count, elsewhere_size, strict=True):
        if other == 0:  # a single digest: nothing to compare with
            odds.append(np.nan)
            p_values.append(1.0)
            continue
        result = fisher_exact([[a, size - a], [b, other - b]])
        odds.append(float(result.statistic))
        p_values.append(float(result.pvalue))
    table["odds_ratio"] = odds
    table["p_value"] = p_values
    table["q_value"] = q_values(p_values)
    return table


def classify_topics(enriched: pd.DataFrame, *, alpha: float = ALPHA) -> pd.DataFrame:
    """One row per topic: ``size``, ``n_<unit>s`` (groups it appears in, e.g. ``n_digests``), ``class``, the
    group (for unique and distinctive topics) and the ``q_value`` behind a distinctive class."""
    rows = []
    unit = unit_of(enriched)
    n_groups_total = enriched[unit].nunique()
    for (topic, label), group in enriched.groupby(["topic", "topic_label"], sort=True):
        present = group[group["count"] > 0]
        size = int(group["count"].sum())
        row = {"topic": topic, "topic_label": label, "size": size, f"n_{unit}s": len(present)}
        over = group[(group["q_value"] < alpha) & (group["share"] > group["share_elsewhere"])]
        if len(present) == 1 and (size >= 2 or n_groups_total == 1):
            row.update({"class": "unique", unit: present[unit].iloc[0], "q_value": np.nan})
        elif len(over):
            best = over.sort_values(["q_value", unit]).iloc[0]
            row.update({"class": "distinctive", unit: best[unit], "q_value": best["q_value"]})
        else:
            row.update({"class": "shared", unit: "", "q_value": group["q_value"].min()})
        rows.append(row)
    return pd.DataFrame(rows)


def digest_similarity(counts: pd.DataFrame) -> pd.DataFrame:
    """Group x group (e.g. digest x digest) Jensen–Shannon distance (base 2: 0 = same topic mix, 1 = no topic
    in common)."""
    from scipy.spatial.distance import jensenshannon

    unit = unit_of(counts)
    shares = counts.pivot(index=unit, columns="topic", values="share")
    digests = ordered_groups(counts[unit], unit)
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


@dataclass
class OverlapTables:
    """Every overlap table: ``counts`` (topic x group, with enrichment), ``classes`` (one row per topic),
    ``similarity`` (group x group), ``shared_papers`` (papers in several digests), and the ``unit`` compared."""

    counts: pd.DataFrame
    classes: pd.DataFrame
    similarity: pd.DataFrame
    shared_papers: pd.DataFrame
    unit: str


def overlap_tables(papers: pd.DataFrame, *, by: str = "digest", alpha: float = ALPHA) -> OverlapTables:
    """Every overlap table at once, comparing the groups of column ``by`` (see :func:`choose_unit`).

    >>> papers = pd.DataFrame({"digest": list("AAAABBBB"), "topic": [0, 0, 0, 1, 1, 1, 1, 0],
    ...                        "topic_label": ["x", "x", "x", "y", "y", "y", "y", "x"],
    ...                        "paper_id": list("abcdefgh"), "title": list("abcdefgh"), "n_digests": 1})
    >>> tables = overlap_tables(papers)
    >>> tables.counts[["topic", "digest", "count", "share"]].values.tolist()
    [[0, 'A', 3, 0.75], [0, 'B', 1, 0.25], [1, 'A', 1, 0.25], [1, 'B', 3, 0.75]]
    >>> tables.unit, tables.classes["class"].tolist()
    ('digest', ['shared', 'shared'])
    """
    if by not in papers.columns:
        raise InputError(f"no column {by!r} to compare topics across")
    require(papers, ["topic", "topic_label", "paper_id", "title", "n_digests"], "the overlap tables")
    counts = enrichment(topic_digest_counts(papers, by=by))
    return OverlapTables(
        counts=counts,
        classes=classify_topics(counts, alpha=alpha),
        similarity=digest_similarity(counts),
        shared_papers=shared_papers(papers),
        unit=by,
    )
