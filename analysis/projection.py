"""2-D coordinates of the papers for the document map, cached beside the embeddings."""

from __future__ import annotations

import contextlib
import hashlib
import os
import warnings

import numpy as np

from analysis._io import atomic_path, evict_least_recent
from analysis.embeddings import cache_dir
from analysis.levels import unit_rows

__all__ = ["TSNE_FROM", "UMAP_FROM", "extend_2d", "project_2d"]

TSNE_FROM = 16  # papers; below this a neighbour embedding is meaningless and PCA is used
# t-SNE takes 0.8 s on 186 papers and 10 s on 2,000; UMAP costs about 6 s of numba compilation in every new
# process before its own few seconds, so it pays off only on larger corpora.
UMAP_FROM = 1000
# UMAP's own neighbour search compiles for about 30 s in every new process (and below 4,096 papers computes
# every distance in Python, 16 s at 4,000); exact neighbours by matrix products take 0.7 s at 4,000 papers but
# grow with the square of the papers. At 37,620 papers the whole map took 39 s and 202 MB this way (in bounded
# blocks), against 62 s and 407 MB with UMAP's own search (AMD EPYC, 2 cores); past this many UMAP searches on its
# own, whose cost grows about linearly.
EXACT_NEIGHBOURS_UP_TO = 50_000
# Similarities computed at a time: 4 Mi, so a block holds about 64 MB with its negation and argpartition's int64
# indices (1,024 rows at 4,096 papers; a block of 1,024 rows held 330 MB at 20,000 papers)
_BLOCK_ELEMENTS = 1 << 22
_VERSION = "knn1"  # in the cache key: maps made before exact neighbours are not reused
# A paper added to a saved map lands at the mean of its nearest mapped papers' positions, weighted by a softmax of
# their cosine similarities at this temperature: the closest few decide, as UMAP's own transform starts from.
PLACE_NEIGHBOURS, PLACE_TEMPERATURE = 10, 0.05
CACHE_BYTES = 64 * 2**20  # the map cache keeps the most recently used maps up to this size (a million papers: 16 MB)


def _compute(embeddings: np.ndarray, seed: int) -> np.ndarray:
    n = len(embeddings)
    if n < 3:
        return np.column_stack([np.arange(n, dtype=float), np.zeros(n)])
    if n < TSNE_FROM:
        from sklearn.decomposition import PCA

        return PCA(n_components=2, random_state=seed).fit_transform(embeddings)
    if n < UMAP_FROM:
        from sklearn.manifold import TSNE

        perplexity = min(30.0, (n - 1) / 3)
        tsne = TSNE(n_components=2, perplexity=perplexity, init="pca", metric="cosine", random_state=seed)
        return tsne.fit_transform(embeddings).astype(np.float64)
    from umap import UMAP

    neighbours = int(np.clip(round(np.sqrt(n)), 5, 30))
    known = {}
    if n <= EXACT_NEIGHBOURS_UP_TO:
        known["precomputed_knn"] = (*nearest_neighbours(embeddings, neighbours), None)
    reducer = UMAP(
        n_neighbors=neighbours, n_components=2, min_dist=0.1, metric="cosine", random_state=seed, n_jobs=1, **known
    )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="n_jobs value", category=UserWarning)  # one thread: for the seed
        warnings.filterwarnings("ignore", message=r"precomputed_knn\[2\]", category=UserWarning)  # no transform
        return reducer.fit_transform(embeddings).astype(np.float64)


def nearest_neighbours(vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` nearest rows of each row of ``vectors`` by cosine distance (itself first), and those
    distances: exact, from blocks of the similarity matrix.

    >>> v = np.array([[1, 0], [0.8, 0.6], [0, 1]], dtype=np.float32)
    >>> indices, distances = nearest_neighbours(v, 2)
    >>> indices.tolist(), distances.astype(float).round(2).tolist()
    ([[0, 1], [1, 0], [2, 1]], [[0.0, 0.2], [0.0, 0.2], [0.0, 0.4]])
    """
    vectors = np.asarray(unit_rows(vectors), dtype=np.float32)  # read only: no copy where it is that already
    n = len(vectors)
    indices, distances = np.empty((n, k), dtype=np.int64), np.empty((n, k), dtype=np.float32)
    block = _block_rows(n)
    for start in range(0, n, block):
        similarity = vectors[start : start + block] @ vectors.T
        rows = np.arange(len(similarity))
        similarity[rows, rows + start] = np.inf  # each row is its own nearest, whatever the rounding
        nearest = np.argpartition(-similarity, k - 1, axis=1)[:, :k]
        values = np.take_along_axis(similarity, nearest, axis=1)
        order = np.argsort(-values, axis=1, kind="stable")
        indices[start : start + block] = np.take_along_axis(nearest, order, axis=1)
        distances[start : start + block] = np.clip(1 - np.take_along_axis(values, order, axis=1), 0, 2)
    return indices, distances


def _block_rows(columns: int) -> int:
    """Rows of a similarity matrix with ``columns`` columns to compute at a time (see :data:`_BLOCK_ELEMENTS`)."""
    return max(1, _BLOCK_ELEMENTS // max(1, columns))


def project_2d(embeddings: np.ndarray, *, seed: int = 42, cache: bool = True) -> np.ndarray:
    """2-D map with cosine distance: PCA below 16 papers, t-SNE below 1,000, UMAP above; same input and seed,
    same output.

    Results are cached in ``$ANALYSIS_CACHE_DIR/projections`` by a hash of the embeddings and the seed: a
    rerun on the same papers skips the projection (and UMAP's numba compilation). The cache keeps the most
    recently used :data:`CACHE_BYTES`.
    """
    embeddings = np.ascontiguousarray(embeddings, dtype=np.float32)
    key = hashlib.sha256(embeddings.tobytes() + f"{embeddings.shape}|{seed}|{_VERSION}".encode()).hexdigest()[:32]
    path = cache_dir() / "projections" / f"{key}.npy" if cache else None
    if path is not None and path.is_file():
        try:
            coords = np.load(path, allow_pickle=False)
            if coords.shape == (len(embeddings), 2):
                with contextlib.suppress(OSError):  # another run evicted it meanwhile, or a read-only cache
                    os.utime(path)  # recently used: kept longest
                return coords
        except (ValueError, OSError):
            pass  # corrupt: recompute and overwrite
    coords = _compute(embeddings, seed)
    if path is not None:
        with atomic_path(path) as tmp:
            with open(tmp, "wb") as handle:
                np.save(handle, coords)
                handle.flush()
                os.fsync(handle.fileno())
        evict_least_recent(path.parent, CACHE_BYTES)
    return coords


def extend_2d(coords: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """A saved map extended to more papers: ``coords`` are the positions of the first ``len(coords)`` rows of
    ``vectors``, which keep them; each further row is placed at the mean of its :data:`PLACE_NEIGHBOURS` nearest
    mapped rows' positions (cosine), weighted by a softmax of their similarities (:data:`PLACE_TEMPERATURE`).

    A review's map then stays where the reader left it, month after month, and costs a matrix product instead
    of a new UMAP (seconds of numba compilation and layout in every process). A subject unlike anything mapped
    lands between its nearest mapped papers rather than apart: its own cluster shows only in a new map (a refit).

    >>> saved = np.array([[1, 0], [0, 1]], dtype=np.float32)
    >>> extend_2d(np.array([[0.0, 0.0], [4.0, 2.0]]), np.vstack([saved, [[0.6, 0.8]]])).round(2).tolist()
    [[0.0, 0.0], [4.0, 2.0], [3.93, 1.96]]
    """
    coords = np.asarray(coords, dtype=np.float64)
    vectors = unit_rows(np.asarray(vectors, dtype=np.float32))
    mapped, added = vectors[: len(coords)], vectors[len(coords) :]
    k = min(PLACE_NEIGHBOURS, len(coords))
    placed = np.empty((len(added), 2))
    block = _block_rows(len(coords))
    for start in range(0, len(added), block):
        similarity = added[start : start + block] @ mapped.T
        nearest = np.argpartition(-similarity, k - 1, axis=1)[:, :k]
        values = np.take_along_axis(similarity, nearest, axis=1).astype(np.float64)
        weights = np.exp((values - values.max(axis=1, keepdims=True)) / PLACE_TEMPERATURE)
        weights /= weights.sum(axis=1, keepdims=True)
        placed[start : start + block] = np.einsum("nk,nkd->nd", weights, coords[nearest])
    return np.vstack([coords, placed])
