import hashlib

import numpy as np
import pytest

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

    third = Embedder(cache=tmp_path)
    third.embed(TEXTS + ["A third text about scaling laws."])
    assert (third.n_computed_, third.n_cached_) == (1, 2)


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


def test_an_interrupted_embedding_resumes_from_its_cached_chunks(tmp_path, monkeypatch):
    import analysis.embeddings as embeddings

    texts = [*TEXTS, "A third text about scaling laws.", "Four: retrieval-augmented generation.", "Five."]
    reference = Embedder(cache=False).embed(texts)
    monkeypatch.setattr(embeddings, "CHUNK_SIZE", 2)
    calls = []
    real_encode = Embedder._encode

    def encode_then_die(self, chunk):
        calls.append(len(chunk))
        if len(calls) == 2:
            raise KeyboardInterrupt  # the user gave up during the second chunk
        return real_encode(self, chunk)

    monkeypatch.setattr(Embedder, "_encode", encode_then_die)
    with pytest.raises(KeyboardInterrupt):
        Embedder(cache=tmp_path).embed(texts)
    assert len(list(tmp_path.rglob("*.npz"))) == 1  # the first chunk was kept

    monkeypatch.setattr(Embedder, "_encode", real_encode)
    resumed = Embedder(cache=tmp_path)
    vectors = resumed.embed(texts)
    assert (resumed.n_computed_, resumed.n_cached_) == (3, 2)
    assert len(list(tmp_path.rglob("*.npz"))) == 3  # chunks of 2 and 1
    assert np.allclose(vectors, reference, atol=1e-5)


def test_unknown_model_is_a_clear_error(tmp_path):
    with pytest.raises(EmbeddingError, match=r"cannot load embedding model '.*no-such-model'"):
        Embedder(str(tmp_path / "no-such-model"), cache=False).embed(["x"])


def test_precision_choice(monkeypatch):
    assert choose_precision("fp32") == "fp32"
    monkeypatch.setenv("ANALYSIS_PRECISION", "bf16")
    assert choose_precision() == "bf16"
    with pytest.raises(EmbeddingError, match="precision must be"):
        choose_precision("int4")
