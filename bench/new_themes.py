"""New themes on held-out real data: a planted new subject found, a month without one left alone.

Two corpora of ``../shared/corpora`` (``BENCH_CORPORA`` overrides the folder), embedded with the bundled model:

* **arXiv, planted category.** Saved papers: 1,000 drawn from seven primary categories. A month with a new
  subject: 450 more from those seven plus 50 (10%) from the eighth. The same month without it (500 from the
  seven), and one where the subject is too small (6 papers).
* **Daily Papers, real months.** Saved papers: 8 weeks of the real daily digests; the next 4 weeks as they
  were (a null month with the field's real drift), and the same 4 weeks with a subject held out of the 8 saved
  weeks (papers matching a pattern, none of them saved) added from across the year as 10% of the month: three
  subjects, robotics, speech and audio, 3D reconstruction.

For each case and seed: the themes called, and for planted cases their purity (the share of a theme's new
papers that are the subject's) and coverage (the share of the subject's papers inside called themes).

    python bench/new_themes.py [--seeds 0 1 2 3 4]      # writes its section of bench/RESULTS.md
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd
from trends import _cpu, write_section

ROOT = Path(__file__).resolve().parents[1]
CORPORA = Path(os.environ.get("BENCH_CORPORA", ROOT.parent / "shared" / "corpora"))
BEGIN, END = "<!-- new themes: written by bench/new_themes.py -->", "<!-- /new themes -->"
SUBJECTS = {  # held out of the saved weeks, by a pattern of their titles and abstracts
    "robotics": r"(?i)\b(?:robot|robotic|robots|embodied)\b",
    "speech and audio": r"(?i)\b(?:speech|audio|music|sound|spoken|voice)\b",
    "3D reconstruction": r"(?i)(?:gaussian splatting|3dgs|nerf|3d reconstruction|3d scene)",
}


def _embed(frame: pd.DataFrame) -> np.ndarray:
    from analysis.embeddings import Embedder

    return Embedder().embed_papers(frame)


def _score(name, seed, vectors, is_new, planted, n_topics) -> dict:
    from analysis.levels import kmeans, unit_rows
    from analysis.new_themes import find_new_themes

    # the saved topics, as an update places papers on them: k-means of the saved papers, the new ones placed by
    # their nearest centre (the saved-topic rule needs them)
    points = unit_rows(np.asarray(vectors, dtype=np.float32))
    topics = kmeans(n_topics, seed, 4).fit(points[~is_new]).predict(points)
    found = find_new_themes(vectors, is_new, n_topics=n_topics, seed=seed, topics=topics)
    without = find_new_themes(vectors, is_new, n_topics=n_topics, seed=seed)
    theme_new = (found.theme >= 0) & is_new
    row = {
        "case": name,
        "seed": seed,
        "new papers": int(is_new.sum()),
        "themes": len(found.table),
        "without the saved-topic rule": len(without.table),
    }
    if planted is not None and planted.any():
        row["purity"] = round(float(planted[theme_new].mean()), 3) if theme_new.any() else float("nan")
        row["coverage"] = round(float((theme_new & planted).sum() / planted.sum()), 3)
    row["q (best)"] = f"{found.table['q_value'].min():.1e}" if len(found.table) else ""
    row["sizes"] = " ".join(map(str, found.table["size"]))
    return row


def arxiv_cases(seeds) -> list[dict]:
    papers = pd.read_json(CORPORA / "arxiv_cs_2025_balanced.jsonl.gz", lines=True)
    papers = papers[papers["primary_category"] != "cs.AI"]  # the catch-all category
    # a pool of up to 250 papers per category, embedded once; each seed draws its cases from it
    papers = papers.groupby("primary_category").head(250).reset_index(drop=True)
    papers["title"], papers["abstract"] = papers["title"].str.strip(), papers["abstract"].str.strip()
    vectors = _embed(papers)
    categories = sorted(papers["primary_category"].unique())
    rows = []
    for seed in seeds:
        new_category = categories[seed % len(categories)]
        rng = np.random.default_rng(seed)
        old = rng.permutation(np.flatnonzero(papers["primary_category"] != new_category))
        subject = rng.permutation(np.flatnonzero(papers["primary_category"] == new_category))
        saved, month = old[:1000], old[1000:1450]
        cases = {
            f"arXiv: +10% {new_category}": np.r_[month, subject[:50]],
            "arXiv: no new subject": old[1000:1500],
            f"arXiv: 6 papers of {new_category}": np.r_[month, subject[:6]],
        }
        for name, new in cases.items():
            is_new = np.r_[np.zeros(len(saved), bool), np.ones(len(new), bool)]
            planted = np.r_[np.zeros(len(saved), bool), papers["primary_category"].to_numpy()[new] == new_category]
            rows.append(_score(name, seed, vectors[np.r_[saved, new]], is_new, planted, n_topics=14))
    return rows


def daily_papers_cases(seeds, subjects: dict[str, str]) -> list[dict]:
    papers = pd.read_json(CORPORA / "hf_daily_papers_2024-05_2025-06.jsonl.gz", lines=True)
    papers["title"], papers["abstract"] = papers["title"].str.strip(), papers["abstract"].str.strip()
    papers["digest_date"] = pd.to_datetime(papers["digest_date"])
    papers = papers.sort_values("digest_date", kind="stable").reset_index(drop=True)
    vectors = _embed(papers)
    dates = papers["digest_date"]
    starts = pd.date_range("2024-07-01", "2025-03-01", periods=len(seeds))
    rows = []
    for seed, start in zip(seeds, starts, strict=True):
        in_saved = ((dates >= start) & (dates < start + pd.Timedelta(weeks=8))).to_numpy()
        in_month = ((dates >= start + pd.Timedelta(weeks=8)) & (dates < start + pd.Timedelta(weeks=12))).to_numpy()
        label = f"{start:%Y-%m-%d} +8 weeks"
        saved, new = np.flatnonzero(in_saved), np.flatnonzero(in_month)
        is_new = np.r_[np.zeros(len(saved), bool), np.ones(len(new), bool)]
        n_topics = max(2, len(saved) // 40)
        rows.append(
            _score(f"Daily Papers {label}: real next 4 weeks", seed, vectors[np.r_[saved, new]], is_new, None, n_topics)
        )
        for subject, pattern in subjects.items():
            matches = (papers["title"].str.contains(pattern) | papers["abstract"].str.contains(pattern)).to_numpy()
            saved, month = np.flatnonzero(in_saved & ~matches), np.flatnonzero(in_month & ~matches)
            held_out = np.random.default_rng(seed).permutation(np.flatnonzero(matches & ~in_saved & ~in_month))
            subject_rows = held_out[: round(len(month) / 9)]  # 10% of the month with it
            new = np.r_[month, subject_rows]
            is_new = np.r_[np.zeros(len(saved), bool), np.ones(len(new), bool)]
            planted = np.r_[np.zeros(len(saved), bool), np.isin(new, subject_rows)]
            rows.append(
                _score(
                    f"Daily Papers {label}: + held-out {subject}",
                    seed,
                    vectors[np.r_[saved, new]],
                    is_new,
                    planted,
                    max(2, len(saved) // 40),
                )
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", nargs="*", type=int, default=[0, 1, 2, 3, 4])
    parser.add_argument("--out", default=str(ROOT / "bench" / "RESULTS.md"), help="results file")
    args = parser.parse_args()
    table = pd.DataFrame(arxiv_cases(args.seeds) + daily_papers_cases(args.seeds, SUBJECTS))
    kind = table["case"].str.replace(r"^Daily Papers [^:]+: ", "Daily Papers: ", regex=True)
    kind = kind.str.replace(r"^arXiv: \+10% .*", "arXiv: +10% of a new category", regex=True)
    kind = kind.str.replace(r"^arXiv: 6 papers of .*", "arXiv: 6 papers of a new category", regex=True)
    summary = (
        table.assign(kind=kind, called=table["themes"] > 0)
        .groupby("kind", sort=False)
        .agg(
            cases=("seed", "size"),
            cases_with_a_theme=("called", "sum"),
            themes=("themes", "sum"),
            purity=("purity", "mean"),
            coverage=("coverage", "mean"),
        )
    )
    from analysis.new_themes import MIN_NEW_PAPERS, MIN_RATE_RATIO

    section = f"""{BEGIN}
## New themes on held-out real data

Date: {time.strftime("%Y-%m-%d")}. CPU: {_cpu()}. Command: `python bench/new_themes.py`.
The test of `analysis.new_themes` as shipped (q < 0.05, at least {MIN_NEW_PAPERS} new papers, at least
{MIN_RATE_RATIO:g}x the share before). Purity: the share of the themes' new papers that are the planted subject's;
coverage: the share of the planted papers inside a theme (means over the cases with a planted subject).

{summary.round(2).to_markdown()}

<details><summary>Every case</summary>

{table.to_markdown(index=False)}

</details>
{END}"""
    write_section(Path(args.out), section, BEGIN, END)
    print(section)


if __name__ == "__main__":
    main()
