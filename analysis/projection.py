"""2-D coordinates of the papers for the document map, cached beside the embeddings."""

from __future__ import annotations

import hashlib
import os

import numpy as np

from analysis._io import atomic_path
from analysis.embeddings import cache_dir

__all__ = ["project_2d"]

_UMAP_FROM = 16  # papers; below this UMAP's neighbour graph is meaningless and PCA is used


def _compute(embeddings: np.ndarray, seed: int) -> np.ndarray:
    n = len(embeddings)
    if n < 3:
        return np.column_stack([np.arange(n, dtype=float), np.zeros(n)])
    if n < _UMAP_FROM:
        from sklearn.decomposition import PCA

        return PCA(n_components=2, random_state=seed).fit_transform(embeddings)
    from umap import UMAP

    neighbours = int(np.clip(round(np.sqrt(n)), 5, 30))
    reducer = UMAP(n_neighbors=neighbours, n_components=2, min_dist=0.1, metric="cosine", random_state=seed)
    return reducer.fit_transform(embeddings).astype(np.float64)


def project_2d(embeddings: np.ndarray, *, seed: int = 42, cache: bool = True) -> np.ndarray:
    """UMAP to 2-D with cosine distance (PCA below 16 papers); same input and seed, same output.

    Results are cached in ``$ANALYSIS_CACHE_DIR/projections`` by a hash of the embeddings and the seed: a
    rerun on the same papers skips UMAP and its numba compilation (about 8 s per process).
    """
    embeddings = np.ascontiguousarray(embeddings, dtype=np.float32)
    key = hashlib.sha256(embeddings.tobytes() + f"{embeddings.shape}|{seed}".encode()).hexdigest()[:32]
    path = cache_dir() / "projections" / f"{key}.npy" if cache else None
    if path is not None and path.is_file():
        try:
            coords = np.load(path, allow_pickle=False)
            if coords.shape == (len(embeddings), 2):
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
    return coords
