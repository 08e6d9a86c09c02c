"""The counts and the fit under noise at the level of arithmetic: what another CPU's last digits would change.

Each draw adds Gaussian noise (``--scale``, default 1e-6 per coordinate) to the corpus's unit vectors, kept in
their own dtype (float32), and chooses the counts again (``choose_counts``); the row gives the counts on the
vectors as they are, how many draws gave the same counts, the other counts seen, and the seconds one count
choice takes. With ``--fit-draws N`` it also fits the two levels at the noiseless counts (``NestedKMeans``,
seed 42) on N noisy copies and gives the adjusted Rand index of each level against the noiseless fit
(minimum and mean), and the share of papers in fine topics whose stability (``topic_stability``) is at least
0.5, with the median fine stability.

    python bench/noise.py CORPUS [--precision fp32|int8] [--draws 20] [--fit-draws 10] [--month YYYY-MM]

``--month`` keeps the papers whose ``digest_date`` falls in that month (a Daily Papers month). The corpora
are described in ``bench/README.md``; results in ``docs/quality.md``.
"""

import argparse
import collections
import time

import numpy as np
from sklearn.metrics import adjusted_rand_score as ari


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus")
    parser.add_argument("--precision", default="fp32")
    parser.add_argument("--draws", type=int, default=20)
    parser.add_argument("--fit-draws", type=int, default=0)
    parser.add_argument("--scale", type=float, default=1e-6)
    parser.add_argument("--month")
    args = parser.parse_args()
    import pandas as pd

    from analysis import load_digests
    from analysis.embeddings import Embedder
    from analysis.levels import NestedKMeans, choose_counts, topic_stability, unit_rows

    papers = load_digests(args.corpus)
    if args.month:
        papers = papers[papers["digest_date"].dt.to_period("M") == pd.Period(args.month)].reset_index(drop=True)
    vectors = unit_rows(Embedder(precision=args.precision).embed_papers(papers))
    rng = np.random.default_rng(2026)

    def noisy() -> np.ndarray:
        return unit_rows((vectors + rng.normal(scale=args.scale, size=vectors.shape)).astype(vectors.dtype))

    start = time.perf_counter()
    reference = choose_counts(vectors)
    seconds = time.perf_counter() - start
    counts = (reference.n_topics, reference.n_broad)
    seen = collections.Counter()
    for _ in range(args.draws):
        chosen = choose_counts(noisy())
        seen[(chosen.n_topics, chosen.n_broad)] += 1
    others = ", ".join(f"{f}/{b} ×{n}" for (f, b), n in seen.most_common() if (f, b) != counts) or "–"
    row = [
        f"{len(papers)}",
        args.precision,
        f"{counts[0]} / {counts[1]}",
        f"{seen[counts]} of {args.draws}",
        others,
        f"{seconds:.1f}",
    ]
    if args.fit_draws:
        fit = NestedKMeans(*counts, seed=42).fit(vectors)
        scores = []
        for _ in range(args.fit_draws):
            other = NestedKMeans(*counts, seed=42).fit(noisy())
            scores.append((ari(fit.labels_, other.labels_), ari(fit.broad_labels_, other.broad_labels_)))
        fine, broad = np.array(scores).T
        stability, _ = topic_stability(vectors, fit.labels_, fit.broad_of_fine_, seed=42)
        row += [
            f"{fine.min():.3f} / {fine.mean():.3f}",
            f"{broad.min():.3f} / {broad.mean():.3f}",
            f"{(stability[fit.labels_] >= 0.5).mean():.0%}, {np.median(stability):.2f}",
        ]
    print("| papers | precision | counts | same under noise | other counts | s per choice |", end="")
    print(" fit ARI fine min / mean | broad min / mean | papers in stable fine topics, median |" * bool(args.fit_draws))
    print("| " + " | ".join(row) + " |", flush=True)


if __name__ == "__main__":
    main()
