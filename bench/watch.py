"""The watch list (issue 40), calibrated: how often a steady theme is listed, and how early a rising one is.

Three sets, each reviewed month by month as a living review grows:

* **planted steady**: 8 topics with constant shares, months of 60 to 600 papers, over-dispersed between months
  (the shares drawn from a Dirichlet around the planned ones, as ``tests/test_trends.py``); 200 reviews each of
  6, 12 and 18 months: the share of steady topics listed, by each test and by either;
* **planted rising**: the same with one topic rising from 3% to 15% over 18 months (and one falling): reviewed
  at 4, 5, ... 18 months, the month it is first on the watch list against the month it is first called rising
  (60 reviews), for the slope test alone, the last-period test alone, and either (the watch list);
* **planted jump**: the same 8 topics for 12 months, one at 6% for 11 months and 2.5 times that in the last
  (200 reviews): how often the trend test, the slope test and the last-period test each catch the jump;
* **real**: the year of Daily Papers in ``examples/`` (1,200 papers, 12 months), fitted once at fp32 (the same
  topics on every CPU), reviewed at 4, 5, ... 12 months: how many steady topics each month lists, and for the
  topics called a trend by month 12, how many months earlier the watch list had them.

Writes the section between the ``watch`` markers of ``bench/RESULTS.md`` (``--out``).

    python bench/watch.py
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import pandas as pd
from trends import _cpu, write_section

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
BEGIN, END = "<!-- watch: written by bench/watch.py -->", "<!-- /watch -->"


def _planted(seed: int, n_months: int, planted: bool) -> pd.DataFrame:
    from test_trends import _planted as planted_papers

    from analysis.trends import assign_periods

    return assign_periods(planted_papers(seed, n_months=n_months, planted=planted))


def steady_rates(n_reviews: int) -> pd.DataFrame:
    from analysis.trends import WATCH_P, topic_trends

    rows = []
    for months in (6, 12, 18):
        tables = [topic_trends(_planted(seed, months, False)).table for seed in range(n_reviews)]
        steady = pd.concat(tables).query("trend == 'steady'")
        rows.append(
            {
                "months": months,
                "steady topics": len(steady),
                "slope p < 0.05": (steady["p_value"] < WATCH_P).mean(),
                "last period p < 0.05": (steady["p_last"] < WATCH_P).mean(),
                "watch list (either)": steady["watch"].mean(),
                "called a trend (of all)": sum((t["trend"] != "steady").sum() for t in tables) / (8 * n_reviews),
            }
        )
    return pd.DataFrame(rows)


def jump_rates(n_reviews: int) -> pd.DataFrame:
    """The last month jumps: how often each rule catches it."""
    import numpy as np
    from test_trends import STEADY

    from analysis.trends import WATCH_P, assign_periods, topic_trends

    hits = []
    for seed in range(n_reviews):
        rng, rows = np.random.default_rng(seed), []
        for i, month in enumerate(pd.date_range("2024-11-01", periods=12, freq="MS")):
            share = 0.06 * (2.5 if i == 11 else 1)
            shares = rng.dirichlet(np.array([*STEADY, share, 0.20 - share]) * 300.0)
            day = month + pd.Timedelta(days=3)
            for topic, count in enumerate(rng.multinomial(rng.choice([60, 150, 300, 600]), shares)):
                rows += [{"digest": f"{day:%Y-%m-%d}", "digest_date": day, "topic": topic}] * int(count)
        papers = pd.DataFrame(rows).assign(topic_label=lambda f: "Topic " + f["topic"].astype(str))
        row = topic_trends(assign_periods(papers)).table.set_index("topic").loc[6]
        steady = row["trend"] == "steady"
        hits.append(
            {
                "called a trend": not steady,
                "slope p < 0.05": steady and row["p_value"] < WATCH_P,
                "last period p < 0.05": steady and row["p_last"] < WATCH_P,
                "watch list (either)": bool(row["watch"]),
            }
        )
    return pd.DataFrame(hits).mean().rename("share of reviews").to_frame()


def _first_months(trend_tables: list[tuple[int, pd.DataFrame]], topic) -> dict:
    """For one topic over a growing review: the first month each rule lists it, and the first it is a trend."""
    from analysis.trends import WATCH_P

    first = dict.fromkeys(["slope", "last", "watch", "trend"])
    for n, table in trend_tables:
        row = table.set_index("topic").loc[topic]
        steady = row["trend"] == "steady"
        hits = {
            "slope": steady and row["p_value"] < WATCH_P,
            "last": steady and row["p_last"] < WATCH_P,
            "watch": bool(row["watch"]),
            "trend": not steady,
        }
        for key, hit in hits.items():
            if first[key] is None and hit:
                first[key] = n
    return first


def _growing(papers: pd.DataFrame, start: int = 4) -> list[tuple[int, pd.DataFrame]]:
    from analysis.trends import topic_trends

    months = sorted(p for p in papers["period"].unique() if p)
    return [(n, topic_trends(papers[papers["period"].isin(months[:n])]).table) for n in range(start, len(months) + 1)]


def rising_leads(n_reviews: int) -> tuple[pd.DataFrame, int]:
    rows = []
    for seed in range(n_reviews):
        first = _first_months(_growing(_planted(seed, 18, True)), 6)
        rows.append(first)
    table = pd.DataFrame(rows)
    called = table["trend"].notna()
    out = []
    for rule in ("slope", "last", "watch"):
        ahead = table.loc[called, rule] < table.loc[called, "trend"]
        lead = (table.loc[called, "trend"] - table.loc[called, rule]).where(ahead)
        out.append(
            {
                "rule": {"slope": "slope p < 0.05", "last": "last period p < 0.05", "watch": "watch list (either)"}[
                    rule
                ],
                "listed before it is called": f"{ahead.mean():.0%}",
                "months ahead (median, where ahead)": lead.median(),
                "months ahead (mean over all; 0 where not ahead)": lead.fillna(0).mean(),
            }
        )
    return pd.DataFrame(out), int(called.sum())


def real_review() -> tuple[pd.DataFrame, pd.DataFrame]:
    from analysis.digests import load_digests
    from analysis.embeddings import Embedder
    from analysis.topics import fit_topics
    from analysis.trends import assign_periods

    papers = load_digests(ROOT / "examples")
    result = fit_topics(papers, seed=42, embedder=Embedder(precision="fp32"))
    dated = assign_periods(result.papers, "month")
    tables = _growing(dated)
    monthly = pd.DataFrame(
        [
            {
                "months reviewed": n,
                "topics": len(t),
                "trends": int((t["trend"] != "steady").sum()),
                "on the watch list": int(t["watch"].sum()),
                "expected by chance (about 10% of the steady)": round(0.0975 * (t["trend"] == "steady").sum(), 1),
            }
            for n, t in tables
        ]
    )
    final = tables[-1][1]
    called = final.loc[final["trend"] != "steady", ["topic", "label", "trend"]]
    rows = []
    for topic, label, trend in called.itertuples(index=False):
        first = _first_months(tables, topic)
        rows.append(
            {
                "topic": label,
                "trend at 12 months": trend,
                "first called": first["trend"],
                "first on the watch list": first["watch"],
            }
        )
    return monthly, pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "bench" / "RESULTS.md"), help="results file")
    parser.add_argument("--reviews", type=int, default=200, help="planted steady reviews per length")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    steady = steady_rates(args.reviews)
    rising, n_called = rising_leads(max(10, args.reviews // 4))
    jump = jump_rates(args.reviews)
    monthly, called = real_review()
    seconds = time.perf_counter() - start
    section = f"""{BEGIN}
## The watch list, calibrated (issue 40)

Date: {time.strftime("%Y-%m-%d")}. CPU: {_cpu()}, {len(os.sched_getaffinity(0))} cores; {seconds:.0f} s.
Command: `python bench/watch.py`. The watch list: steady topics with the trend GLM's slope p < 0.05 or the last
period's p < 0.05 against the trend of the periods before it (both unadjusted; `analysis.trends.WATCH_RULES`).

**Planted steady reviews** ({args.reviews} per length, 8 topics, months of 60-600 papers, shares over-dispersed
between months): the share of steady topics listed. The rules state about 10% (two tests at 5%).

{steady.round(3).to_markdown(index=False)}

**A planted rising topic** (3% to 15% over 18 months), reviewed at 4, 5, ... 18 months: called rising in
{n_called} of {max(10, args.reviews // 4)} reviews; how often, and how many months, each rule listed it before.

{rising.round(2).to_markdown(index=False)}

**A planted jump** (one topic at 6% for 11 months, 15% in the 12th; {args.reviews} reviews): the trend test is
built for change over the span and misses it; the last-period test is there for this.

{jump.round(3).to_markdown()}

**The real year** (`examples/`, fp32 topics), reviewed at 4, 5, ... 12 months:

{monthly.to_markdown(index=False)}

The topics called a trend at 12 months, and when the watch list first had them:

{called.to_markdown(index=False) if len(called) else "(none)"}
{END}"""
    write_section(Path(args.out), section, BEGIN, END)
    print(section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
