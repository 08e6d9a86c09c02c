"""Dask: a real local cluster (a scheduler and 2 worker processes) gives the topics of a run in one process."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from helpers import DATA, SEED_A, SEED_B

import analysis.dask_cluster as cluster_module
from analysis import embeddings, geometry
from analysis.dask_cluster import DaskCluster, block_map, check_cluster_args
from analysis.pipeline import run

distributed = pytest.importorskip("distributed", reason="the dask extra is part of the dev install")


@pytest.fixture(scope="module")
def cluster():
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as local,
        distributed.Client(local) as client,
    ):
        yield local, client


@pytest.mark.slow
def test_a_run_on_a_cluster_equals_the_run_in_one_process(tmp_path, cluster, monkeypatch):
    local, client = cluster
    run([DATA], tmp_path / "one", seed=42, static=False, log=lambda m: None)
    # The cluster run starts from an empty embedding cache (the workers keep the session's, with the int8
    # build), in chunks of 64: three embedding tasks, each batch of 16 texts the same as in one process.
    monkeypatch.setenv("ANALYSIS_CACHE_DIR", str(tmp_path / "cluster-cache"))
    monkeypatch.setattr(embeddings, "CHUNK_SIZE", 64)
    run([DATA], tmp_path / "many", seed=42, static=False, scheduler=local.scheduler_address, log=lambda m: None)
    assert len(list((tmp_path / "cluster-cache").rglob("*.npz"))) == 3  # 64 + 64 + 58 texts, stored as they came
    assert sum(client.run(lambda: len(cluster_module._WORKER_MODELS)).values()) >= 1
    one, many = (pd.read_csv(tmp_path / d / "papers.csv") for d in ("one", "many"))
    columns = ["paper_id", "digest", "topic", "topic_label", "broad_topic", "broad_topic_label"]
    pd.testing.assert_frame_equal(one[columns], many[columns])
    assert (tmp_path / "one" / "topics.csv").read_bytes() == (tmp_path / "many" / "topics.csv").read_bytes()
    # an update onto saved topics: the same on the cluster as in one process
    run([SEED_A], tmp_path / "saved", seed=42, static=False, log=lambda m: None)
    model = tmp_path / "saved" / "model"
    run([SEED_B], tmp_path / "placed", model_dir=model, static=False, log=lambda m: None)
    run([SEED_B], tmp_path / "placed-many", model_dir=model, static=False, scheduler=local.scheduler_address,
        log=lambda m: None)  # fmt: skip
    placed, placed_many = (pd.read_csv(tmp_path / d / "papers.csv") for d in ("placed", "placed-many"))
    pd.testing.assert_frame_equal(placed, placed_many)


def test_nearest_centres_on_the_cluster_equal_numpy(cluster):
    _, client = cluster
    rng = np.random.default_rng(0)
    vectors, centres = rng.normal(size=(1000, 8)).astype(np.float32), rng.normal(size=(5, 8)).astype(np.float32)
    geometry.BLOCK_ROWS, original = 128, geometry.BLOCK_ROWS  # several blocks
    try:
        nearest, best = geometry.nearest_centres(vectors, centres, block_map(client))
    finally:
        geometry.BLOCK_ROWS = original
    assert np.array_equal(nearest, (vectors @ centres.T).argmax(1))
    assert np.allclose(best, (vectors @ centres.T).max(1))


def test_cluster_arguments_are_checked_before_any_work():
    with pytest.raises(ValueError, match="exclude each other"):
        check_cluster_args("tcp://localhost:8786", 2)
    result = subprocess.run(
        [sys.executable, "-m", "analysis", "run", str(DATA), "--out", "x", "--workers", "0"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2 and "--workers: expected a whole number of at least 1" in result.stderr


@pytest.mark.slow
def test_a_worker_with_several_threads_embeds_chunks_side_by_side(tmp_path, monkeypatch):
    """One worker process, three threads, chunks of 16 texts: several chunks run at once on one model."""
    from analysis import load_digests

    papers = load_digests(DATA)
    alone = embeddings.Embedder(precision="int8", cache=False).embed_papers(papers)
    monkeypatch.setattr(embeddings, "CHUNK_SIZE", 16)
    with (
        distributed.LocalCluster(n_workers=1, threads_per_worker=3, dashboard_address=None) as local,
        distributed.Client(local) as client,
    ):
        on_cluster = embeddings.Embedder(precision="int8", cache=False, cluster=DaskCluster(client)).embed_papers(
            papers
        )
        assert sum(client.run(lambda: len(cluster_module._WORKER_MODELS)).values()) == 1  # one model, shared
    assert np.array_equal(alone, on_cluster)
