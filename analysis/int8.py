"""An int8 OpenVINO build of the bundled all-MiniLM-L6-v2: about 3x the throughput of PyTorch fp32 on a CPU, at a
mean cosine of 0.99 to its vectors (bench/RESULTS.md).

The build runs once per machine, from the checksum-verified weights and from local text only:

1. export to ONNX, with the model's mean pooling and normalisation inside the graph;
2. quantise to int8 with NNCF's static post-training quantisation, calibrated on 200 bundled abstracts
   (``data/calibration.txt.gz``; NNCF's own calibration download is never used);
3. save under the cache with a manifest of the sha256 of every file.

A build whose files no longer match their manifest is rebuilt, never loaded. Embedding with the build needs
only ``openvino`` and ``tokenizers``: no torch.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import importlib.util
import io
import json
import subprocess
import sys
import threading
import warnings
from importlib import resources
from pathlib import Path

import numpy as np

from analysis._io import atomic_dir, quiet_logger

BUILD_VERSION = 1  # bump when the build changes: older builds are then rebuilt, and their vectors not reused
MAX_TOKENS = 256  # the model's max_seq_length (sentence_bert_config.json)
BATCH_SIZE = 16
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
_MANIFEST = "manifest.json"


def available() -> bool:
    """Whether this environment can build and run the int8 model (``openvino``, ``nncf``, ``tokenizers``)."""
    return all(importlib.util.find_spec(name) for name in ("openvino", "nncf", "tokenizers"))


def calibration_texts() -> list[str]:
    """The 200 bundled abstracts the int8 build is calibrated on (Daily Papers 2024-06 to 2025-05, Apache-2.0)."""
    data = resources.files("analysis").joinpath("data/calibration.txt.gz").read_bytes()
    return gzip.decompress(data).decode("utf-8").splitlines()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _tokenizer(source: Path):
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(source / "tokenizer.json"))
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    tokenizer.enable_padding()
    return tokenizer


def _batch(tokenizer, texts: list[str]) -> dict[str, np.ndarray]:
    encodings = tokenizer.encode_batch(texts)
    ids = np.array([e.ids for e in encodings], dtype=np.int64)
    mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}


def _export_onnx(source: Path, target: Path) -> None:
    """The transformer plus mean pooling and L2 normalisation, as one ONNX graph (what sentence-transformers
    computes for this model)."""
    import torch
    from transformers import AutoModel

    class Pooled(torch.nn.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            hidden = self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1)

    model = AutoModel.from_pretrained(str(source)).eval()
    example = tuple(torch.ones((2, 16), dtype=torch.long) for _ in INPUTS)
    axes = {name: {0: "batch", 1: "tokens"} for name in INPUTS} | {"embedding": {0: "batch"}}
    with torch.inference_mode():
        torch.onnx.export(
            Pooled(model), example, str(target), input_names=list(INPUTS), output_names=["embedding"],
            dynamic_axes=axes, opset_version=17, dynamo=False,
        )  # fmt: skip


@contextlib.contextmanager
def _quiet():
    """Without the exporter's tracer warnings, NNCF's log and its progress bars (all restored afterwards): the
    warnings of torch, NNCF, OpenVINO and transformers only; any other still shows."""
    with quiet_logger("nncf"), warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        from torch.jit import TracerWarning

        warnings.filterwarnings("ignore", module=r"(torch|nncf|openvino|transformers)(\.|$)")
        warnings.simplefilter("ignore", TracerWarning)  # wherever the tracer attributes it (our pooling too)
        yield


def build(source: Path, target: Path, source_sha256: str) -> None:
    """Build the int8 model of the sentence-transformers model in ``source`` into ``target`` (atomically)."""
    import nncf
    import openvino as ov

    tokenizer = _tokenizer(source)
    texts = calibration_texts()
    batches = [_batch(tokenizer, texts[i : i + 4]) for i in range(0, len(texts), 4)]
    with atomic_dir(target) as staging, _quiet():
        _export_onnx(source, staging / "model.onnx")
        model = ov.Core().read_model(str(staging / "model.onnx"))
        quantised = nncf.quantize(
            model, nncf.Dataset(batches), model_type=nncf.ModelType.TRANSFORMER, subset_size=len(batches)
        )
        ov.save_model(quantised, str(staging / "model.xml"))
        (staging / "model.onnx").unlink()
        files = {name: _sha256(staging / name) for name in ("model.xml", "model.bin")}
        manifest = {"build": BUILD_VERSION, "source_sha256": source_sha256, "openvino": ov.__version__, "files": files}
        (staging / _MANIFEST).write_text(json.dumps(manifest, indent=1))


def is_valid(target: Path, source_sha256: str) -> bool:
    """Whether ``target`` holds a whole build of this version from these weights (every file's sha256 checked)."""
    try:
        manifest = json.loads((target / _MANIFEST).read_text())
        return (
            manifest["build"] == BUILD_VERSION
            and manifest["source_sha256"] == source_sha256
            and all(_sha256(target / name) == digest for name, digest in manifest["files"].items())
        )
    except (OSError, ValueError, KeyError, TypeError):
        return False


class Int8Model:
    """The int8 build in ``directory`` of the model in ``source`` (built there first if missing or broken).

    The layers left in floating point run in fp32 on every CPU (OpenVINO would pick bf16 on some), so that a
    text gets the same vector on every machine up to the CPU's rounding.
    """

    def __init__(self, source: Path, directory: Path, source_sha256: str):
        import openvino as ov

        if not is_valid(directory, source_sha256):
            # in a child process: torch and NNCF stay out of this one (an OpenVINO queue run in the process that
            # quantised the model was seen to hang), and their memory is returned when the build ends
            print("building the int8 embedding model (once per machine, about 30 s)", file=sys.stderr)
            command = [sys.executable, "-m", "analysis.int8", str(source), str(directory), source_sha256]
            done = subprocess.run(command, capture_output=True, text=True)
            if done.returncode or not is_valid(directory, source_sha256):
                lines = done.stderr.strip().splitlines()
                reason = ([line for line in lines if "Error" in line] or lines or ["no message"])[-1]
                raise RuntimeError(f"building the int8 embedding model failed: {reason}")
        self.tokenizer = _tokenizer(source)
        config = {"PERFORMANCE_HINT": "THROUGHPUT", "INFERENCE_PRECISION_HINT": "f32"}
        self.compiled = ov.Core().compile_model(str(directory / "model.xml"), "CPU", config)
        self.dimension = self.compiled.output(0).get_partial_shape()[1].get_length()
        n_requests = self.compiled.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS")
        self.requests = [self.compiled.create_infer_request() for _ in range(max(1, n_requests))]
        # The requests are this model's: one encode at a time uses them (a Dask worker with several threads calls
        # encode side by side: "Infer Request is busy"). The requests already run in parallel on every core.
        self._lock = threading.Lock()

    def encode(self, texts: list[str]) -> np.ndarray:
        """One unit-length float32 row per text; batches of similar length run in parallel requests (one per
        OpenVINO stream, taken in turn; no Python callbacks, which were seen to deadlock). Safe to call from
        several threads: the calls take turns."""
        with self._lock:
            return self._encode(texts)

    def _encode(self, texts: list[str]) -> np.ndarray:
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        order = np.argsort([-len(text) for text in texts], kind="stable")
        batches = [order[start : start + BATCH_SIZE] for start in range(0, len(texts), BATCH_SIZE)]
        running: list[tuple[object, np.ndarray]] = []
        for index, rows in enumerate(batches):
            request = self.requests[index % len(self.requests)]
            if len(running) == len(self.requests):
                self._collect(*running.pop(0), vectors)
            request.start_async(_batch(self.tokenizer, [texts[i] for i in rows]))
            running.append((request, rows))
        for request, rows in running:
            self._collect(request, rows, vectors)
        return vectors

    @staticmethod
    def _collect(request, rows: np.ndarray, vectors: np.ndarray) -> None:
        request.wait()
        vectors[rows] = request.get_output_tensor(0).data


if __name__ == "__main__":
    build(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3])
