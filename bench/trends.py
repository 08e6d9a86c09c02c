"""The cost of the trend step at scale: 300 daily digests, 6,000 papers, next to embedding them.

Times, on topic assignments drawn for 300 daily digests of 20 papers (the trend step never looks at text):
periods, the trend tests, the overlap tables by period, every figure, and the report; then embeds 300 real
abstracts from ``examples/`` (no cache) to put the step next to the cost of embedding 6,000 papers on the
same machine. Writes the section between the ``trends`` markers of ``bench/RESULTS.md`` (``--out``).

    python bench/trends.py
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
BEGIN, END = "<!-- trends: written by bench/trends.py -->", "<!-- /trends -->"


def year_of_digests(n_digests: int = 300, per_digest: int = 20, n_topics: int = 20, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    days = pd.bdate_range("2025-01-06", periods=n_digests)
    base = rng.dirichlet(np.full(n_topics, 5.0))
    rows = []
    for i, day in enumerate(days):
        shares = base.copy()
        shares[0] *= 1 + 3 * i / n_digests
        for j, topic in enumerate(rng.choice(n_topics, size=per_digest, p=shares / shares.sum())):
            rows.append(
                (day.strftime("%Y-%m-%d"), day, j + 1, f"{i}-{j}", f"Paper {i}-{j} on theme {topic}", int(topic))
            )
    papers = pd.DataFrame(rows, columns=["digest", "digest_date", "position", "paper_id", "title", "topic"])
    return papers.assign(abstract="", n_digests=1, topic_label="Theme " + papers["topic"].astype(str))


def write_section(out: Path, section: str, begin: str, end: str) -> None:
    """Put ``section`` (which starts with ``begin`` and ends with ``end``) into the results file ``out``: in place
    of the one between the same markers, else at the end. Shared by the benchmarks that write a section."""
    text = out.read_text() if out.exists() else "# Benchmark results\n"
    if begin in text:
        text = text[: text.index(begin)] + section + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    out.write_text(text)


def _cpu() -> str:
    text = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    model = re.search(r"model name\s*:\s*(.+)", text)
    flags = set(re.search(r"flags\s*:\s*(.+)", text).group(1).split()) if "flags" in text else set()
    simd = [f for f in ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile", "amx_bf16") if f in flags]
    return f"{model.group(1) if model else platform.processor()} ({', '.join(simd) or 'no AVX2'})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "bench" / "RESULTS.md"), help="results file")
    args = parser.parse_args(argv)

    from analysis.digests import load_digests
    from analysis.embeddings import Embedder
    from analysis.figure_set import build_figures
    from analysis.overlap import choose_unit, overlap_tables
    from analysis.pipeline import Stopwatch, periods_and_trends
    from analysis.report import render_report

    papers = year_of_digests()
    n_topics = papers["topic"].nunique()
    rng = np.random.default_rng(0)
    topics = pd.DataFrame(
        {"topic": range(n_topics), "label": [f"Theme {t}" for t in range(n_topics)], "size": 0, "top_terms": ""}
    ).assign(representative_titles="")
    terms = pd.DataFrame(
        [(t, f"Theme {t}", "term", 1.0) for t in range(n_topics)], columns=["topic", "topic_label", "term", "weight"]
    )
    clock = Stopwatch()  # the pipeline's own stages, timed as a run times them
    dated, trends = periods_and_trends(papers, log=lambda _: None)
    clock.lap("periods and trend tests")
    overlap = overlap_tables(dated, by=choose_unit(dated))
    clock.lap("overlap by period")
    figures = build_figures(
        dated, topics, terms, rng.normal(size=(n_topics, 8)), overlap, rng.normal(size=(len(dated), 2)), trends
    )
    clock.lap("figures")
    report = render_report(dated, topics, overlap, figures, {}, trends=trends)
    clock.lap("report")
    stages = clock.seconds
    trend_step = sum(stages.values())

    sample = load_digests(ROOT / "examples").head(300)
    embedder = Embedder(cache=False)
    embedder.embed_papers(sample.head(16))  # load the model first
    start = time.perf_counter()
    embedder.embed_papers(sample.iloc[16:])
    per_paper = (time.perf_counter() - start) / (len(sample) - 16)
    embed_6k = per_paper * len(papers)

    rows = "\n".join(f"| {name} | {seconds:.2f} |" for name, seconds in stages.items())
    section = f"""{BEGIN}
## The trend step at scale

Date: {time.strftime("%Y-%m-%d")}. CPU: {_cpu()}, {len(os.sched_getaffinity(0))} cores.
Command: `python bench/trends.py`.
{len(papers):,} papers in {papers["digest"].nunique()} daily digests, {n_topics} topics: {trends.summary()};
overlap compared across {overlap.unit}s; report {len(report.encode()) / 1e6:.2f} MB.

| stage | seconds |
|---|---:|
{rows}
| **trend step, all of it** | **{trend_step:.2f}** |
| embedding the same 6,000 papers (measured on {len(sample) - 16} real abstracts, extrapolated) | {embed_6k:.0f} |

The trend step costs {100 * trend_step / embed_6k:.1f}% of embedding the same papers.
{END}"""
    write_section(Path(args.out), section, BEGIN, END)
    print(section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
