"""Where the memory of a run goes: peak resident memory of each stage, on corpora of growing size.

Each corpus is run end to end (``analysis.pipeline.run``, PNG/SVG off) in a fresh process whose vectors are
already in the embedding cache (``ANALYSIS_CACHE_DIR``; a warm run: what the stages after embedding hold; the
document map is computed, not taken from the projection cache). The
stages are the pipeline's own functions and the fit's parts, wrapped here: each records the peak resident set
(VmHWM, reset through ``/proc/self/clear_refs`` as it starts; a stage's peak includes the stages inside it) and
the resident set left when it ends. Linux only.

Corpora (``BENCH_CORPORA``, default ``../shared/corpora``): the seeds, the 4,024 Daily Papers, the 5,909
balanced arXiv abstracts, 10,000 of the 37,620 arXiv abstracts (a fixed sample), and all 37,620 (``--sizes``
picks; embed a corpus once beforehand, e.g. with a ``run``, to measure it warm).

    python bench/memory.py [--sizes seeds hf4k arxiv6k arxiv10k arxiv37k] [--out bench/RESULTS.md]
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPORA = Path(os.environ.get("BENCH_CORPORA", ROOT.parent / "shared" / "corpora"))
BEGIN, END = "<!-- memory: written by bench/memory.py -->", "<!-- /memory -->"
ARXIV = "arxiv_cs_2025-03_2025-11_labeled.jsonl.gz"


def _status(field: str) -> float:
    """A field of ``/proc/self/status`` in MB."""
    return int(re.search(rf"{field}:\s+(\d+) kB", Path("/proc/self/status").read_text()).group(1)) / 1024


def _reset_peak() -> None:
    Path("/proc/self/clear_refs").write_text("5")


class Peaks:
    """Peak and left resident memory per wrapped stage, nested stages included in their callers' peaks."""

    def __init__(self):
        self.stack: list[float] = [0.0]  # the running peak of each open stage (the bottom: the whole process)
        self.rows: list[dict] = []

    def wrap(self, owner, name: str, stage: str) -> None:
        original = getattr(owner, name)

        @functools.wraps(original)
        def measured(*args, **kwargs):
            self.stack[-1] = max(self.stack[-1], _status("VmHWM"))
            _reset_peak()
            self.stack.append(0.0)
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                peak = max(self.stack.pop(), _status("VmHWM"))
                self.stack[-1] = max(self.stack[-1], peak)
                seconds = time.perf_counter() - start
                self.rows.append({"stage": stage, "peak_mb": peak, "left_mb": _status("VmRSS"), "seconds": seconds})
                _reset_peak()

        setattr(owner, name, measured)


def _child(corpus: str, size: str, out: str) -> None:
    """In a fresh process: wrap the stages, run, print the rows as JSON."""
    from analysis import pipeline, topics
    from analysis._bertopic import bertopic_class
    from analysis.embeddings import Embedder

    base = _status("VmRSS")
    project_2d = pipeline.project_2d
    pipeline.project_2d = functools.wraps(project_2d)(lambda *a, **k: project_2d(*a, **{**k, "cache": False}))
    peaks = Peaks()
    for owner, name, stage in [
        (pipeline, "load_digests", "load"),
        (Embedder, "embed_papers", "embed (cached)"),
        (pipeline, "fit_topics", "fit"),
        (topics, "choose_counts", "fit: topic counts"),
        (bertopic_class(), "fit_transform", "fit: BERTopic (k-means, c-TF-IDF)"),
        (topics, "topic_stability", "fit: stability"),
        (topics, "label_levels", "fit: labels"),
        (pipeline, "periods_and_trends", "trends"),
        (pipeline, "overlap_tables", "overlap"),
        (pipeline, "project_2d", "map"),
        (pipeline, "build_figures", "figures"),
        (pipeline.RunResult, "write", "write"),
    ]:
        peaks.wrap(owner, name, stage)
    paths = [corpus] if size != "arxiv10k" else [_sample(corpus, out)]
    pipeline.run(paths, Path(out) / "run", static=False, log=lambda _: None)
    print(json.dumps({"base_mb": base, "peak_mb": peaks.stack[0], "rows": peaks.rows}))


def _sample(corpus: str, folder: str) -> str:
    import pandas as pd

    frame = pd.read_json(corpus, lines=True, dtype={"id": str}).sample(10_000, random_state=0)
    path = Path(folder) / "arxiv10k.jsonl.gz"
    frame.to_json(path, orient="records", lines=True)
    return str(path)


SIZES = {
    "seeds": ROOT / "data",
    "hf4k": CORPORA / "hf_daily_papers_2024-05_2025-06.jsonl.gz",
    "arxiv6k": CORPORA / "arxiv_cs_2025_balanced.jsonl.gz",
    "arxiv10k": CORPORA / ARXIV,
    "arxiv37k": CORPORA / ARXIV,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", choices=list(SIZES), default=list(SIZES))
    parser.add_argument("--out", default=str(ROOT / "bench" / "RESULTS.md"), help="results file")
    args = parser.parse_args(argv)
    from trends import _cpu, write_section

    results = {}
    for size in args.sizes:
        with tempfile.TemporaryDirectory(prefix="bench-memory-") as folder:
            code = (
                f"import sys; sys.path.insert(0, {str(ROOT / 'bench')!r}); import memory; memory._child(*sys.argv[1:])"
            )
            done = subprocess.run(
                [sys.executable, "-c", code, str(SIZES[size]), size, folder], capture_output=True, text=True, cwd=ROOT
            )
            if done.returncode:
                raise SystemExit(done.stderr[-3000:])
            results[size] = json.loads(done.stdout.strip().splitlines()[-1])
            print(size, results[size]["peak_mb"], flush=True)
    stages = list(dict.fromkeys(row["stage"] for r in results.values() for row in r["rows"]))
    header = "| stage | " + " | ".join(f"{s} peak / left (MB)" for s in results) + " |"
    lines = [header, "|---|" + "---:|" * len(results)]
    for stage in stages:
        cells = []
        for r in results.values():
            rows = [row for row in r["rows"] if row["stage"] == stage]
            if not rows:
                cells.append("–")
                continue
            seconds = sum(x["seconds"] for x in rows)
            cells.append(f"{max(x['peak_mb'] for x in rows):,.0f} / {rows[-1]['left_mb']:,.0f} ({seconds:.1f} s)")
        lines.append(f"| {stage} | " + " | ".join(cells) + " |")
    lines.append("| **whole run (peak)** | " + " | ".join(f"**{r['peak_mb']:,.0f}**" for r in results.values()) + " |")
    lines.append("| after imports | " + " | ".join(f"{r['base_mb']:,.0f}" for r in results.values()) + " |")
    section = f"""{BEGIN}
## Memory per stage (issue 28)

Date: {time.strftime("%Y-%m-%d")}. CPU: {_cpu()}. Command: `python bench/memory.py --sizes {" ".join(args.sizes)}`.
Warm runs (every vector in the cache), PNG/SVG off; each cell: the stage's peak resident memory / what the
process held when it ended (its time). A stage's peak includes the stages inside it (the fit's parts).

{chr(10).join(lines)}
{END}"""
    write_section(Path(args.out), section, BEGIN, END)
    print(section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
