"""The memory of counting terms: scikit-learn's ``CountVectorizer`` against :class:`FrequentTermsVectorizer`.

The fit counts the 1–3-grams of each topic's papers joined together and keeps those in at least two topics
(``analysis.topics``). This benchmark does that on real arXiv abstracts (``../shared/corpora``, ``BENCH_CORPORA``),
5,000 to all 37,620, joined into 30 topic documents at random (what it measures, the vocabulary, depends on the
texts, not on the topics), each vectorizer in a fresh process: its peak resident memory above what the process held
before (VmHWM reset through ``/proc/self/clear_refs``; Linux), its time, and a digest of its vocabulary and counts,
which must be equal.

    python bench/vocabulary.py [--sizes 5000 20000 37620] [--out bench/RESULTS.md]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from memory import _reset_peak, _status
from trends import _cpu, write_section

ROOT = Path(__file__).resolve().parents[1]
CORPORA = Path(os.environ.get("BENCH_CORPORA", ROOT.parent / "shared" / "corpora"))
BEGIN, END = "<!-- vocabulary: written by bench/vocabulary.py -->", "<!-- /vocabulary -->"
N_TOPICS = 30


def _child(size: int, kind: str) -> None:
    import numpy as np
    import pandas as pd
    from sklearn.feature_extraction.text import CountVectorizer

    from analysis.labels import STOP_WORDS
    from analysis.terms import TOKEN_PATTERN
    from analysis.vocabulary import FrequentTermsVectorizer

    frame = pd.read_json(CORPORA / "arxiv_cs_2025-03_2025-11_labeled.jsonl.gz", lines=True)
    texts = (frame["title"] + ". " + frame["abstract"]).tolist()[:size]
    del frame
    topic = np.random.default_rng(0).integers(0, N_TOPICS, len(texts))
    documents = [" ".join(t for t, k in zip(texts, topic, strict=True) if k == g) for g in range(N_TOPICS)]
    vectorizer = {"CountVectorizer": CountVectorizer, "FrequentTermsVectorizer": FrequentTermsVectorizer}[kind]
    before = _status("VmRSS")
    _reset_peak()
    start = time.perf_counter()
    fitted = vectorizer(stop_words=sorted(STOP_WORDS), ngram_range=(1, 3), min_df=2, token_pattern=TOKEN_PATTERN)
    counts = fitted.fit_transform(documents).tocsr()
    counts.sort_indices()
    seconds = time.perf_counter() - start
    digest = hashlib.sha256(
        repr((sorted(fitted.vocabulary_.items()), counts.indices.tolist(), counts.data.tolist())).encode()
    ).hexdigest()[:16]
    print(json.dumps({"peak": round(_status("VmHWM") - before), "seconds": seconds, "terms": len(fitted.vocabulary_),
                      "digest": digest}))  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=int, default=[5000, 20000, 37620])
    parser.add_argument("--out", default=str(ROOT / "bench" / "RESULTS.md"), help="results file")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(int(args.child[0]), args.child[1])
        return 0
    rows = []
    for size in args.sizes:
        found = {}
        for kind in ("CountVectorizer", "FrequentTermsVectorizer"):
            done = subprocess.run(
                [sys.executable, __file__, "--child", str(size), kind], capture_output=True, text=True, check=True
            )
            found[kind] = json.loads(done.stdout.strip().splitlines()[-1])
        old, new = found["CountVectorizer"], found["FrequentTermsVectorizer"]
        same = "yes" if old["digest"] == new["digest"] else "**no**"
        rows.append(
            f"| {size:,} | {new['terms']:,} | {old['peak']:,} MB, {old['seconds']:.1f} s | "
            f"{new['peak']:,} MB, {new['seconds']:.1f} s | {same} |"
        )
        print(rows[-1], flush=True)
    section = f"""{BEGIN}
## Counting terms in bounded memory (issue 28)

Date: {time.strftime("%Y-%m-%d")}. CPU: {_cpu()}, {len(os.sched_getaffinity(0))} cores.
Command: `python bench/vocabulary.py`. Real arXiv abstracts joined into {N_TOPICS} topic documents; 1–3-grams in
at least 2 of them, as the fit counts them. Each cell: peak memory above the process's before the fit, and time.

| abstracts | terms kept | CountVectorizer | FrequentTermsVectorizer (ours) | same vocabulary and counts |
|---:|---:|---:|---:|:-:|
{chr(10).join(rows)}
{END}"""
    write_section(Path(args.out), section, BEGIN, END)
    print(section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
