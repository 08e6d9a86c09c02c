"""Which centre each paper's vector is nearest: the placement rule of topics and levels, in plain NumPy.

The vectors are taken :data:`BLOCK_ROWS` rows at a time, so that only one block's similarities to the centres
are held at once. ``map_blocks`` runs a function over the blocks: in this process by default
(:func:`in_process`), on a Dask cluster with :func:`analysis.dask_cluster.block_map`; the results are the same.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

__all__ = ["BLOCK_ROWS", "in_process", "nearest_centres", "nearest_centroid"]

BLOCK_ROWS = 50_000  # rows of vectors per block (a 73 MB block of 384 float32s; one task on a cluster)
BlockMap = Callable[..., list]


def in_process(function: Callable, blocks: Sequence[np.ndarray], **shared) -> list:
    """``function(block, **shared)`` for each block, in order, here."""
    return [function(block, **shared) for block in blocks]


def _nearest(block: np.ndarray, centres: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    similarity = block @ centres.T
    return similarity.argmax(axis=1), similarity.max(axis=1)


def nearest_centres(
    vectors: np.ndarray, centres: np.ndarray, map_blocks: BlockMap | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Index of each row's nearest centre by dot product, and that product, block by block (``map_blocks``:
    see the module's docstring)."""
    if len(vectors) <= BLOCK_ROWS:
        return _nearest(vectors, centres)
    blocks = [vectors[start : start + BLOCK_ROWS] for start in range(0, len(vectors), BLOCK_ROWS)]
    parts = (map_blocks or in_process)(_nearest, blocks, centres=centres)
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def nearest_centroid(vectors: np.ndarray, centroids: np.ndarray, map_blocks: BlockMap | None = None) -> np.ndarray:
    """Index of each row's nearest centroid by Euclidean distance, the k-means rule: the largest
    ``x·c - |c|²/2``, computed as one dot product of ``[x, 1]`` with ``[c, -|c|²/2]``."""
    centroids = np.asarray(centroids, dtype=np.float32)
    offsets = -0.5 * np.einsum("ij,ij->i", centroids, centroids)
    augmented = np.hstack([vectors, np.ones((len(vectors), 1), dtype=np.float32)])
    nearest, _ = nearest_centres(augmented, np.hstack([centroids, offsets[:, None]]).astype(np.float32), map_blocks)
    return nearest
