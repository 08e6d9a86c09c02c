import numpy as np

from analysis import projection


def _vectors(n, seed=0):
    return np.random.default_rng(seed).standard_normal((n, 24)).astype(np.float32)


def test_neighbours_and_placement_do_not_depend_on_the_block_size(monkeypatch):
    vectors = _vectors(300)
    whole = projection.nearest_neighbours(vectors, 7)
    coords = np.random.default_rng(1).standard_normal((250, 2))
    placed = projection.extend_2d(coords, vectors)
    monkeypatch.setattr(projection, "_BLOCK_ELEMENTS", 1000)  # blocks of 3 and 4 rows
    assert projection._block_rows(300) == 3 and projection._block_rows(250) == 4
    blocked = projection.nearest_neighbours(vectors, 7)
    assert np.array_equal(whole[0], blocked[0]) and np.allclose(whole[1], blocked[1], atol=1e-6)
    assert np.allclose(projection.extend_2d(coords, vectors), placed, atol=1e-5)  # float32 products: rounding
    assert np.array_equal(placed[:250], coords)  # the saved places are kept
    # each row is its own nearest, then the truly nearest by cosine
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    truth = np.argsort(-(unit @ unit.T), axis=1, kind="stable")[:, :7]
    assert (whole[0][:, 0] == np.arange(300)).all() and (whole[0][:, 1:] == truth[:, 1:]).mean() > 0.99


def test_a_block_is_bounded_whatever_the_papers():
    assert projection._block_rows(4096) == 1024
    assert projection._block_rows(37_620) * 37_620 <= projection._BLOCK_ELEMENTS
    assert projection._block_rows(10**8) == 1  # never zero rows


def test_the_map_cache_keeps_the_most_recently_used_maps_within_its_size(tmp_path, monkeypatch):
    import os

    monkeypatch.setenv("ANALYSIS_CACHE_DIR", str(tmp_path))
    first, second, third = (_vectors(20, seed) for seed in (1, 2, 3))
    maps = tmp_path / "projections"
    one = projection.project_2d(first, seed=0)
    (size,) = {path.stat().st_size for path in maps.iterdir()}
    monkeypatch.setattr(projection, "CACHE_BYTES", 2 * size)  # room for two maps
    projection.project_2d(second, seed=0)
    for path in maps.iterdir():
        os.utime(path, (1e9, 1e9))  # both old ...
    assert np.array_equal(projection.project_2d(first, seed=0), one)  # ... and the first used again: kept
    projection.project_2d(third, seed=0)
    assert len(list(maps.iterdir())) == 2
    files = {path.name for path in maps.iterdir()}
    monkeypatch.setattr(projection, "_compute", lambda *a: (_ for _ in ()).throw(AssertionError("recomputed")))
    assert np.array_equal(projection.project_2d(first, seed=0), one)  # from the cache: not evicted
    assert {path.name for path in maps.iterdir()} == files
