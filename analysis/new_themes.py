"""New themes: subjects that the papers added in an update hold and the saved papers (nearly) lack.

The test, built so that noise is not called a theme:

1. **Candidates, blind to which papers are new.** The saved and the new papers are clustered together by
   spherical k-means at several granularities (about as fine as the saved topics, then two and four times
   finer), without looking at which papers are new. Clustering only the new papers and then asking how far they
   lie from the saved topics would pick the candidates with the very data that tests them (on a month without a
   new subject that found 5 "new" clusters); clustering blind keeps the papers exchangeable under the null.
2. **The test.** For each candidate, Fisher's exact test (one-sided) of whether its share of new papers exceeds
   the share of new papers overall; the p-values of all candidates of all granularities are corrected together
   by Benjamini–Hochberg (valid for the positively dependent tests of nested clusters) into q-values.
3. **Newer than its surroundings.** A candidate from a finer clustering must also hold more new papers than the
   rest of the coarse cluster it lies in (Fisher, one-sided, Benjamini–Hochberg over the candidates:
   ``q_within`` < 0.05): cutting a theme that grew into pieces gives pieces as new as the whole, one of which
   would otherwise pass by chance; a new subject among old neighbours is newer than they are.
4. **A minimum size and effect.** A new theme needs q < 0.05, at least :data:`MIN_NEW_PAPERS` new papers, and a
   share of the new papers at least :data:`MIN_RATE_RATIO` times its share of the saved papers (the ``rate_ratio``,
   with its 95% interval): a subject that was already there and grew, or the drift of a month, is a trend, not a
   new theme.
5. **One theme per subject.** Called candidates are taken by ascending q; one whose papers are mostly (more than
   half) inside a theme already taken is the same subject at another granularity and is dropped.
6. **A saved topic is not new.** A candidate whose papers are mostly in one saved topic, and which holds most of
   that topic's papers, is that topic (adopted in an earlier update, or grown): its growth is a trend, tested
   with the trends, and it is not listed again. A new subject placed onto its nearest saved topic is a small part
   of it, and stays a candidate.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis._stats import ALPHA, q_values
from analysis.levels import kmeans, unit_rows

__all__ = ["ALPHA", "MIN_NEW_PAPERS", "MIN_RATE_RATIO", "NEW_THEME_RULES", "NewThemes", "find_new_themes"]

MIN_NEW_PAPERS = 10
# At least 4x its share before: on real Daily Papers months with a subject held out of the saved weeks (bench/
# new_themes.py), 5x missed held-out robotics in 1 of 5 windows, 3x called a theme in 1 of 5 real months without one.
MIN_RATE_RATIO = 4.0
GRANULARITIES = (1, 2, 4)
NEW_THEME_RULES = (
    "A new theme is a group of papers, found by clustering the saved and the new papers together without "
    "looking at which are new (k-means at the saved topics' granularity, and two and four times finer), whose "
    "share of new papers is higher than the share of new papers overall: Fisher's exact test, one-sided, with "
    f"Benjamini-Hochberg correction over every group tested (q < {ALPHA}). A group from a finer clustering must "
    "also hold more new papers than the rest of the coarse group it lies in (one-sided Fisher, Benjamini-Hochberg, "
    f"q < {ALPHA}): a "
    "theme that grew, cut into pieces, gives pieces no newer than the whole. It also needs at least "
    f"{MIN_NEW_PAPERS} new papers, and its share of the new papers must be at least {MIN_RATE_RATIO:g} times its share "
    "of the saved papers (the ratio, with its 95% interval): a theme that was already there and grew is a trend, "
    "not a new theme. A group mostly inside a theme already called is the same subject and is not listed again, "
    "and a group mostly in one saved topic that holds most of that topic's papers is that topic (an adopted theme, "
    "or one that grew), not a new theme."
)  # candidate clusterings: the saved fine count (scaled to all papers) times these
N_INIT = 10
COLUMNS = [
    "new_theme",
    "size",
    "new_papers",
    "saved_papers",
    "new_share",
    "overall_new_share",
    "rate_ratio",
    "ratio_low",
    "ratio_high",
    "p_value",
    "q_value",
]


# every candidate's test, in the order _candidates makes them (q-values, the call and the theme added last)
CANDIDATE_COLUMNS = [
    "granularity",
    "cluster",
    *COLUMNS[1:-1],
    "p_within",
    "q_value",
    "q_within",
    "called",
    "new_theme",
]


@dataclass
class NewThemes:
    """What :func:`find_new_themes` finds.

    Attributes
    ----------
    table : DataFrame
        One row per new theme (numbered 0.. by ascending q): ``new_theme``, ``size`` (papers, saved and new),
        ``new_papers``, ``saved_papers``, ``new_share`` (of its papers), ``overall_new_share``, ``rate_ratio``
        (its share of the new papers / its share of the saved papers) with its 95% interval ``ratio_low`` –
        ``ratio_high``, ``p_value`` and ``q_value``. Empty (with these columns) when none passes.
    candidates : DataFrame
        Every candidate tested: ``granularity`` (clusters in its clustering), ``cluster`` and the columns above
        but ``new_theme``, plus ``p_within`` and ``q_within`` (the test against the rest of its coarse cluster),
        ``called`` (passes
        the test) and ``new_theme`` (the theme it became, or -1).
    theme : ndarray of int
        Per paper, its new theme, or -1.
    """

    table: pd.DataFrame
    candidates: pd.DataFrame
    theme: np.ndarray


def _rate_ratio(new_in: int, n_new: int, saved_in: int, n_saved: int) -> tuple[float, float, float]:
    from statsmodels.stats.proportion import confint_proportions_2indep

    # 0.5 added to each count, as the log-adjusted interval does: a theme absent before gets a finite ratio, and
    # a handful of papers cannot reach the minimum ratio on chance zeros
    ratio = ((new_in + 0.5) / (n_new + 0.5)) / ((saved_in + 0.5) / (n_saved + 0.5))
    low, high = confint_proportions_2indep(new_in, n_new, saved_in, n_saved, compare="ratio", method="log-adjusted")
    return float(ratio), float(low), float(high)


def _candidates(clusterings: dict[int, np.ndarray], is_new: np.ndarray, min_size: int) -> pd.DataFrame:
    """The test of every cluster of at least ``min_size`` papers (a smaller one could never hold a theme: leaving
    it out looks only at its size, never at which papers are new, and spares the correction a hopeless test)."""
    from scipy.stats import fisher_exact

    n_new, n_saved = int(is_new.sum()), int((~is_new).sum())
    coarsest = clusterings[min(clusterings)]
    rows = []
    for k, labels in clusterings.items():
        for cluster in range(k):
            members = labels == cluster
            if members.sum() < min_size:
                continue
            new_in = int((members & is_new).sum())
            saved_in = int(members.sum()) - new_in
            p = fisher_exact([[new_in, saved_in], [n_new - new_in, n_saved - saved_in]], alternative="greater")[1]
            # against the rest of the coarse cluster it lies in: a piece of a theme that grew is no newer than
            # the rest of that theme, a new subject among old neighbours is
            parent = coarsest == np.bincount(coarsest[members]).argmax()
            rest = parent & ~members
            rest_new = int((rest & is_new).sum())
            p_parent = (
                fisher_exact([[new_in, saved_in], [rest_new, int(rest.sum()) - rest_new]], alternative="greater")[1]
                if rest.sum()
                else p
            )
            ratio, low, high = _rate_ratio(new_in, n_new, saved_in, n_saved)
            rows.append(
                {
                    "granularity": k,
                    "cluster": cluster,
                    "size": new_in + saved_in,
                    "new_papers": new_in,
                    "saved_papers": saved_in,
                    "new_share": new_in / (new_in + saved_in),
                    "overall_new_share": n_new / (n_new + n_saved),
                    "rate_ratio": ratio,
                    "ratio_low": low,
                    "ratio_high": high,
                    "p_value": float(p),
                    "p_within": float(p_parent),
                }
            )
    table = pd.DataFrame(rows, columns=CANDIDATE_COLUMNS[:-4])  # with its columns when no cluster is big enough
    for p, q in (("p_value", "q_value"), ("p_within", "q_within")):
        table[q] = q_values(table[p])
    return table


def _clusterings(points: np.ndarray, ks: list[int], seed: int) -> dict[int, np.ndarray]:
    """The k-means labels of ``points`` for each k of ``ks``: side by side, one thread each (the largest k
    first). For a saved year and a month (1,300 papers) that took 1.1 s where one fit after another, each
    spread over the two cores of the benchmark machine, took 2.5 s; the labels are the same."""
    from threadpoolctl import threadpool_limits

    with (
        threadpool_limits(limits=1),  # restored on leaving; the fits' own limits then nest inside it
        ThreadPoolExecutor(max_workers=max(1, min(len(ks), os.cpu_count() or 1))) as pool,
    ):
        done = {k: pool.submit(kmeans(k, seed, N_INIT).fit_predict, points) for k in sorted(ks, reverse=True)}
        return {k: done[k].result() for k in ks}


def _is_a_saved_topic(members: np.ndarray, topics) -> bool:
    """Whether the papers ``members`` are mostly in one saved topic and hold most of its papers."""
    if topics is None:
        return False
    topics = np.asarray(topics)
    values, counts = np.unique(topics[members], return_counts=True)
    top = values[np.argmax(counts)]
    return bool(counts.max() > 0.5 * members.sum() and counts.max() > 0.5 * (topics == top).sum())


def find_new_themes(
    vectors: np.ndarray,
    is_new,
    *,
    n_topics: int,
    seed: int = 42,
    alpha: float = ALPHA,
    min_new_papers: int = MIN_NEW_PAPERS,
    min_ratio: float = MIN_RATE_RATIO,
    topics=None,
) -> NewThemes:
    """Test for new themes among saved + new papers (see the module's docstring for the method).

    Parameters
    ----------
    vectors
        One embedding per paper, saved and new together.
    is_new
        Per paper, whether it is new (added in this update); the clustering never sees it.
    n_topics
        The saved model's number of fine topics; the coarsest candidates are that many clusters per saved
        paper count, scaled to all papers.
    seed
        Seed of the k-means candidates: the same papers and seed give the same themes.
    topics
        Per paper, the saved topic it is in (or placed onto); a candidate that is one of them is not new (rule 6).
    """
    is_new = np.asarray(is_new, dtype=bool)
    n, n_new = len(is_new), int(is_new.sum())
    theme = np.full(n, -1)
    if n_new < min_new_papers or n_new == n:
        return NewThemes(pd.DataFrame(columns=COLUMNS), pd.DataFrame(columns=CANDIDATE_COLUMNS), theme)
    points = unit_rows(np.asarray(vectors, dtype=np.float32))
    base = max(2, round(n_topics * n / (n - n_new)))
    # the finest clusters still average two minimum themes: finer ones could not reach the minimum size
    ks = sorted({min(base * g, max(2, n // (2 * min_new_papers))) for g in GRANULARITIES})
    clusterings = _clusterings(points, ks, seed)
    candidates = _candidates(clusterings, is_new, min_size=min_new_papers)
    candidates["called"] = (
        (candidates["q_value"] < alpha)
        & (candidates["q_within"] < alpha)
        & (candidates["new_papers"] >= min_new_papers)
        & (candidates["rate_ratio"] >= min_ratio)
    )
    candidates["new_theme"] = -1
    rows = []
    for index in candidates.loc[candidates["called"]].sort_values(["q_value", "granularity"], kind="stable").index:
        members = clusterings[candidates.at[index, "granularity"]] == candidates.at[index, "cluster"]
        if (theme[members] >= 0).mean() > 0.5 or _is_a_saved_topic(members, topics):
            continue  # the same subject at another granularity, already taken; or a topic the model has
        number = len(rows)
        theme[members & (theme < 0)] = number
        candidates.at[index, "new_theme"] = number
        rows.append(candidates.loc[index])
    table = pd.DataFrame(rows, columns=candidates.columns)
    return NewThemes(table[COLUMNS].reset_index(drop=True), candidates, theme)
