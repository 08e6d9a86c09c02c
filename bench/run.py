"""Benchmark: every stage of `run`, side by side with a plain BERTopic-defaults pipeline.

Each case runs in a fresh process (imports and numba compilation count, as they do for a user), timing each
stage and recording the process's peak memory:

* **ours, cold**: empty embedding cache; **ours, warm**: the same run again with the cache filled;
* **baseline**: what a user writes from BERTopic's docs: sentence-transformers ``encode`` (fp32), ``BERTopic()``,
  ``visualize_barchart``, ``visualize_topics_per_class``, ``visualize_documents``, each written as HTML and
  PNG (one ``write_image`` call per figure).

Usage::

    python bench/run.py --smoke                 # the seeds only (CI runs this)
    python bench/run.py                         # seeds, HF Daily Papers, arXiv 1k/4k/10k/37,620
    python bench/run.py --cases seeds hf4k      # a selection
    python bench/run.py --cases arxiv1k --isa avx2 --throughput-only   # embedding on AVX2 kernels, emulated

Writes ``bench/RESULTS.md`` (``--out``) and ``bench/scaling.png``; ``--smoke`` prints its table and writes a
file only when given ``--out``, so that it never replaces the full results.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("BENCH_CORPORA", ROOT.parent / "shared" / "corpora"))  # see bench/README.md
CASES = {
    "seeds": (ROOT / "data", None),
    "hf4k": (SHARED / "hf_daily_papers_2024-05_2025-06.jsonl.gz", None),
    "arxiv1k": (SHARED / "arxiv_cs_2025-03_2025-11_labeled.jsonl.gz", 1000),
    "arxiv4k": (SHARED / "arxiv_cs_2025-03_2025-11_labeled.jsonl.gz", 4000),
    "arxiv5853": (SHARED / "arxiv_cs_2025-03_2025-11_labeled.jsonl.gz", 5853),  # issue 14's size
    "arxiv10k": (SHARED / "arxiv_cs_2025-03_2025-11_labeled.jsonl.gz", 10000),
    "arxiv37k": (SHARED / "arxiv_cs_2025-03_2025-11_labeled.jsonl.gz", None),
}


# ------------------------------------------------------------------------------------------ child processes
class Timer:
    def __init__(self):
        self.stages, self._last = {}, time.perf_counter()

    def lap(self, name):
        now = time.perf_counter()
        self.stages[name] = round(now - self._last, 2)
        self._last = now


def _peak_mb(who=resource.RUSAGE_SELF) -> float:
    """Peak RSS of this process, or (``RUSAGE_CHILDREN``) of its largest child: the browser that renders PNG
    and SVG. A forked child's RSS includes the pages it still shares with this process at the fork."""
    return resource.getrusage(who).ru_maxrss / 1024


def child_ours(paths: list[str], out: str) -> dict:
    """``analysis.pipeline.run`` as the command line runs it, with its own seconds per stage."""
    start = time.perf_counter()
    from analysis.embeddings import Embedder
    from analysis.pipeline import run

    imported = time.perf_counter() - start
    result = run(paths, Path(out) / "run", seed=42, log=lambda _: None)
    # the vectors, for their cosine to the baseline's: read back from the cache the run just filled (untimed)
    np.save(Path(out) / "embeddings.npy", Embedder().embed_papers(result.papers))
    return {
        "papers": len(result.papers),
        "topics": len(result.topics),
        "stages": {"import": round(imported, 2), **result.timings},
        "peak_mb": round(_peak_mb()),
        "child_mb": round(_peak_mb(resource.RUSAGE_CHILDREN)),
    }


def child_baseline(paths: list[str], out: str) -> dict:
    timer = Timer()
    from bertopic import BERTopic
    from sentence_transformers import SentenceTransformer

    from analysis.digests import load_digests
    from analysis.embeddings import bundled_model_path, paper_texts

    timer.lap("import")
    papers = load_digests(*paths)
    docs = paper_texts(papers)
    timer.lap("load")
    model = SentenceTransformer(str(bundled_model_path()), device="cpu")
    embeddings = model.encode(docs)
    timer.lap("embed")
    np.save(Path(out) / "embeddings.npy", embeddings)
    topic_model = BERTopic()
    topics, _ = topic_model.fit_transform(docs, embeddings)
    timer.lap("fit")
    per_class = topic_model.topics_per_class(docs, classes=papers["digest"].tolist())
    timer.lap("overlap")
    figures = {
        "barchart": topic_model.visualize_barchart(),
        "per_class": topic_model.visualize_topics_per_class(per_class),
        "documents": topic_model.visualize_documents(docs, embeddings=embeddings),
    }
    for name, figure in figures.items():
        figure.write_html(Path(out) / f"{name}.html")
    timer.lap("figures")
    for name, figure in figures.items():
        figure.write_image(Path(out) / f"{name}.png")
    timer.lap("static")
    return {
        "papers": len(papers),
        "topics": len(set(topics)) - (-1 in topics),
        "stages": timer.stages,
        "peak_mb": round(_peak_mb()),
        "child_mb": round(_peak_mb(resource.RUSAGE_CHILDREN)),
    }


def child_throughput(paths: list[str], out: str) -> dict:
    """Encoding alone, after a warm-up, in one process: sentence-transformers' default ``encode`` (fp32, batches of
    32) against :class:`Embedder` without its cache, alternated twice; and the cosine between their vectors."""
    from analysis.digests import load_digests
    from analysis.embeddings import Embedder, paper_texts

    texts = paper_texts(load_digests(*paths))[:THROUGHPUT_TEXTS]
    start = time.perf_counter()
    embedder = Embedder(cache=False)  # what a run uses: int8 where OpenVINO runs; built here, once per machine
    embedder.load_model()
    build = time.perf_counter() - start
    model = Embedder(precision="fp32", cache=False).load_model()  # sentence-transformers' model, fp32
    model.encode(texts[:32])
    embedder.embed(texts[:32])
    seconds = {"sentence-transformers": 0.0, "ours": 0.0}
    for _ in range(2):
        start = time.perf_counter()
        reference = model.encode(texts)
        seconds["sentence-transformers"] += time.perf_counter() - start
        start = time.perf_counter()
        ours = embedder.embed(texts)
        seconds["ours"] += time.perf_counter() - start
    return {
        "texts": len(texts),
        "precision": embedder.precision,
        "build_seconds": round(build, 1),
        "seconds": {k: round(v / 2, 2) for k, v in seconds.items()},
        "cosine": round(_mean_cosine(ours, reference), 6),
    }


# --------------------------------------------------------------------------------------------- the driver
def _materialise(case: str, workdir: Path) -> list[str]:
    source, rows = CASES[case]
    if rows is None and case != "arxiv37k":
        return [str(source)]
    target = workdir / f"{case}.jsonl"
    with gzip.open(source, "rt") as src, target.open("w") as dst:
        for index, line in enumerate(src):
            if rows is not None and index >= rows:
                break
            dst.write(line)
    return [str(target)]


# Kernels capped at AVX2 on a newer CPU, for a machine without AVX-512 at hand: oneDNN (PyTorch's and the one
# inside OpenVINO), MKL and PyTorch's own. OpenVINO's own kernels ignore the cap in release builds (about 16 of
# the model's 80 JIT kernels stay AVX-512), so this emulation is partial.
ISA_CAPS = {
    "native": {},
    "avx2": {"ONEDNN_MAX_CPU_ISA": "AVX2", "MKL_ENABLE_INSTRUCTIONS": "AVX2", "ATEN_CPU_CAPABILITY": "avx2"},
}
_ISA = "native"


def _spawn(kind: str, paths: list[str], cache: Path, out: Path) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    # One int8 build for every case, made by the first child (the throughput one): a user builds it once per
    # machine, so a cold run of a new corpus does not pay for it.
    cache.mkdir(parents=True, exist_ok=True)
    if not (cache / "models").exists():
        (cache.parent / "models").mkdir(exist_ok=True)
        (cache / "models").symlink_to(cache.parent / "models")
    env = {**os.environ, "ANALYSIS_CACHE_DIR": str(cache), **ISA_CAPS[_ISA]}
    wall = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--child-out", str(out), *paths],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
    )
    if proc.returncode != 0:
        raise SystemExit(f"{kind} failed on {paths}:\n{proc.stderr[-3000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["total"] = round(time.perf_counter() - wall, 2)
    return result


def _mean_cosine(a: np.ndarray, b: np.ndarray) -> float:
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return float(np.einsum("ij,ij->i", a, b).mean())


def bench_case(case: str, workdir: Path, baseline: bool) -> dict:
    paths = _materialise(case, workdir)
    cache = workdir / f"cache-{case}"
    results = {
        "cold": _spawn("ours", paths, cache, workdir / f"{case}-cold"),
        "warm": _spawn("ours", paths, cache, workdir / f"{case}-warm"),
    }
    if baseline:
        results["baseline"] = _spawn("baseline", paths, workdir / "no-cache", workdir / f"{case}-baseline")
        ours, theirs = (np.load(workdir / f"{case}-{run}" / "embeddings.npy") for run in ("cold", "baseline"))
        results["cold"]["embed_cosine"] = round(_mean_cosine(ours, theirs), 6)
    return results


THROUGHPUT_TEXTS = 1000
TRENDS_BEGIN = "<!-- trends: written by bench/trends.py -->"
STAGES = ["import", "load", "embed", "fit", "trends", "overlap", "map", "figures", "static", "write"]


def _table(all_results: dict) -> str:
    head = "| case | run | papers | topics | " + " | ".join(STAGES)
    head += " | total s | s / 1k papers | peak MB | child MB |"
    lines = [head, "|" + "---|" * 4 + "---:|" * (len(STAGES) + 4)]
    for case, runs in sorted(all_results.items(), key=lambda item: item[1]["cold"]["papers"]):
        for run, r in runs.items():
            cells = [str(r["stages"].get(s, "")) for s in STAGES]
            per_k = r["total"] / r["papers"] * 1000
            lines.append(
                f"| {case} | {run} | {r['papers']} | {r['topics']} | "
                + " | ".join(cells)
                + f" | {r['total']} | {per_k:.1f} | {r['peak_mb']} | {r.get('child_mb', '')} |"
            )
    return "\n".join(lines)


def _ratios(all_results: dict) -> str:
    lines = []
    for case, runs in all_results.items():
        if "baseline" in runs:
            base = runs["baseline"]["total"]
            lines.append(
                f"- {case}: cold {runs['cold']['total'] / base:.2f}x, warm {runs['warm']['total'] / base:.2f}x "
                f"the baseline's {base:.1f} s (targets, issue 14: cold <= 0.4x, warm <= 0.2x); our embeddings' mean "
                f"cosine to the baseline's: {runs['cold']['embed_cosine']:.6f}"
            )
    return "\n".join(lines)


def _scaling_figure(all_results: dict, path: Path) -> None:
    from plotly.subplots import make_subplots

    from analysis.export import write_static
    from analysis.figures.theme import finish

    figure = make_subplots(rows=1, cols=2, subplot_titles=["time (s)", "peak memory (MB)"])
    colours = {"cold": "#1f77b4", "warm": "#2ca02c", "baseline": "#ff7f0e"}
    for run in ("cold", "warm", "baseline"):
        points = sorted(
            (r[run]["papers"], r[run]["total"], r[run]["peak_mb"]) for r in all_results.values() if run in r
        )
        if points:
            n, t, m = zip(*points, strict=True)
            style = {"mode": "markers", "marker": {"color": colours[run], "size": 9}, "legendgroup": run}
            figure.add_scatter(x=n, y=t, name=run, row=1, col=1, **style)
            figure.add_scatter(x=n, y=m, name=run, row=1, col=2, showlegend=False, **style)
    figure.update_xaxes(type="log", title="papers")
    finish(figure, "Time and memory against corpus size", "end to end, one process per run", height=480)
    figure.update_layout(legend={"y": -0.25})
    write_static({path.stem: figure}, path.parent)
    for extra in path.parent.glob(f"{path.stem}.svg"):
        extra.unlink()


CHILDREN = {"ours": child_ours, "baseline": child_baseline, "throughput": child_throughput}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="the seeds only, quick (CI)")
    parser.add_argument("--cases", nargs="+", choices=list(CASES), help="which corpora (default: all)")
    parser.add_argument(
        "--no-baseline",
        nargs="*",
        metavar="CASE",
        help="skip the BERTopic-defaults pipeline (for the given cases, or for all when none is given)",
    )
    parser.add_argument("--out", help="results file (default bench/RESULTS.md; with --smoke, none: printed only)")
    parser.add_argument(
        "--isa", choices=list(ISA_CAPS), default="native", help="cap the kernels at AVX2 (partial emulation)"
    )
    parser.add_argument("--throughput-only", action="store_true", help="embedding throughput alone, no runs")
    parser.add_argument("--child", choices=list(CHILDREN), help=argparse.SUPPRESS)
    parser.add_argument("--child-out", help=argparse.SUPPRESS)
    parser.add_argument("paths", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        result = CHILDREN[args.child](args.paths, args.child_out)
        print(json.dumps(result))
        return 0
    global _ISA
    _ISA = args.isa
    cases = ["seeds"] if args.smoke else (args.cases or list(CASES))
    missing = [c for c in cases if not CASES[c][0].exists()]
    if missing:
        raise SystemExit(f"missing corpora for {missing} in {SHARED}: see bench/README.md, Getting the corpora")
    skip = set(cases) if args.no_baseline == [] else set(args.no_baseline or ())
    command = "python bench/run.py " + " ".join(argv if argv is not None else sys.argv[1:])
    out = Path(args.out) if args.out else None if args.smoke else ROOT / "bench" / "RESULTS.md"
    all_results = {}
    # bench/trends.py's section of the same file survives a rerun of this script
    previous = out.read_text() if out is not None and out.exists() else ""
    kept = "\n" + previous[previous.index(TRENDS_BEGIN) :] if TRENDS_BEGIN in previous else ""
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        first = "arxiv1k" if "arxiv1k" in cases else cases[0]
        print(f"embedding throughput on {first} ...", flush=True)
        speed = _spawn("throughput", _materialise(first, Path(tmp)), Path(tmp) / "no-cache", Path(tmp) / "speed")
        speed["case"] = first
        for case in [] if args.throughput_only else cases:
            print(f"benchmarking {case} ...", flush=True)
            all_results[case] = bench_case(case, Path(tmp), baseline=case not in skip)
            report = _report(all_results, speed, command, done=case == cases[-1])
            if out is not None:  # after every case: a long run that dies keeps what it measured
                out.write_text(report + "\n" + kept)
        if args.throughput_only:
            report = _report(all_results, speed, command, done=True)
            if out is not None:
                out.write_text(report + "\n" + kept)
    print(report)
    if not args.smoke and all_results:
        _scaling_figure(all_results, out.parent / "scaling.png")  # out is set: only --smoke runs without one
    return 0


def _report(all_results: dict, speed: dict, command: str, done: bool) -> str:
    st, ours = speed["seconds"]["sentence-transformers"], speed["seconds"]["ours"]
    throughput = (
        f"Embedding alone ({speed['texts']} texts of {speed['case']}, one process, after a warm-up): "
        f"sentence-transformers' default `encode` {st} s, ours ({speed['precision']}) {ours} s: "
        f"**{st / ours:.2f}x** the throughput, mean cosine {speed['cosine']:.6f} to the default's vectors. "
        f"Loading ours took {speed['build_seconds']} s, building the int8 model included (once per machine; "
        "the cold runs above reuse that build)."
    )
    return "\n\n".join(
        [
            "# Benchmark results" + ("" if done else " (partial: the run is still going or stopped early)"),
            f"Date: {dt.date.today()}. Machine: {_machine()}"
            + ("" if _ISA == "native" else f", kernels capped at {_ISA.upper()} ({', '.join(ISA_CAPS[_ISA])})")
            + f". Command: `{command.strip()}`.",
            "Seconds per stage, as `analysis.pipeline.run` times them; `total` is the wall time of the whole "
            "process; peak MB is its maximum RSS. child MB is the largest child's maximum RSS (the browser of the "
            "static export); a child forked from this process counts the pages it shares with it at the fork, so "
            "it is not memory on top of peak MB.",
            _table(all_results),
            "Ratios to the BERTopic-defaults pipeline:\n\n" + (_ratios(all_results) or "- (baseline not run)"),
            throughput,
        ]
    )


def _machine() -> str:
    try:
        model = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        model = platform.processor() or "unknown CPU"
    return (
        f"{model} ({platform.machine()}), {os.cpu_count()} cores, "
        f"{platform.python_implementation()} {platform.python_version()}"
    )


if __name__ == "__main__":
    sys.exit(main())
