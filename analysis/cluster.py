"""Past one machine, on Dask: embedding and the placement of papers onto topics run as tasks on a cluster.

Each chunk of texts (``analysis.embeddings.CHUNK_SIZE``) is one task; the client stores every chunk in its own
embedding cache as it arrives, in the same format as a single-process run, so a run can be resumed without the
cluster and the other way round. What stays on the client: loading the digests, fitting the topics on the
gathered vectors (k-means on a float32 matrix of 384 numbers a paper: 1.5 GB for a million papers), and
everything after it.

Needs the ``dask`` extra: ``pip install 'digest-topics[dask]'``.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import threading
from collections.abc import Iterator

import numpy as np

from analysis.errors import InputError

__all__ = ["connect", "check_cluster_args", "nearest_centres", "nearest_centroid"]

PLACE_CHUNK = 50_000  # papers per placement task: a 73 MB block of vectors
_WORKER_MODELS: dict = {}  # per worker process: one loaded model per (model, precision)
_WORKER_LOCK = threading.Lock()


def check_cluster_args(scheduler: str | None, workers: int | None) -> None:
    """Refuse, before any work, a cluster request that cannot be met."""
    if scheduler and workers:
        raise InputError("--scheduler and --workers exclude each other: join a cluster or start one")
    if (scheduler or workers) and importlib.util.find_spec("distributed") is None:
        raise InputError("--scheduler and --workers need Dask: pip install 'digest-topics[dask]'")


@contextlib.contextmanager
def connect(scheduler: str | None = None, workers: int | None = None) -> Iterator[object | None]:
    """A ``distributed.Client``: of the scheduler at ``scheduler``, or of a local cluster of ``workers``
    processes (closed afterwards); ``None`` when neither is given (one process, no Dask)."""
    check_cluster_args(scheduler, workers)
    if not scheduler and not workers:
        yield None
        return
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout="20s")
        except OSError as error:
            raise InputError(f"--scheduler {scheduler}: cannot reach a Dask scheduler there ({error})") from None
        with client:
            yield client
        return
    threads = max(1, (os.cpu_count() or 1) // workers)
    with (
        LocalCluster(n_workers=workers, threads_per_worker=threads, dashboard_address=None) as local,
        Client(local) as client,
    ):
        yield client


def encode_on_worker(texts: list[str], model: str, precision: str) -> np.ndarray:
    """A task: embed one chunk with the worker's copy of the model (loaded once per worker process)."""
    from analysis.embeddings import Embedder

    key = (model, precision)
    with _WORKER_LOCK:  # a worker's threads share one model: the first loads it, the others wait for it
        if key not in _WORKER_MODELS:
            _WORKER_MODELS[key] = Embedder(model, precision=precision, cache=False)
            _WORKER_MODELS[key].load_model()
    return _WORKER_MODELS[key]._encode(texts)


def encode_chunks(client, chunks: list[list[str]], model: str, precision: str) -> Iterator[tuple[int, np.ndarray]]:
    """Yield ``(index, vectors)`` for each chunk of texts as its task finishes on the cluster."""
    from distributed import as_completed

    futures = client.map(encode_on_worker, chunks, model=model, precision=precision, pure=False)
    index_of = {future.key: index for index, future in enumerate(futures)}
    for future, vectors in as_completed(futures, with_results=True):
        yield index_of[future.key], vectors


def _nearest(block: np.ndarray, centres: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    similarity = block @ centres.T
    return similarity.argmax(axis=1), similarity.max(axis=1)


def nearest_centres(vectors: np.ndarray, centres: np.ndarray, client=None) -> tuple[np.ndarray, np.ndarray]:
    """Index of each row's nearest centre by dot product, and that product; in blocks of ``PLACE_CHUNK`` rows
    on the cluster when ``client`` is given."""
    if client is None or len(vectors) == 0:
        return _nearest(vectors, centres)
    shared = client.scatter(centres, broadcast=True)
    blocks = [vectors[start : start + PLACE_CHUNK] for start in range(0, len(vectors), PLACE_CHUNK)]
    parts = client.gather(client.map(_nearest, blocks, centres=shared, pure=False))
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def nearest_centroid(vectors: np.ndarray, centroids: np.ndarray, client=None) -> np.ndarray:
    """Index of each row's nearest centroid by Euclidean distance, the k-means rule: the largest
    ``x·c - |c|²/2``, computed as one dot product of ``[x, 1]`` with ``[c, -|c|²/2]``."""
    centroids = np.asarray(centroids, dtype=np.float32)
    offsets = -0.5 * np.einsum("ij,ij->i", centroids, centroids)
    augmented = np.hstack([vectors, np.ones((len(vectors), 1), dtype=np.float32)])
    nearest, _ = nearest_centres(augmented, np.hstack([centroids, offsets[:, None]]).astype(np.float32), client)
    return nearest
