"""Past one machine, on Dask: embedding and the placement of papers onto topics run as tasks on a cluster.

A plug-in: the stages that can run on a cluster know only the two methods of a *cluster* object, and never import
this module. :class:`DaskCluster` is that object for a ``distributed.Client`` (:func:`connect` yields one):
:class:`analysis.embeddings.Embedder` hands its ``encode_chunks`` chunks of texts and a way to make an embedder
on a worker, and the placement (:func:`analysis.update.place`, :mod:`analysis.geometry`) runs its blocks through
its ``map_blocks``. Each chunk of texts (``analysis.embeddings.CHUNK_SIZE``)
is one task; the client stores every chunk in its own
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
from collections.abc import Callable, Hashable, Iterator

import numpy as np

from analysis.errors import InputError

__all__ = ["DaskCluster", "block_map", "check_cluster_args", "connect", "encode_chunks"]

_WORKER_MODELS: dict = {}  # per worker process: one loaded model per (model, precision)
_WORKER_LOCK = threading.Lock()


def check_cluster_args(scheduler: str | None, workers: int | None) -> None:
    """Refuse, before any work, a cluster request that cannot be met."""
    if scheduler and workers:
        raise InputError("--scheduler and --workers exclude each other: join a cluster or start one")
    if (scheduler or workers) and importlib.util.find_spec("distributed") is None:
        raise InputError("--scheduler and --workers need Dask: pip install 'digest-topics[dask]'")


@contextlib.contextmanager
def connect(scheduler: str | None = None, workers: int | None = None) -> Iterator[DaskCluster | None]:
    """A :class:`DaskCluster`: of the scheduler at ``scheduler``, or of a local cluster of ``workers``
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
            yield DaskCluster(client)
        return
    threads = max(1, (os.cpu_count() or 1) // workers)
    with (
        LocalCluster(n_workers=workers, threads_per_worker=threads, dashboard_address=None) as local,
        Client(local) as client,
    ):
        yield DaskCluster(client)


def encode_on_worker(texts: list[str], make: Callable[[], object], name: Hashable) -> np.ndarray:
    """A task: embed one chunk with the worker's embedder called ``name``, made by ``make()`` once per worker
    process (its model loaded then) and shared by the worker's threads."""
    with _WORKER_LOCK:  # a worker's threads share one model: the first loads it, the others wait for it
        if name not in _WORKER_MODELS:
            embedder = make()
            embedder.load_model()
            _WORKER_MODELS[name] = embedder
    return _WORKER_MODELS[name].encode(texts)


def encode_chunks(
    client, chunks: list[list[str]], make: Callable[[], object], name: Hashable
) -> Iterator[tuple[int, np.ndarray]]:
    """Yield ``(index, vectors)`` for each chunk of texts as its task finishes on the cluster; ``make``: a
    picklable function that makes the embedder (with ``load_model`` and ``encode``), ``name`` names it."""
    from distributed import as_completed

    futures = client.map(encode_on_worker, chunks, make=make, name=name, pure=False)
    index_of = {future.key: index for index, future in enumerate(futures)}
    for future, vectors in as_completed(futures, with_results=True):
        yield index_of[future.key], vectors


def block_map(client) -> Callable[..., list]:
    """A ``map_blocks`` for :mod:`analysis.geometry` on the cluster of ``client``: one task per block, the
    shared arrays sent to every worker once."""

    def run(function: Callable, blocks: list, **shared) -> list:
        scattered = {name: client.scatter(value, broadcast=True) for name, value in shared.items()}
        return client.gather(client.map(function, blocks, pure=False, **scattered))

    return run


class DaskCluster:
    """The cluster a run's stages are given (``cluster=``): :meth:`encode_chunks` for the embedder and
    :attr:`map_blocks` for the placement, on the cluster of a ``distributed.Client``."""

    def __init__(self, client):
        self.client = client
        self.map_blocks = block_map(client)

    def encode_chunks(
        self, chunks: list[list[str]], make: Callable[[], object], name: Hashable
    ) -> Iterator[tuple[int, np.ndarray]]:
        """``(index, vectors)`` of each chunk as it is done (see :func:`encode_chunks`)."""
        return encode_chunks(self.client, chunks, make, name)
