"""Where the memory of a run goes: peak resident memory of each stage, on corpora of growing size.

Each corpus is run end to end (``analysis.pipeline.run``, PNG/SVG off) in a fresh process whose vectors are
already in the embedding cache (``ANALYSIS_CACHE_DIR``; a warm run: what the stages after embedding hold; the
document map is computed, not taken from the projection cache). The
stages are the pipeline's own functions and the fit's parts, wrapped here: each records the peak resident set
(VmHWM, reset through ``/proc/self/clear_refs`` as it starts; a stage's peak includes the stages inside it) and
the resident set left when it ends. Linux only.

Corpora (``BENCH_CORPORA``, default ``../shared/corpora``): the seeds, the 4,024 Daily Papers, the 5,909
balanced arXiv abstracts, 10,000 of the 37,620 arXiv abstracts (a fixed sample), and all 37,620 (``--sizes``
picks; embed a corpus once beforehand, e.g. with a ``run``, to measure it warm). ``synthetic150k``: the 37,620
four times, with perturbed vectors (see :func:`_perturbed`). ``update37k``: a living review's update, the month of
November 2025 (2,600 arXiv abstracts) placed onto the other 35,020 fitted and saved beforehand.

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
    paths, model_dir = [corpus], None
    if size == "update37k":  # the saved review fitted beforehand (:func:`_saved_review`); the month placed onto it
        from analysis import new_themes
        from analysis import update as update_stage

        peaks.wrap(pipeline, "load_topics", "load the saved topics")
        peaks.wrap(pipeline, "update", "place (history, new themes)")
        peaks.wrap(new_themes, "_clusterings", "place: new-theme k-means")
        peaks.wrap(update_stage, "extend_2d", "place: map (extended)")
        paths, model_dir = [str(Path(out) / "month.jsonl.gz")], Path(out) / "review" / "model"
    elif size == "arxiv10k":
        paths = [_sample(corpus, out)]
    elif size == "synthetic150k":
        paths = [_synthetic(corpus, out)]
        embed_papers = Embedder.embed_papers
        Embedder.embed_papers = functools.wraps(embed_papers)(
            lambda self, papers, **k: _perturbed(embed_papers, self, papers, **k)
        )
    pipeline.run(paths, Path(out) / "run", static=False, log=lambda _: None, model_dir=model_dir)
    print(json.dumps({"base_mb": base, "peak_mb": peaks.stack[0], "rows": peaks.rows}))


def _sample(corpus: str, folder: str) -> str:
    import pandas as pd

    frame = pd.read_json(corpus, lines=True, dtype={"id": str}).sample(10_000, random_state=0)
    path = Path(folder) / "arxiv10k.jsonl.gz"
    frame.to_json(path, orient="records", lines=True)
    return str(path)


def _saved_review(corpus: str, folder: str) -> None:
    """update37k: the arXiv abstracts of March - October 2025 (35,020) fitted and saved as a review in
    ``folder/review`` (a run of its own, not measured), and those of November (2,600) as the month to add."""
    import pandas as pd

    from analysis import pipeline

    frame = pd.read_json(corpus, lines=True, dtype={"id": str})
    month = frame["digest_date"].astype(str).str.startswith("2025-11")
    frame[~month].to_json(Path(folder) / "saved.jsonl.gz", orient="records", lines=True)
    frame[month].to_json(Path(folder) / "month.jsonl.gz", orient="records", lines=True)
    pipeline.run([str(Path(folder) / "saved.jsonl.gz")], Path(folder) / "review", static=False, log=lambda _: None)


COPIES = 4  # synthetic150k: each arXiv abstract four times, three of them with a perturbed vector
NOISE = 0.032  # per dimension: a perturbed unit vector keeps a cosine of about 0.85 to its original


def _synthetic(corpus: str, folder: str) -> str:
    """The 37,620 arXiv abstracts :data:`COPIES` times (150,480 papers): copy ``k`` > 0 has the id ``ID-sk``."""
    import pandas as pd

    frame = pd.read_json(corpus, lines=True, dtype={"id": str})
    copies = [frame.assign(id=frame["id"] + ("" if k == 0 else f"-s{k}")) for k in range(COPIES)]
    path = Path(folder) / "synthetic150k.jsonl.gz"
    pd.concat(copies, ignore_index=True).to_json(path, orient="records", lines=True)
    return str(path)


def _perturbed(embed_papers, embedder, papers, **kwargs):
    """The real (cached) vectors of the papers' texts, those of the copies (``-sk`` ids) moved by Gaussian noise
    of :data:`NOISE` per dimension and scaled back to length 1 (the same noise on every run)."""
    import numpy as np

    vectors = embed_papers(embedder, papers, **kwargs)
    copy = papers["paper_id"].astype(str).str.contains(r"-s\d+$").to_numpy()
    noise = np.random.default_rng(0).standard_normal(vectors.shape).astype(np.float32) * NOISE
    moved = vectors + np.where(copy[:, None], noise, 0)
    return (moved / np.linalg.norm(moved, axis=1, keepdims=True)).astype(np.float32)


SIZES = {
    "seeds": ROOT / "data",
    "hf4k": CORPORA / "hf_daily_papers_2024-05_2025-06.jsonl.gz",
    "arxiv6k": CORPORA / "arxiv_cs_2025_balanced.jsonl.gz",
    "arxiv10k": CORPORA / ARXIV,
    "arxiv37k": CORPORA / ARXIV,
    "synthetic150k": CORPORA / ARXIV,
    "update37k": CORPORA / ARXIV,
}


def _in_fresh_process(function: str, *args: str) -> str:
    """``function`` of this module called with ``args`` in a new Python process (nothing imported or allocated
    before it); its standard output, or exit with the end of its standard error when it fails."""
    code = f"import sys; sys.path.insert(0, {str(ROOT / 'bench')!r}); import memory; memory.{function}(*sys.argv[1:])"
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=ROOT)
    if done.returncode:
        raise SystemExit(done.stderr[-3000:])
    return done.stdout.strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", choices=list(SIZES), default=list(SIZES))
    parser.add_argument("--out", default=str(ROOT / "bench" / "RESULTS.md"), help="results file")
    parser.add_argument("--section", default="", help="write a section of this name (e.g. large) beside the default")
    args = parser.parse_args(argv)
    from trends import _cpu, write_section

    begin, end = (BEGIN.replace("memory:", f"memory {args.section}:"), END.replace("memory", f"memory {args.section}"))
    begin, end = (begin, end) if args.section else (BEGIN, END)

    results = {}
    for size in args.sizes:
        with tempfile.TemporaryDirectory(prefix="bench-memory-") as folder:
            if size == "update37k":
                _in_fresh_process("_saved_review", str(SIZES[size]), folder)
            done = _in_fresh_process("_child", str(SIZES[size]), size, folder)
            results[size] = json.loads(done.splitlines()[-1])
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
    command = " ".join(
        ["python bench/memory.py --sizes", *args.sizes] + (["--section", args.section] * bool(args.section))
    )
    section = f"""{begin}
## Memory per stage (issue 28){f": {args.section}" if args.section else ""}

Date: {time.strftime("%Y-%m-%d")}. CPU: {_cpu()}. Command: `{command}`.
Warm runs (every vector in the cache), PNG/SVG off; each cell: the stage's peak resident memory / what the
process held when it ended (its time). A stage's peak includes the stages inside it (the fit's parts).

{chr(10).join(lines)}
{end}"""
    write_section(Path(args.out), section, begin, end)
    print(section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
