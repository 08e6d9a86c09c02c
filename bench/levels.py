"""The two levels on a corpus: the counts chosen, their cost, agreement with labels and stability across seeds.

For each seed, ``fit_topics`` runs on the same cached embeddings; the table gives the counts, the time of
the count choice next to the rest of the fit, NMI and ARI of both levels against a label column (when given),
the mean per-topic stability, and at the end the adjusted Rand index between the seeds' assignments.

    python bench/levels.py CORPUS [--label-column primary_category] [--exclude LABEL ...] [--seeds 0 1 2 3 4]

``--exclude`` drops papers whose label is one of those given (e.g. ``--exclude cs.AI``: the balanced arXiv file
without its catch-all category). The corpora are described in ``bench/README.md``; results in
``docs/quality.md``.
"""

import argparse
import itertools
import time

import numpy as np
from sklearn.metrics import adjusted_rand_score as ari
from sklearn.metrics import normalized_mutual_info_score as nmi


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus")
    parser.add_argument("--label-column")
    parser.add_argument("--exclude", nargs="*", default=[], metavar="LABEL")
    parser.add_argument("--seeds", nargs="*", type=int, default=[0, 1, 2, 3, 4])
    args = parser.parse_args()
    import analysis.levels
    from analysis import load_digests
    from analysis.embeddings import Embedder
    from analysis.topics import fit_topics

    papers = load_digests(args.corpus)
    if args.exclude:
        papers = papers[~papers[args.label_column].isin(args.exclude)].reset_index(drop=True)
    vectors = Embedder().embed_papers(papers)
    labels = papers[args.label_column].to_numpy() if args.label_column else None
    choose = analysis.levels.choose_counts
    spent: list[float] = []

    def timed(*a, **k):
        start = time.perf_counter()
        try:
            return choose(*a, **k)
        finally:
            spent.append(time.perf_counter() - start)

    analysis.topics.choose_counts = timed
    print(f"{len(papers)} papers" + (f", {len(set(labels))} labels" if labels is not None else ""))
    print(
        "| seed | fine | broad | counts s | rest of fit s | fine NMI / ARI | broad NMI / ARI | stability fine / broad |"
    )
    print("|---:|---:|---:|---:|---:|---|---|---|")
    runs = []
    for seed in args.seeds:
        start = time.perf_counter()
        result = fit_topics(papers, seed=seed, embeddings=vectors)
        total = time.perf_counter() - start
        fine, broad = result.papers["topic"].to_numpy(), result.papers["broad_topic"].to_numpy()
        runs.append((fine, broad))
        scores = ["–", "–"]
        if labels is not None:
            scores = [f"{nmi(labels, x):.3f} / {ari(labels, x):.3f}" for x in (fine, broad)]
        stability = f"{result.topics['stability'].mean():.2f} / {result.broad['stability'].mean():.2f}"
        print(
            f"| {seed} | {len(result.topics)} | {len(result.broad)} | {spent[-1]:.1f} | {total - spent[-1]:.1f} | "
            f"{scores[0]} | {scores[1]} | {stability} |",
            flush=True,
        )
    for level, name in ((0, "fine"), (1, "broad")):
        pairs = [ari(a[level], b[level]) for a, b in itertools.combinations(runs, 2)]
        print(f"ARI across seeds, {name}: {np.mean(pairs):.3f} (min {np.min(pairs):.3f})")


if __name__ == "__main__":
    main()
