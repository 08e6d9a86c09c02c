"""How many topics, at two nested levels, and how reproducible each topic is.

**Counts (Clest, Dudoit & Fridlyand 2002).** A number of topics is worth choosing when its clusters come back when
the papers are resampled *more than clusters of data without any topics would*. For each candidate ``k`` we fit
spherical k-means on random 80% subsamples and score how well the fits agree (mean adjusted Rand index over pairs
of fits, on the same papers); we do the same on reference data with no cluster structure (a Gaussian with the
papers' mean and covariance, projected onto the sphere like the embeddings). The *excess reproducibility* of ``k``
is the difference. The broad level takes the fewest ``k`` from 4 to 12 whose excess, averaged over three
independent streams (each its own sample of papers and its own reference), is within one standard error *between
the streams* of the largest; the fine level the most ``k`` from twice the broad count up to one topic per 10
papers (at most 60) within one standard error of the best excess of the first stream: as broad as the data allow
for structure, as fine as they allow for detail. The standard error is pooled over the candidates (the root mean
square of theirs): three streams give too rough an error for one ``k`` alone, and the best ``k``'s own error made
the broad count jump between 7 and 12 on a year of Daily Papers. The resampling uses its own fixed random stream,
so the counts depend on the papers only, not on the seed of the fit. Nor do they depend on the CPU's last digits:
the reference data are a linear function of the papers (:func:`_stream`) and the k-means starts are drawn so that
such noise cannot move them (:func:`kmeans_starts`); with noise of 1e-6 per coordinate the counts stayed the same
in every draw measured. Measured in ``docs/quality.md``.

**Nesting, top down** (:class:`NestedKMeans`). Broad topics are spherical k-means clusters of the papers;
each broad topic's papers are then split by k-means into fine topics, as many as its share of the papers
earns it (at least one), so every fine topic lies in exactly one broad topic. Grouping fine topics bottom up
instead agreed less with labelled categories and moved more between seeds (``docs/quality.md``).

**Stability of a topic (Hennig 2007).** Refit both levels on random 80% subsamples and place every paper;
a topic's stability is the mean, over refits, of its best Jaccard overlap with a refitted topic. Above 0.75
a topic is solid; below 0.5 it is an artefact of this run.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from analysis.errors import InputError
from analysis.geometry import BlockMap, nearest_centroid

__all__ = [
    "LEVEL_RULES",
    "Granularity",
    "fine_level_note",
    "check_counts",
    "choose_counts",
    "NestedKMeans",
    "group_centres",
    "kmeans_starts",
    "place",
    "reproducibility",
    "share_topics",
    "topic_stability",
    "unit_rows",
]

BROAD_RANGE = (4, 12)  # a handful of areas to structure a review: fewer says little, more is not "broad"
MAX_FINE = 60
PAPERS_PER_TOPIC = 10  # the fine level has at most one topic per this many papers
SUBSAMPLE = 0.8
N_RESAMPLES = 8
RESAMPLE_N_INIT = 2  # k-means starts per resampled fit
COUNT_STREAMS = 3  # independent samples whose curves are averaged for the broad count
COUNT_SEED = 0  # the counts' own random stream: the same papers get the same counts whatever the fit's seed
MAX_CURVE_PAPERS = 1200  # the counts are chosen on at most this many papers (sampled), for speed
N_STABILITY_REFITS = 5
SOLID, RECURS = 0.75, 0.5  # stability above SOLID: a solid topic; below RECURS: it may not recur in another run


CHOSEN_BY = (
    "reproducibility under resampling beyond that of data without topics (Clest): broad, the fewest of "
    f"{BROAD_RANGE[0]}-{BROAD_RANGE[1]} tied with the best; fine, the most tied with the best"
)
LEVEL_RULES = (
    "Two levels, top down: broad topics are spherical k-means clusters of the papers' embeddings; each broad "
    "topic's papers are split by k-means into fine topics, in proportion to its size. Both counts are chosen "
    f"from the data, by how well k-means fits on random {SUBSAMPLE:.0%} subsamples agree (adjusted Rand index), "
    "beyond how well they agree on data without topics (excess reproducibility, Clest): broad, the fewest topics "
    f"from {BROAD_RANGE[0]} to {BROAD_RANGE[1]} within one standard error (pooled over the counts) of the best "
    f"excess (averaged over {COUNT_STREAMS} independent samples); fine, the most topics, from twice the broad count "
    f"up to one per {PAPERS_PER_TOPIC} papers, within one such standard error of the best excess. The counts use "
    "their own fixed random stream, so they depend on the papers, not on the seed. Stability: the mean best "
    f"Jaccard overlap of a topic with the topics of {N_STABILITY_REFITS} refits on random {SUBSAMPLE:.0%} "
    f"subsamples (0–1; above {SOLID} solid, below {RECURS} the theme may not recur in another run)."
)


@dataclass(frozen=True)
class Granularity:
    """The chosen counts and the evidence: ``curve`` has one row per candidate ``k`` with ``reproducibility``
    (data), ``reference`` (no-topic data), ``excess`` (their difference) and its standard error ``excess_se``,
    averaged over ``streams`` independent samples."""

    n_topics: int
    n_broad: int
    curve: pd.DataFrame
    chosen_by: str


def kmeans(k: int, seed: int, n_init: int = 1):
    from sklearn.cluster import KMeans

    return KMeans(n_clusters=k, random_state=seed, n_init=n_init)


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Each row scaled to length 1 (zero rows stay zero); rows already of length 1 are returned as they are,
    so that fitting on the vectors a fit returns repeats that fit bit for bit."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    if np.all(np.abs(norms - 1) < 1e-5):
        return vectors
    return vectors / np.where(norms == 0, 1, norms)


def group_centres(vectors: np.ndarray, groups: np.ndarray, ids) -> np.ndarray:
    """The unit-length mean of the rows of ``vectors`` in each group of ``ids`` (one row per id, in order)."""
    return unit_rows(np.vstack([vectors[groups == g].mean(axis=0) for g in ids]))


def check_counts(
    n_papers: int | None,
    n_topics: int | None,
    n_broad: int | None,
    *,
    names: tuple[str, str] = ("n_topics", "n_broad"),
) -> None:
    """Raise ``InputError`` unless the given counts fit ``n_papers`` (``None``: not known yet, so only the checks
    that need no papers) and broad topics do not outnumber fine ones; ``names`` are what the message calls the
    two counts (e.g. the command-line flags)."""
    for name, value in zip(names, (n_topics, n_broad), strict=True):
        if value is not None and not 1 <= int(value) <= (int(value) if n_papers is None else n_papers):
            raise InputError(f"{name} must be between 1 and the number of papers ({n_papers}), got {value}")
    if n_topics is not None and n_broad is not None and n_broad > n_topics:
        raise InputError(f"{names[1]} ({n_broad}) cannot exceed {names[0]} ({n_topics}): broad topics group fine ones")


def adjusted_rand(a: np.ndarray, b: np.ndarray) -> float:
    """scikit-learn's ``adjusted_rand_score`` of two labellings by non-negative integers, computed the same way
    (exact integer pair counts, so the same float) without its input checks, which cost more than the sum
    itself on the hundreds of comparisons a count choice makes.

    >>> a = np.array([0, 0, 1, 1])
    >>> adjusted_rand(a, np.array([1, 1, 0, 0])), adjusted_rand(a, np.array([0, 1, 0, 1]))
    (1.0, -0.5)
    """
    a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    width = int(b.max()) + 1
    table = np.bincount(a * width + b, minlength=(int(a.max()) + 1) * width).reshape(-1, width)
    n, squares = len(a), int((table**2).sum())
    fp = int((table @ table.sum(axis=0)).sum()) - squares
    fn = int((table.T @ table.sum(axis=1)).sum()) - squares
    tp, tn = squares - n, n * n - fp - fn - squares
    if fn == 0 and fp == 0:
        return 1.0
    return 2.0 * (tp * tn - fn * fp) / ((tp + fn) * (fn + tn) + (tp + fp) * (fp + tn))


def kmeans_starts(points: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """``k`` starting centres for k-means, chosen as scikit-learn's greedy k-means++ chooses them (each step
    draws ``2 + log k`` candidates with probability proportional to the squared distance to the nearest centre
    so far, and keeps the one that lowers the sum of those distances most), but drawn so that noise in the
    points' last digits cannot change them.

    scikit-learn draws a candidate by placing a uniform number in the running sum of the squared distances:
    a change in the 7th digit moves that sum's steps, and every few dozen fits another point starts. Here each
    candidate is the point with the largest ``log d² + G``, ``G`` Gumbel noise from ``rng`` (the same law:
    sampling without replacement in proportion to ``d²``), which the same change almost never reorders. On
    data without topics a changed start gives another of many equally good partitions, so this is what keeps
    the reference reproducibility, and with it the counts, the same on another CPU (``docs/quality.md``).

    >>> points = np.array([[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [5.1, 5.0]], dtype=np.float32)
    >>> sorted(kmeans_starts(points, 2, np.random.default_rng(0))[:, 0].round().tolist())
    [0.0, 5.0]
    """
    n, trials = len(points), min(len(points), 2 + int(np.log(k)))
    norms = np.einsum("ij,ij->i", points, points)

    def squared_distances(rows) -> np.ndarray:
        return np.maximum(norms[rows][:, None] + norms[None] - 2 * points[rows] @ points.T, 0)

    chosen = [int(rng.integers(n))]
    nearest = squared_distances(chosen)[0]
    for _ in range(1, k):
        with np.errstate(divide="ignore"):
            keys = np.log(nearest) + rng.gumbel(size=n)
        candidates = np.argpartition(-keys, trials - 1)[:trials]
        after = np.minimum(nearest, squared_distances(candidates))
        best = int(np.argmin(after.sum(axis=1)))
        chosen.append(int(candidates[best]))
        nearest = after[best]
    return points[chosen]


def _resampled_fit(points: np.ndarray, k: int, rng: np.random.Generator):
    """The best (least inertia) of ``RESAMPLE_N_INIT`` k-means fits from :func:`kmeans_starts`."""
    from sklearn.cluster import KMeans

    fits = [KMeans(k, init=kmeans_starts(points, k, rng), n_init=1).fit(points) for _ in range(RESAMPLE_N_INIT)]
    return min(fits, key=lambda fit: fit.inertia_)


def reproducibility(vectors: np.ndarray, k: int, *, seed: int, n_resamples: int = N_RESAMPLES) -> tuple[float, float]:
    """Mean adjusted Rand index between k-means fits on random subsamples, each placing every paper, and its
    standard error (from each fit's mean agreement with the others)."""
    rng = np.random.default_rng(seed)
    size = max(k, int(SUBSAMPLE * len(vectors)))
    fits = []
    for index in range(n_resamples):
        sample = rng.choice(len(vectors), size=size, replace=False)
        fit = _resampled_fit(vectors[sample], k, np.random.default_rng([seed, index]))
        fits.append(fit.predict(vectors))
    agreement = np.eye(n_resamples)
    for i, j in itertools.combinations(range(n_resamples), 2):
        agreement[i, j] = agreement[j, i] = adjusted_rand(fits[i], fits[j])
    per_fit = (agreement.sum(axis=1) - 1) / (n_resamples - 1)
    return float(per_fit.mean()), float(per_fit.std(ddof=1) / np.sqrt(n_resamples))


def _candidates(low: int, high: int) -> list[int]:
    """Every k up to 12, then steps of about 20% (enough resolution for a count read as 'about 20')."""
    ks, k = [], low
    while k <= high:
        ks.append(k)
        k = k + 1 if k < 12 else max(k + 2, round(k * 1.2))
    return ks


def _stream(vectors: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """One stream of the count choice: a sample of at most ``MAX_CURVE_PAPERS`` papers and its reference data
    without topics, on the sphere: a Gaussian with the sample's mean and covariance, drawn as
    ``mean + Z (X - mean) / sqrt(n - 1)`` with ``Z`` standard normal from the stream's seed.

    That draw is a linear function of the papers, so noise in their last digits (another CPU's arithmetic)
    moves the reference by as little. NumPy's ``multivariate_normal`` factorises the covariance by SVD, whose
    signs and whose rotations within near-equal eigenvalues jump with such noise: a new reference for every
    last-digit change, and with it other counts (``docs/quality.md``)."""
    rng = np.random.default_rng(seed)
    if len(vectors) > MAX_CURVE_PAPERS:
        vectors = vectors[np.sort(rng.choice(len(vectors), size=MAX_CURVE_PAPERS, replace=False))]
    n = len(vectors)
    mean = vectors.mean(axis=0, dtype=np.float64)
    reference = mean + rng.standard_normal((n, n)) @ (vectors - mean) / np.sqrt(n - 1)
    return vectors, unit_rows(reference).astype(vectors.dtype)


def choose_counts(
    vectors: np.ndarray, *, seed: int = COUNT_SEED, n_topics: int | None = None, n_broad: int | None = None
) -> Granularity:
    """Choose the fine and broad numbers of topics for L2-normalised ``vectors`` (see the module docstring).

    A count given as ``n_topics`` / ``n_broad`` is kept; a tiny corpus gets what it can hold: one topic below
    3 papers, and never more broad than fine topics. ``seed`` starts the counts' own random stream.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> centres = 3 * np.eye(16)[:6]  # six well-separated groups of 40 points
    >>> points = np.vstack([c + rng.normal(size=(40, 16)) * 0.3 for c in centres])
    >>> counts = choose_counts(points / np.linalg.norm(points, axis=1, keepdims=True))
    >>> counts.n_broad
    6
    """
    vectors = np.asarray(vectors, dtype=np.float32)  # one arithmetic, whatever the caller's dtype
    n = len(vectors)
    high = max(1, min(MAX_FINE, n // PAPERS_PER_TOPIC))
    if n < 3 or (n_topics is None and high < 2) or n_topics == 1:
        return Granularity(1 if n_topics is None else n_topics, 1, pd.DataFrame(), "too few papers to split")
    streams = functools.cache(lambda index: _stream(vectors, seed + index))  # made when first measured

    @functools.cache
    def measure(stream: int, k: int) -> dict:
        """That stream's reproducibility of ``k``."""
        with threadpool_limits(1):  # k-means of about 1,000 papers: one thread is 3x faster than two
            (data, data_se), (null, null_se) = (reproducibility(x, k, seed=seed + stream) for x in streams(stream))
        return {
            "reproducibility": data,
            "reference": null,
            "excess": data - null,
            "excess_se": np.hypot(data_se, null_se),
        }

    def tied(table: pd.DataFrame) -> pd.Series:
        margin = np.sqrt((table["excess_se"] ** 2).mean())
        return table.loc[table["excess"] >= table["excess"].max() - margin, "k"]

    curve = pd.DataFrame()
    fine_cap = n_topics if n_topics is not None else high
    if n_broad is None:
        low, top = BROAD_RANGE[0], min(BROAD_RANGE[1], fine_cap)
        if top >= low:
            rows = []
            for k in range(low, top + 1):
                per_stream = pd.DataFrame([measure(s, k) for s in range(COUNT_STREAMS)])
                row = per_stream.mean().to_dict()
                row.update(k=k, streams=COUNT_STREAMS, excess_se=per_stream["excess"].std() / np.sqrt(COUNT_STREAMS))
                rows.append(row)
            curve = pd.DataFrame(rows)
            n_broad = int(tied(curve).min())
        else:
            n_broad = max(1, min(2, fine_cap))
    if n_topics is None:
        if high > n_broad:
            fine = pd.DataFrame(
                [{"k": k, "streams": 1, **measure(0, k)} for k in _candidates(min(2 * n_broad, high), high)]
            )
            n_topics = int(tied(fine).max())
            curve = pd.concat([curve, fine[~fine["k"].isin(curve.get("k", []))]], ignore_index=True)
        else:
            n_topics = n_broad
    n_broad = min(n_broad, n_topics)
    if not curve.empty:
        curve = curve.sort_values("k", ignore_index=True)[
            ["k", "streams", "reproducibility", "reference", "excess", "excess_se"]
        ]
        curve = curve.astype({"k": int, "streams": int})
    return Granularity(int(n_topics), int(n_broad), curve, CHOSEN_BY)


def share_topics(sizes, n_topics: int) -> np.ndarray:
    """How many fine topics each broad topic of ``sizes`` papers gets: ``n_topics`` shared in proportion to size
    (largest remainders), at least one each and never more than a broad topic's papers.

    >>> share_topics([50, 30, 20], 7).tolist()
    [4, 2, 1]
    """
    sizes = np.asarray(sizes, dtype=float)
    share = sizes / sizes.sum() * n_topics
    counts = np.clip(np.floor(share), 1, sizes).astype(int)
    while counts.sum() < n_topics:
        counts[np.argmax(np.where(counts < sizes, share - counts, -np.inf))] += 1
    while counts.sum() > n_topics:
        counts[np.argmax(np.where(counts > 1, counts - share, -np.inf))] -= 1
    return counts


def place(
    vectors: np.ndarray,
    broad_centroids: np.ndarray,
    centroids: np.ndarray,
    broad_of_fine,
    map_blocks: BlockMap | None = None,
):
    """The fine topic of each row: its nearest broad centroid, then the nearest fine centroid within that broad
    topic, the rule :class:`NestedKMeans` fits by (so fitted papers get their own topics back); ``map_blocks``
    as in :mod:`analysis.geometry`."""
    broad_of_fine = np.asarray(broad_of_fine)
    broad = nearest_centroid(vectors, broad_centroids, map_blocks)
    fine = np.zeros(len(vectors), dtype=int)
    for group in np.unique(broad):
        rows, children = np.flatnonzero(broad == group), np.flatnonzero(broad_of_fine == group)
        fine[rows] = children[nearest_centroid(vectors[rows], centroids[children], map_blocks)]
    return fine


class NestedKMeans:
    """Two nested levels, top down: ``n_broad`` broad topics by k-means of the papers, then each broad topic's
    papers split by k-means into its share of ``n_topics`` fine topics (:func:`share_topics`). A clustering
    model in BERTopic's sense (``fit``, ``labels_``, ``predict``).

    Fitted attributes: ``labels_`` (fine topic per paper, 0..n_topics-1, numbered within broad topics in
    order), ``broad_labels_`` (broad topic per paper, 0 the largest), ``broad_of_fine_``, ``cluster_centers_``
    (fine k-means centres) and ``broad_centers_``.
    """

    def __init__(self, n_topics: int, n_broad: int, *, seed: int = 42, n_init: int = 20):
        self.n_topics, self.n_broad, self.seed, self.n_init = n_topics, n_broad, seed, n_init

    def fit(self, vectors: np.ndarray, y=None) -> NestedKMeans:
        vectors = np.asarray(vectors)
        top = kmeans(self.n_broad, self.seed, self.n_init).fit(vectors)
        sizes = np.bincount(top.labels_, minlength=self.n_broad)
        order = np.argsort(-sizes, kind="stable")  # broad topic 0 is the largest
        broad = np.argsort(order)[top.labels_]
        counts = share_topics(sizes[order], self.n_topics)
        fine, centres = np.zeros(len(vectors), dtype=int), []
        for group, k in enumerate(counts):
            rows = np.flatnonzero(broad == group)
            if k == 1:
                model_labels, model_centres = np.zeros(len(rows), dtype=int), top.cluster_centers_[order[group]][None]
            else:
                model = kmeans(int(k), self.seed, self.n_init).fit(vectors[rows])
                model_labels, model_centres = model.labels_, model.cluster_centers_
            fine[rows] = len(centres) + model_labels
            centres.extend(model_centres)
        self.labels_, self.broad_labels_ = fine, broad
        self.broad_of_fine_ = np.repeat(np.arange(len(counts)), counts)
        self.cluster_centers_ = np.vstack(centres).astype(np.float32)
        self.broad_centers_ = top.cluster_centers_[order].astype(np.float32)
        return self

    def predict(self, vectors: np.ndarray) -> np.ndarray:
        vectors = np.asarray(vectors, dtype=np.float32)
        return place(vectors, self.broad_centers_, self.cluster_centers_, self.broad_of_fine_)


def fine_level_note(topics: pd.DataFrame, broad: pd.DataFrame) -> str | None:
    """A plain sentence for the run's output and the report when most papers are in fine topics that may not
    recur in another run (``stability`` below ``RECURS``), else ``None``; ``topics`` and ``broad`` are the two
    levels' tables (``size``, ``stability``).

    >>> fine = pd.DataFrame({"size": [60, 30, 10], "stability": [0.4, 0.3, 0.8]})
    >>> note = fine_level_note(fine, pd.DataFrame({"size": [90, 10], "stability": [0.7, 0.9]}))
    >>> note.split(": ")[0], note.split(": ")[1].split(" are in")[0]
    ('the fine level is not reproducible at this size', '10% of the 100 papers')
    """
    if len(topics) <= len(broad) or "stability" not in topics:
        return None

    def recurring(table: pd.DataFrame) -> float:
        return table.loc[table["stability"] >= RECURS, "size"].sum() / table["size"].sum()

    share, n_papers = recurring(topics), int(topics["size"].sum())
    if share >= 0.5:
        return None
    return (
        f"the fine level is not reproducible at this size: {share:.0%} of the {n_papers} papers are in fine topics "
        f"that recur when the topics are refitted on subsamples (stability at least {RECURS}); "
        f"{recurring(broad):.0%} are in broad topics that do. Read the broad topics, or add papers"
    )


def _best_jaccard(topics: np.ndarray, other: np.ndarray) -> np.ndarray:
    table = pd.crosstab(topics, other).to_numpy().astype(float)
    union = table.sum(axis=1, keepdims=True) + table.sum(axis=0, keepdims=True) - table
    return (table / union).max(axis=1)


def topic_stability(
    vectors: np.ndarray, fine: np.ndarray, broad_of_fine: np.ndarray, *, seed: int = 42
) -> tuple[np.ndarray, np.ndarray]:
    """Per-topic stability (0–1) of the fine topics ``fine`` (one id 0..k-1 per paper) and of the broad
    topics ``broad_of_fine[fine]``: the mean best Jaccard overlap with the topics of :class:`NestedKMeans`
    refits on subsamples, each placing every paper."""
    n_fine, n_broad = int(fine.max()) + 1, int(broad_of_fine.max()) + 1
    if n_fine == 1 or len(vectors) < 3:
        return np.ones(n_fine), np.ones(n_broad)
    broad = broad_of_fine[fine]
    rng = np.random.default_rng(seed)
    size = max(n_fine, int(SUBSAMPLE * len(vectors)))
    fine_scores, broad_scores = [], []
    for index in range(N_STABILITY_REFITS):
        sample = rng.choice(len(vectors), size=size, replace=False)
        model = NestedKMeans(n_fine, n_broad, seed=seed + index, n_init=3).fit(vectors[sample])
        refit = model.predict(vectors)
        fine_scores.append(_best_jaccard(fine, refit))
        broad_scores.append(_best_jaccard(broad, model.broad_of_fine_[refit]))
    return np.mean(fine_scores, axis=0), np.mean(broad_scores, axis=0)
