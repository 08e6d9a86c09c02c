"""A month added to a saved year, against refitting the whole year with it: both end to end.

The saved review is ``examples/`` (1,200 Daily Papers, June 2024 - May 2025), fitted once beforehand as a
reviewer has it (its vectors in the embedding cache). The month is June 2025 from the Daily Papers corpus of
``../shared/corpora`` (``BENCH_CORPORA``), 100 papers drawn as ``examples/`` draws 100 a month. Each run is
:func:`analysis.pipeline.run` (what the command line calls) in a fresh process with its own copy of that cache (so
each embeds the month's papers once), timed from the interpreter's start, with the seconds of each stage:

* update: ``run MONTH --model review/model --out update/`` (placement, history, new themes, trends, figures,
  PNG/SVG, report);
* refit: ``run examples/ MONTH --out refit/`` (the same, fitting topics on all 1,300 papers).

Writes the section between the ``update`` markers of ``bench/RESULTS.md`` (``--out``) and the update's
topics-over-time figure to ``figures/living_review.png`` (the README's).

    python bench/update.py
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
from trends import _cpu, write_section

ROOT = Path(__file__).resolve().parents[1]
CORPORA = Path(os.environ.get("BENCH_CORPORA", ROOT.parent / "shared" / "corpora"))
BEGIN, END = "<!-- update: written by bench/update.py -->", "<!-- /update -->"


def _month(folder: Path) -> Path:
    papers = pd.read_json(CORPORA / "hf_daily_papers_2024-05_2025-06.jsonl.gz", lines=True, dtype={"arxiv_id": str})
    june = papers[papers["digest_date"].astype(str).str.startswith("2025-06")].sample(100, random_state=0)
    june = june.assign(digest=june["digest_date"].astype(str).str[:10]).sort_values(["digest", "arxiv_id"])
    path = folder / "month" / "daily_papers_2025-06.csv"
    path.parent.mkdir()
    june[["digest", "digest_date", "arxiv_id", "title", "abstract", "upvotes"]].to_csv(path, index=False)
    return path


# the run in a fresh process: its log on stdout, then its stage seconds (import first) as the last line
RUN = """import json, sys, time
start = time.perf_counter()
from analysis.pipeline import run
imported = time.perf_counter() - start
result = run(sys.argv[1:-2], sys.argv[-1], model_dir=None if sys.argv[-2] == "-" else sys.argv[-2])
print(json.dumps({"import": round(imported, 2), **result.timings}))
from analysis.__main__ import finish
finish()  # as the command line ends
"""


def _run(inputs: list, model: Path | None, out: Path, cache: Path) -> tuple[float, dict, str]:
    env = {**os.environ, "ANALYSIS_CACHE_DIR": str(cache)}
    args = [*map(str, inputs), str(model or "-"), str(out)]
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", RUN, *args], env=env, capture_output=True, text=True, cwd=ROOT)
    seconds = time.perf_counter() - start
    if done.returncode:
        raise SystemExit(done.stderr[-3000:])
    *said, stages = done.stdout.strip().splitlines()
    return seconds, json.loads(stages), "\n".join(said)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "bench" / "RESULTS.md"), help="results file")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="bench-update-"))
    try:
        month = _month(folder)
        cache = folder / "cache"
        _run([ROOT / "examples"], None, folder / "review", cache)  # the saved review, as the reviewer has it
        for name in ("update", "refit"):
            shutil.copytree(cache, folder / f"cache-{name}")
        model = folder / "review" / "model"
        update, update_stages, said = _run([month], model, folder / "update", folder / "cache-update")
        refit, refit_stages, _ = _run([ROOT / "examples", month], None, folder / "refit", folder / "cache-refit")
        themes = pd.read_csv(folder / "update" / "new_themes.csv")
        shutil.copyfile(folder / "update" / "figures" / "topics_over_time.png", ROOT / "figures" / "living_review.png")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    lines = "\n".join(f"    {line}" for line in said.strip().splitlines())
    stages = pd.DataFrame({"update": update_stages, "refit": refit_stages}).fillna(0.0)
    stages.loc["interpreter start and exit"] = [update, refit] - stages.sum()
    stages.loc["**end to end**"] = [update, refit]
    stages.index.name = "stage (seconds)"
    rest = [update - update_stages["embed"], refit - refit_stages["embed"]]
    section = f"""{BEGIN}
## A month added to a saved year

Date: {time.strftime("%Y-%m-%d")}. CPU: {_cpu()}, {len(os.sched_getaffinity(0))} cores.
Command: `python bench/update.py`.
The saved review: `examples/` (1,200 papers, 2024-06 - 2025-05, its vectors cached); the month: 100 Daily Papers of
June 2025, embedded by each run. Both runs end to end in a fresh process (PNG and SVG included).

| run | seconds |
|---|---:|
| update: `run MONTH --model review/model` (1,300 papers reported, {len(themes)} new themes) | {update:.1f} |
| refit: `run examples/ MONTH` | {refit:.1f} |
| **update / refit** | **{update / refit:.2f}x** |
| without the month's embedding (the same papers, the same model, in both) | {rest[0] / rest[1]:.2f}x |

By stage (`RunResult.timings`; `embed` loads the embedding model and embeds the month's 100 papers, alike in both
runs; `place` is the update stage (placement, the new-theme test, the map extended), `fit` the topic fit and `map` its
map; `static` the PNG and SVG):

{stages.round(2).to_markdown()}

What the update said:

{lines}
{END}"""
    write_section(Path(args.out), section, BEGIN, END)
    print(section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
