"""The placement rule: nearest centres block by block, and the k-means rule of nearest centroids."""

import numpy as np
from sklearn.cluster import KMeans

from analysis import geometry


def test_nearest_centres_in_blocks_equal_one_matrix(monkeypatch):
    rng = np.random.default_rng(0)
    vectors, centres = rng.normal(size=(1000, 8)).astype(np.float32), rng.normal(size=(5, 8)).astype(np.float32)
    whole = (vectors @ centres.T).argmax(1), (vectors @ centres.T).max(1)
    calls = []

    def counted(function, blocks, **shared):
        calls.append(len(blocks))
        return geometry.in_process(function, blocks, **shared)

    monkeypatch.setattr(geometry, "BLOCK_ROWS", 128)
    nearest, best = geometry.nearest_centres(vectors, centres, counted)
    assert calls == [8]  # 7 blocks of 128 rows and one of 104, through the given block map
    assert np.array_equal(nearest, whole[0]) and np.allclose(best, whole[1])
    assert np.array_equal(geometry.nearest_centres(vectors, centres)[0], whole[0])  # in this process by default
    assert geometry.nearest_centres(vectors[:0], centres)[0].shape == (0,)


def test_nearest_centroid_is_the_k_means_rule(monkeypatch):
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(600, 16)).astype(np.float32)
    model = KMeans(n_clusters=7, n_init=1, random_state=0).fit(vectors)
    monkeypatch.setattr(geometry, "BLOCK_ROWS", 100)
    assert np.array_equal(geometry.nearest_centroid(vectors, model.cluster_centers_), model.predict(vectors))
