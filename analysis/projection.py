"""2-D coordinates of the papers for the document map, cached beside the embeddings."""

from __future__ import annotations

import hashlib
import os

import numpy as np

from analysis._io import atomic_path
from analysis.embeddings import cache_dir

__all__ = ["project_2d"]

_TSNE_FROM = 16  # papers; below this a neighbour embedding is meaningless and PCA is used
# t-SNE takes 0.8 s on 186 papers and 10 s on 2,000; UMAP costs about 8 s of numba compilation in every new
# process before its own few seconds, so it pays off only on larger corpora.
_UMAP_FROM = 1000


def _compute(embeddings: np.ndarray, seed: int) -> np.ndarray:
    n = len(embeddings)
    if n < 3:
        return np.column_stack([np.arange(n, dtype=float), np.zeros(n)])
    if n < _TSNE_FROM:
        from sklearn.decomposition import PCA

        return PCA(n_components=2, random_state=seed).fit_transform(embeddings)
    if n < _UMAP_FROM:
        from sklearn.manifold import TSNE

        perplexity = min(30.0, (n - 1) / 3)
        tsne = TSNE(n_components=2, perplexity=perplexity, init="pca", metric="cosine", random_state=seed)
        return tsne.fit_transform(embeddings).astype(np.float64)
    from umap import UMAP

    neighbours = int(np.clip(round(np.sqrt(n)), 5, 30))
    reducer = UMAP(n_neighbors=neighbours, n_components=2, min_dist=0.1, metric="cosine", random_state=seed)
    return reducer.fit_transform(embeddings).astype(np.float64)


def project_2d(embeddings: np.ndarray, *, seed: int = 42, cache: bool = True) -> np.ndarray:
    """2-D map with cosine distance: PCA below 16 papers, t-SNE below 1,000, UMAP above; same input and seed,
    same output.

    Results are cached in ``$ANALYSIS_CACHE_DIR/projections`` by a hash of the embeddings and the seed: a
    rerun on the same papers skips the projection (and UMAP's numba compilation).
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
