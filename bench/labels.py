"""Topic labels against the field's own words: how often a label names what its papers' keywords call them.

The Daily Papers of ``../shared/corpora`` (``BENCH_CORPORA``) carry, for the papers listed since early 2025, a
keyword list that the Daily Papers service wrote per paper (``ai_keywords``). The fit sees titles and abstracts
only. For each topic, the reference is the five keyphrases most specific to its papers that carry keywords:
ranked by ``share * log(share / share elsewhere)`` (a keyphrase's share of the topic's keyworded papers against
its share of the other keyworded papers; two papers at least). A label **matches** when, written alike (case,
hyphens and a plural ``s`` ignored), it equals one of those phrases or contains it as whole words; a keyphrase
that gives its acronym in brackets (``retrieval augmented generation (rag)``) is matched by either spelling.

The same again on windows fitted on their own (:data:`WINDOWS`): other topics, and more of their papers
keyworded (the service wrote keywords from March 2025 on).
Also the labels of the seeds (``data/``) and of the balanced arXiv set, which have no keyword reference: to read
as a reviewer would, each with three titles. For every fit, the share of labels that are noun phrases as the
bundled tagger reads them alone (:func:`analysis.noun_phrases.is_noun_phrase`), and the cost: seconds spent
labelling, against the whole fit.

    python bench/labels.py [--out bench/RESULTS.md]     # writes its section of RESULTS.md
"""

from __future__ import annotations

import argparse
import math
import os
import re
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
from trends import _cpu, write_section

ROOT = Path(__file__).resolve().parents[1]
CORPORA = Path(os.environ.get("BENCH_CORPORA", ROOT.parent / "shared" / "corpora"))
BEGIN, END = "<!-- labels: written by bench/labels.py -->", "<!-- /labels -->"
N_REFERENCE = 5
WINDOWS = {  # held-out windows fitted on their own: first day, day after the last (with the year: eight fits)
    "the papers of 2025": ("2025-01-01", "2025-07-01"),
    "March-June 2025 (keyworded)": ("2025-03-01", "2025-07-01"),
    "April-June 2025": ("2025-04-01", "2025-07-01"),
    "May-June 2025": ("2025-05-01", "2025-07-01"),
    "January-April 2025": ("2025-01-01", "2025-05-01"),
    "15 March-15 May 2025": ("2025-03-15", "2025-05-15"),
    "June 2025": ("2025-06-01", "2025-07-01"),
}


def normal(phrase: str) -> str:
    """``phrase`` written alike for matching: case-folded, hyphens as spaces, each word without a plural s."""
    words = re.sub(r"[-_/]+", " ", str(phrase).casefold()).split()
    return " ".join(w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w for w in words)


def keyword_sets(papers: pd.DataFrame) -> list[set[str]]:
    """Each paper's keywords, written alike (empty where it has none)."""
    return [
        {normal(k) for k in keywords} if isinstance(keywords, list | np.ndarray) else set()
        for keywords in papers["ai_keywords"]
    ]


def reference(keywords: list[set[str]], groups: np.ndarray) -> dict[int, list[str]]:
    """The :data:`N_REFERENCE` keyphrases most specific to each group's keyworded papers (see the docstring)."""
    has = np.array([bool(k) for k in keywords])
    groups = np.asarray(groups)
    out = {}
    for g in np.unique(groups):
        inside = (groups == g) & has
        outside = (groups != g) & has
        n_in, n_out = int(inside.sum()), int(outside.sum())
        if n_in == 0:
            out[int(g)] = []
            continue
        here = Counter(k for i in np.flatnonzero(inside) for k in keywords[i])
        there = Counter(k for i in np.flatnonzero(outside) for k in keywords[i])
        scores = {}
        for phrase, count in here.items():
            if count < 2:
                continue
            share, other = count / n_in, (there[phrase] + 0.5) / (n_out + 1)
            scores[phrase] = share * math.log(share / other)
        out[int(g)] = sorted(scores, key=lambda p: (-scores[p], p))[:N_REFERENCE]
    return out


def spellings(phrase: str) -> list[str]:
    """A keyphrase and, where it gives its acronym in brackets, each of the two: ``retrieval augmented
    generation (rag)`` is also ``retrieval augmented generation`` and ``rag``."""
    match = re.fullmatch(r"(.+?)\s*\(([^()]+)\)", phrase)
    return [phrase, normal(match.group(1)), normal(match.group(2))] if match else [phrase]


def matches(label: str, phrases: list[str]) -> bool:
    """Whether ``label`` equals one of ``phrases`` (or a spelling of it, :func:`spellings`) or contains it as
    whole words (written alike)."""
    padded = f" {normal(label)} "
    return any(f" {s} " in padded for p in phrases for s in spellings(p))


def score(labels: dict[int, str], keywords: list[set[str]], groups: np.ndarray) -> tuple[int, int, pd.DataFrame]:
    """Matched labels, labels with a reference, and the table of label / reference / match per group."""
    ref = reference(keywords, groups)
    rows = [
        {"topic": g, "label": labels[g], "papers": int((groups == g).sum()), "reference": "; ".join(ref[g]),
         "match": matches(labels[g], ref[g])}
        for g in sorted(labels) if ref.get(g)
    ]  # fmt: skip
    table = pd.DataFrame(rows)
    return int(table["match"].sum()), len(table), table


def daily_papers() -> pd.DataFrame:
    frame = pd.read_json(CORPORA / "hf_daily_papers_2024-05_2025-06.jsonl.gz", lines=True, dtype={"arxiv_id": str})
    frame["digest_date"] = frame["digest_date"].astype(str).str[:10]
    return frame.assign(digest=frame["digest_date"], paper_id=frame["arxiv_id"])


def fit(papers: pd.DataFrame):
    """The topics of ``papers`` (titles and abstracts only) and the seconds spent fitting and labelling."""
    from analysis import topics as topics_module
    from analysis.topics import fit_topics

    spent = {"labels": 0.0}
    label_levels = topics_module.label_levels

    def timed(*args, **kwargs):
        start = time.perf_counter()
        try:
            return label_levels(*args, **kwargs)
        finally:
            spent["labels"] += time.perf_counter() - start

    topics_module.label_levels = timed
    try:
        start = time.perf_counter()
        result = fit_topics(papers[["digest", "digest_date", "paper_id", "title", "abstract"]], seed=42)
        spent["fit"] = time.perf_counter() - start
    finally:
        topics_module.label_levels = label_levels
    return result, spent


def both_levels(result, keywords: list[set[str]]) -> tuple[tuple, tuple]:
    """:func:`score` of the fine labels and of the broad ones of a fit."""
    topics, broad = result.topics, result.broad
    fine = score(dict(zip(topics["topic"], topics["label"], strict=True)), keywords, result.papers["topic"])
    broad = score(dict(zip(broad["broad_topic"], broad["label"], strict=True)), keywords, result.papers["broad_topic"])
    return fine, broad


def _labels_table(result) -> str:
    fine = result.topics[["label", "size", "broad_topic_label", "representative_titles"]]
    return fine.rename(columns={"broad_topic_label": "broad topic", "representative_titles": "titles"}).to_markdown(
        index=False
    )


def noun_phrase_share(result) -> tuple[int, int]:
    """Labels of both levels that are noun phrases read alone, and labels."""
    from analysis.noun_phrases import is_noun_phrase

    labels = [*result.topics["label"], *result.broad["label"]]
    return sum(map(is_noun_phrase, labels)), len(labels)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "bench" / "RESULTS.md"), help="results file")
    args = parser.parse_args(argv)
    papers = daily_papers()
    keywords = keyword_sets(papers)
    result, spent = fit(papers)
    (fine_hits, fine_n, fine_table), (broad_hits, broad_n, broad_table) = both_levels(result, keywords)
    rows = [(f"the year ({len(papers):,})", fine_hits, fine_n, broad_hits, broad_n, *noun_phrase_share(result), spent)]
    for name, (first, end) in WINDOWS.items():
        window = papers[(papers["digest_date"] >= first) & (papers["digest_date"] < end)].reset_index(drop=True)
        fitted, cost = fit(window)
        (hits, n, _), (broad_window, n_broad, _) = both_levels(fitted, keyword_sets(window))
        rows.append((f"{name} ({len(window):,})", hits, n, broad_window, n_broad, *noun_phrase_share(fitted), cost))
    from analysis import load_digests

    others = {}
    for name, frame in {
        "seeds (`data/`)": load_digests(ROOT / "data"),
        "arXiv balanced (5,909)": pd.read_json(
            CORPORA / "arxiv_cs_2025_balanced.jsonl.gz", lines=True, dtype={"id": str}
        ).assign(digest=lambda f: f["digest_date"].astype(str).str[:10], paper_id=lambda f: f["id"]),
    }.items():
        others[name], cost = fit(frame)
        rows.append((name, 0, 0, 0, 0, *noun_phrase_share(others[name]), cost))
    fits = [row for row in rows if row[2]]
    total = ("all eight", *(sum(row[i] for row in fits) for i in range(1, 7)))
    total_np = (sum(row[5] for row in rows), sum(row[6] for row in rows))
    held_out = "\n".join(
        f"| {name} | {f} of {nf} ({f / nf:.0%}) | {b} of {nb} ({b / nb:.0%}) | {k} of {n} | "
        f"{cost['labels']:.1f} s of {cost['fit']:.1f} s |"
        for name, f, nf, b, nb, k, n, cost in fits
    )
    held_out += "\n" + "\n".join(
        f"| {name} | - | - | {k} of {n} | {cost['labels']:.1f} s of {cost['fit']:.1f} s |"
        for name, f, nf, b, nb, k, n, cost in rows
        if not nf
    )
    held_out += (
        f"\n| **{total[0]}** | {total[1]} of {total[2]} ({total[1] / total[2]:.0%}) | {total[3]} of {total[4]} "
        f"({total[3] / total[4]:.0%}) | {total_np[0]} of {total_np[1]} (all fits) | |"
    )
    section = (
        f"""{BEGIN}
## Labels in the field's words

Date: {time.strftime("%Y-%m-%d")}. CPU: {_cpu()}. Command: `python bench/labels.py`.
Daily Papers 2024-05 - 2025-06 ({len(papers):,} papers, {sum(map(bool, keywords)):,} with keywords), titles and
abstracts only. A label matches when it equals or contains one of the five keyphrases most specific to its
topic's papers (see the script's docstring).

| papers fitted | fine labels matching | broad labels matching | noun phrases | labelling, of the fit |
|---|---:|---:|---:|---:|
{held_out}

Fine topics:

{fine_table.to_markdown(index=False)}

Broad topics:

{broad_table.to_markdown(index=False)}

"""
        + "\n".join(f"Labels of the {name}:\n\n{_labels_table(r)}\n" for name, r in others.items())
        + f"\n{END}"
    )
    write_section(Path(args.out), section, BEGIN, END)
    print(section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
