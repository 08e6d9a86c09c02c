import hashlib
import importlib.util
import subprocess
import sys

import numpy as np
import pytest

from analysis import int8
from analysis.embeddings import (
    BUNDLED_SHA256,
    Embedder,
    EmbeddingError,
    bundled_model_path,
    choose_precision,
    sha256_file,
    verify_bundled_model,
)

TEXTS = ["Efficient KV cache eviction for long-context serving.", "Protein folding with diffusion models."]


def test_bundled_weights_are_upstream_all_minilm():
    assert sha256_file(bundled_model_path() / "model.safetensors") == BUNDLED_SHA256


def test_checksum_mismatch_is_refused(tmp_path):
    (tmp_path / "model.safetensors").write_bytes(b"not the weights")
    with pytest.raises(EmbeddingError, match=r"model\.safetensors: sha256 [0-9a-f]{12}\.\.\. is not all-MiniLM-L6-v2"):
        verify_bundled_model(tmp_path)
    with pytest.raises(EmbeddingError, match="weights are missing"):
        verify_bundled_model(tmp_path / "nowhere")


def test_cache_hit_embeds_nothing_and_new_text_only(tmp_path):
    first = Embedder(cache=tmp_path)
    vectors = first.embed(TEXTS)
    assert vectors.shape == (2, 384) and vectors.dtype == np.float32
    assert (first.n_computed_, first.n_cached_) == (2, 0)

    second = Embedder(cache=tmp_path)
    again = second.embed(TEXTS)
    assert (second.n_computed_, second.n_cached_) == (0, 2)
    assert second._model is None  # the model was never loaded
    assert np.array_equal(vectors, again)

    third, told = Embedder(cache=tmp_path), []
    # told how many texts it will embed once the cache is read, before the model loads (the run starts the
    # browser for the images then)
    third.embed(TEXTS + ["A third text about scaling laws."], before_encoding=lambda n: told.append((n, third._model)))
    assert (third.n_computed_, third.n_cached_) == (1, 2)
    assert told == [(1, None)]
    second.embed(TEXTS, before_encoding=told.append)
    assert told[-1] == 0 and second._model is None


def test_corrupt_cache_entry_is_recomputed(tmp_path):
    reference = Embedder(cache=tmp_path).embed(TEXTS)
    shards = list(tmp_path.rglob("*.npz"))
    assert len(shards) == 1
    shards[0].write_bytes(shards[0].read_bytes()[:-20])  # truncated on disk
    embedder = Embedder(cache=tmp_path)
    assert np.allclose(embedder.embed(TEXTS), reference, atol=1e-6)
    assert embedder.n_computed_ == 2
    # The corrupt shard was dropped and the recomputed vectors written whole again.
    assert hashlib.sha256(shards[0].read_bytes()).hexdigest()[:32] == shards[0].stem


def test_a_load_reads_only_the_shards_that_hold_its_keys(tmp_path):
    from analysis.embeddings import EmbeddingCache

    cache = EmbeddingCache(tmp_path)
    rng = np.random.default_rng(0)
    first, second = ["a" * 64, "b" * 64], ["c" * 64]
    cache.store(first, rng.standard_normal((2, 4)).astype(np.float32))
    cache.store(second, rng.standard_normal((1, 4)).astype(np.float32))
    shards = sorted(tmp_path.glob("*.npz"))
    assert sorted(path.with_suffix(".keys").read_text().split() for path in shards) == [first, second]
    (other,) = [path for path in shards if path.with_suffix(".keys").read_text().split() == second]
    other.write_bytes(other.read_bytes()[:-7])  # cut: only a read would find it out
    assert sorted(cache.load(first)) == first
    assert other.exists()  # never read: its list says it holds none of the keys
    assert cache.load(second) == {} and not other.exists() and not other.with_suffix(".keys").exists()
    # a shard written before the lists existed is read, and its list written then
    (kept,) = tmp_path.glob("*.npz")
    kept.with_suffix(".keys").unlink()
    assert sorted(cache.load(["a" * 64])) == ["a" * 64]
    assert kept.with_suffix(".keys").read_text().split() == first


def test_runs_sharing_a_cache_never_read_a_half_written_or_vanished_shard(tmp_path):
    import threading

    from analysis.embeddings import EmbeddingCache

    rng = np.random.default_rng(0)
    batches = [([f"{w}-{i}" for i in range(50)], rng.normal(size=(50, 384)).astype(np.float32)) for w in range(6)]
    truth = {k: v for keys, vectors in batches for k, v in zip(keys, vectors, strict=True)}
    errors, seen = [], []

    def writer(keys, vectors):
        for _ in range(10):
            EmbeddingCache(tmp_path).store(keys, vectors)  # the same shard again: renamed over itself

    def reader():
        for _ in range(30):
            try:
                seen.append(EmbeddingCache(tmp_path).load(list(truth)))
            except Exception as error:  # noqa: BLE001 - any exception is the failure this test looks for
                errors.append(error)

    def vandal():  # another run finding a shard corrupt drops it while the others read
        for _ in range(30):
            for shard in tmp_path.glob("*.npz"):
                shard.unlink(missing_ok=True)

    threads = [threading.Thread(target=writer, args=batch) for batch in batches]
    threads += [threading.Thread(target=reader) for _ in range(3)] + [threading.Thread(target=vandal)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert all(np.array_equal(vector, truth[key]) for found in seen for key, vector in found.items())
    assert not list(tmp_path.glob(".*.tmp"))  # no temporary file left behind


def test_an_interrupted_embedding_resumes_from_its_cached_chunks(tmp_path, monkeypatch):
    import analysis.embeddings as embeddings

    texts = [*TEXTS, "A third text about scaling laws.", "Four: retrieval-augmented generation.", "Five."]
    reference = Embedder(cache=False).embed(texts)
    monkeypatch.setattr(embeddings, "CHUNK_SIZE", 2)
    calls = []
    real_encode = Embedder.encode

    def encode_then_die(self, chunk):
        calls.append(len(chunk))
        if len(calls) == 2:
            raise KeyboardInterrupt  # the user gave up during the second chunk
        return real_encode(self, chunk)

    monkeypatch.setattr(Embedder, "encode", encode_then_die)
    with pytest.raises(KeyboardInterrupt):
        Embedder(cache=tmp_path).embed(texts)
    assert len(list(tmp_path.rglob("*.npz"))) == 1  # the first chunk was kept

    monkeypatch.setattr(Embedder, "encode", real_encode)
    resumed = Embedder(cache=tmp_path)
    vectors = resumed.embed(texts)
    assert (resumed.n_computed_, resumed.n_cached_) == (3, 2)
    assert len(list(tmp_path.rglob("*.npz"))) == 3  # chunks of 2 and 1
    assert np.allclose(vectors, reference, atol=1e-5)


def test_unknown_model_is_a_clear_error(tmp_path):
    with pytest.raises(EmbeddingError, match=r"cannot load embedding model '.*no-such-model'"):
        Embedder(str(tmp_path / "no-such-model"), cache=False).embed(["x"])


def test_precision_choice(monkeypatch):
    from analysis import embeddings

    monkeypatch.delenv("ANALYSIS_PRECISION")  # the session's fp32 (conftest)
    assert choose_precision("fp32") == "fp32"
    monkeypatch.setattr(embeddings, "cpu_flags", lambda: {"avx2", "avx512f", "avx512_vnni"})
    assert choose_precision() == "int8"  # the bundled model, where OpenVINO runs (it is a dependency), with VNNI
    assert choose_precision(model="some/other-model") == "fp32"  # int8 is built for the bundled model
    monkeypatch.setattr(embeddings, "cpu_flags", lambda: {"avx2", "fma"})
    assert choose_precision() == "fp32"  # without VNNI, int8 is slower than fp32
    monkeypatch.setattr(embeddings, "cpu_flags", lambda: {"avx512_vnni", "amx_bf16", "amx_int8"})
    assert choose_precision(model="some/other-model") == "bf16"
    monkeypatch.setenv("ANALYSIS_PRECISION", "bf16")
    assert choose_precision() == "bf16"
    with pytest.raises(EmbeddingError, match="precision must be"):
        choose_precision("int4")
    with pytest.raises(EmbeddingError, match="int8 is built for the bundled all-MiniLM-L6-v2 only"):
        choose_precision("int8", "some/other-model")
    monkeypatch.setattr(int8, "available", lambda: False)
    monkeypatch.delenv("ANALYSIS_PRECISION")
    assert choose_precision() == "bf16"  # falls back to PyTorch
    with pytest.raises(EmbeddingError, match="int8 needs openvino"):
        choose_precision("int8")


@pytest.mark.slow
def test_int8_is_close_to_fp32_repeatable_cached_apart_and_runs_without_torch(seed_papers, tmp_path):
    texts = (seed_papers["title"] + ". " + seed_papers["abstract"]).tolist()
    fast, reference = Embedder(precision="int8", cache=tmp_path), Embedder(precision="fp32", cache=tmp_path)
    vectors = fast.embed(texts)
    cosine = np.einsum("ij,ij->i", vectors, reference.embed(texts))
    assert cosine.mean() >= 0.98 and cosine.min() >= 0.95
    assert np.array_equal(Embedder(precision="int8", cache=False).embed(texts), vectors)  # a new model, same vectors
    assert fast.cache_key.endswith("-int8v1") and reference.cache_key.endswith("-fp32")
    assert len({path.parent for path in tmp_path.rglob("*.npz")}) == 2  # never mixed in one cache
    # a fresh process embeds with the build and never imports torch
    code = (
        "import sys; from analysis.embeddings import Embedder; "
        f"v = Embedder(precision='int8', cache=False).embed({texts[:3]!r}); "
        "print(v.shape, 'torch' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split("\n")[0] == "(3, 384) False"


@pytest.mark.slow
def test_a_corrupt_int8_build_is_rebuilt_never_loaded(tmp_path, monkeypatch):
    monkeypatch.setenv("ANALYSIS_CACHE_DIR", str(tmp_path))
    embedder = Embedder(precision="int8", cache=False)
    before = embedder.embed(TEXTS)
    build = tmp_path / "models" / embedder.cache_key
    assert int8.is_valid(build, BUNDLED_SHA256)
    weights = build / "model.bin"
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte in the int8 weights
    weights.write_bytes(bytes(data))
    assert not int8.is_valid(build, BUNDLED_SHA256)
    assert np.array_equal(Embedder(precision="int8", cache=False).embed(TEXTS), before)  # rebuilt, same vectors
    assert int8.is_valid(build, BUNDLED_SHA256)


def test_a_bug_while_loading_a_model_keeps_its_traceback(tmp_path, monkeypatch):
    import sentence_transformers

    def broken(*args, **kwargs):
        raise RuntimeError("a bug, not a missing model")

    monkeypatch.setattr(sentence_transformers, "SentenceTransformer", broken)
    with pytest.raises(RuntimeError, match="a bug, not a missing model"):
        Embedder(str(tmp_path / "model"), precision="fp32", cache=False).embed(["x"])


def test_the_progress_bar_is_a_widget_in_a_notebook_and_never_stderr_there(monkeypatch, capsys):
    import tqdm.notebook

    from analysis import embeddings

    with embeddings._progress(1000) as bar:  # a terminal: text on stderr
        bar.update(1000)
    assert "embedding: 100%" in capsys.readouterr().err
    monkeypatch.setattr(embeddings, "_in_notebook", lambda: True)
    bar = embeddings._progress(1000)
    assert isinstance(bar, tqdm.notebook.tqdm_notebook)
    bar.close()
    found = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "ipywidgets" else found(name, *a))
    with embeddings._progress(1000) as bar:  # a notebook without ipywidgets: no bar
        bar.update(1000)
    assert bar.disable and capsys.readouterr().err == ""


def test_any_object_with_encode_chunks_is_a_cluster_the_embedder_runs_on(tmp_path, monkeypatch):
    """The cluster is a plug-in: the embedder calls its encode_chunks and caches each chunk as it comes back,
    in whatever order (here the last first), with the vectors of a run in this process."""
    from analysis import embeddings
    from analysis.embeddings import Embedder

    class Backwards:
        def __init__(self):
            self.calls = []

        def encode_chunks(self, chunks, make, name):
            self.calls.append((len(chunks), name))
            local = make()
            return ((i, local.encode(chunks[i])) for i in reversed(range(len(chunks))))

    monkeypatch.setattr(embeddings, "CHUNK_SIZE", 2)
    texts = ["KV caches for long contexts.", "A robot arm grasps cups.", "Diffusion for video.", "Tokenizers."]
    cluster = Backwards()
    embedder = Embedder(precision="fp32", cache=tmp_path, cluster=cluster)
    vectors = embedder.embed(texts)
    assert cluster.calls == [(2, (embedder.model, "fp32"))]
    assert np.array_equal(vectors, Embedder(precision="fp32", cache=False).embed(texts))
    assert len(list(tmp_path.rglob("*.npz"))) == 2  # one shard per chunk


def test_the_cache_is_bounded_and_drops_the_shards_used_least_recently(tmp_path, monkeypatch):
    import os

    from analysis.embeddings import EmbeddingCache, cache_limit

    rng = np.random.default_rng(0)
    vectors = {name: rng.normal(size=(4, 8)).astype(np.float32) for name in "abc"}
    keys = {name: [f"{name}{i}" for i in range(4)] for name in "abc"}
    cache = EmbeddingCache(tmp_path, limit=10**9)
    for stamp, name in enumerate("ab"):  # a stored first, then b
        cache.store(keys[name], vectors[name])
        for shard in tmp_path.glob("*.npz"):
            if shard.stat().st_mtime_ns > 10**9:
                os.utime(shard, ns=(stamp * 10**9, stamp * 10**9))
    one = sum(f.stat().st_size for f in tmp_path.iterdir()) // 2  # a shard with its key list
    assert cache.load(keys["a"]).keys() == set(keys["a"])  # a is used: now the most recent
    bounded = EmbeddingCache(tmp_path, limit=2 * one + one // 2)  # room for two shards
    bounded.store(keys["c"], vectors["c"])
    bounded.evict()
    assert sorted(bounded.load([*keys["a"], *keys["b"], *keys["c"]])) == [*keys["a"], *keys["c"]]  # b went
    assert len(list(tmp_path.glob("*.npz"))) == len(list(tmp_path.glob("*.keys"))) == 2  # with its key list
    monkeypatch.setenv("ANALYSIS_EMBEDDING_CACHE_GB", "0.5")
    assert cache_limit() == 500_000_000
    monkeypatch.setenv("ANALYSIS_EMBEDDING_CACHE_GB", "lots")
    with pytest.raises(ValueError, match=r"^ANALYSIS_EMBEDDING_CACHE_GB='lots': give the cache's bound as a positive"):
        cache_limit()
