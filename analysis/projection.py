"""2-D coordinates of the papers for the document map."""

from __future__ import annotations

import numpy as np

__all__ = ["project_2d"]

_UMAP_FROM = 16  # papers; below this UMAP's neighbour graph is meaningless and PCA is used


def project_2d(embeddings: np.ndarray, *, seed: int = 42) -> np.ndarray:
    """UMAP to 2-D with cosine distance (PCA for fewer than 16 papers); same input and seed, same output."""
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
