"""Embedding speed-ups tried on this CPU, each against sentence-transformers' default ``encode`` (fp32, batches
of 32) on the same texts, with the mean and minimum cosine to its vectors.

Usage::

    python bench/embedding_options.py                 # 300 arXiv abstracts (bench/README.md: the corpora)
    python bench/embedding_options.py --texts 1000

Options measured: batch sizes 4/8/16, bf16 autocast, the OpenVINO int8 build that ``--precision auto`` uses
(:mod:`analysis.int8`), and ONNX Runtime fp32 and dynamic int8 (per-channel)
when ``onnx``, ``onnxscript`` and ``onnxruntime`` are installed (they are not dependencies of the package:
``pip install onnx onnxscript onnxruntime``). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("BENCH_CORPORA", ROOT.parent / "shared" / "corpora")) / "arxiv_cs_2025_balanced.jsonl.gz"
MAX_TOKENS = 256  # all-MiniLM-L6-v2's max_seq_length


def _cosines(vectors: np.ndarray, reference: np.ndarray) -> np.ndarray:
    vectors = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    reference = reference / np.linalg.norm(reference, axis=1, keepdims=True)
    return np.einsum("ij,ij->i", vectors, reference)


def _timed(encode, texts: list[str]) -> tuple[float, np.ndarray]:
    encode(texts[:16])  # warm-up: allocations, kernel selection
    start = time.perf_counter()
    vectors = np.asarray(encode(texts), dtype=np.float32)
    return time.perf_counter() - start, vectors


def _onnx_sessions(model, workdir: Path) -> dict:
    """fp32 and int8 ONNX Runtime sessions of the model's transformer (exported from torch)."""
    import onnxruntime
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    transformer = model[0].auto_model.eval()
    dummy = torch.ones(1, 8, dtype=torch.long)
    names = ["input_ids", "attention_mask", "token_type_ids"]
    fp32, int8 = workdir / "model.onnx", workdir / "model_int8.onnx"
    torch.onnx.export(
        transformer,
        (dummy, dummy, torch.zeros_like(dummy)),
        str(fp32),
        input_names=names,
        output_names=["last_hidden_state"],
        dynamic_axes={name: {0: "batch", 1: "tokens"} for name in [*names, "last_hidden_state"]},
        opset_version=17,
        dynamo=False,
    )
    quantize_dynamic(
        str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True, extra_options={"DefaultTensorType": 1}
    )
    return {
        name: onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        for name, path in [("ONNX Runtime fp32", fp32), ("ONNX Runtime int8 (dynamic, per-channel)", int8)]
    }


def _onnx_encoder(session, tokenizer, batch_size: int = 8):
    """Mean-pooled, normalised sentence vectors from an ONNX session, batches sorted by length as in ST."""

    def encode(texts: list[str]) -> np.ndarray:
        order = np.argsort([-len(text) for text in texts], kind="stable")
        out = np.zeros((len(texts), 384), dtype=np.float32)
        for start in range(0, len(texts), batch_size):
            index = order[start : start + batch_size]
            batch = tokenizer(
                [texts[i] for i in index], padding=True, truncation=True, max_length=MAX_TOKENS, return_tensors="np"
            )
            feeds = {k: batch[k].astype(np.int64) for k in ("input_ids", "attention_mask", "token_type_ids")}
            hidden = session.run(None, feeds)[0]
            mask = feeds["attention_mask"][:, :, None]
            pooled = (hidden * mask).sum(axis=1) / mask.sum(axis=1)
            out[index] = pooled / np.linalg.norm(pooled, axis=1, keepdims=True)
        return out

    return encode


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--texts", type=int, default=300, help="how many abstracts (default 300)")
    args = parser.parse_args(argv)
    import torch

    from analysis.embeddings import Embedder

    with gzip.open(CORPUS, "rt") as handle:
        rows = [json.loads(line) for _, line in zip(range(args.texts), handle, strict=False)]
    texts = [row["title"] + ". " + row["abstract"] for row in rows]
    model = Embedder(precision="fp32", cache=False).load_model()
    options = {
        f"sentence-transformers, batch {size}": (lambda t, s=size: model.encode(t, batch_size=s))
        for size in (32, 16, 8, 4)
    }

    def bf16(batch: list[str]) -> np.ndarray:
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16):
            return model.encode(batch, batch_size=8)

    options["bf16 autocast, batch 8"] = bf16
    options["OpenVINO int8, batch 16 (analysis.int8: used by auto)"] = Embedder(precision="int8", cache=False).encode
    try:
        with tempfile.TemporaryDirectory() as tmp:
            sessions = _onnx_sessions(model, Path(tmp))
        options.update({name: _onnx_encoder(session, model.tokenizer) for name, session in sessions.items()})
    except ImportError as error:
        print(f"(ONNX Runtime options skipped: {error})", file=sys.stderr)
    seconds, vectors = {}, {}
    for name, encode in options.items():
        seconds[name], vectors[name] = _timed(encode, texts)
        print(f"{name}: {seconds[name]:.1f} s", file=sys.stderr, flush=True)
    base = "sentence-transformers, batch 32"
    print(f"{len(texts)} abstracts, {torch.get_num_threads()} threads\n")
    print("| option | seconds | speed-up | mean cosine | min cosine |\n|---|---:|---:|---:|---:|")
    for name in options:
        cos, speed = _cosines(vectors[name], vectors[base]), seconds[base] / seconds[name]
        print(f"| {name} | {seconds[name]:.1f} | {speed:.2f}x | {cos.mean():.5f} | {cos.min():.4f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
