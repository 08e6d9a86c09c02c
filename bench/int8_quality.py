"""What the int8 embedding path costs in quality: int8 (OpenVINO) against fp32 (PyTorch) vectors of the same
texts, on a labelled corpus.

    python bench/int8_quality.py [CORPUS.jsonl.gz] [--label-column primary_category] [--seeds 5]

Default corpus: ``arxiv_cs_2025_balanced.jsonl.gz`` in ``$BENCH_CORPORA`` or ``../shared/corpora`` (5,909
arXiv abstracts, 8 primary categories; see bench/README.md for where the corpora come from). Reports, for each
path: the mean and minimum cosine of the int8 vectors to the fp32 ones; k-means NMI against the labels (k =
number of labels, mean of ``--seeds`` seeds); our fine and broad topics' NMI/ARI against the labels; and the
agreement (ARI) of the int8 topics with the fp32 topics at the same seed. Both sets of vectors go through the
embedding cache, so a rerun embeds nothing. Prints a Markdown table."""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score as ari
from sklearn.metrics import normalized_mutual_info_score as nmi

from analysis import fit_topics, load_digests
from analysis.embeddings import Embedder

CORPUS = (
    Path(os.environ.get("BENCH_CORPORA", Path(__file__).resolve().parents[2] / "shared" / "corpora"))
    / "arxiv_cs_2025_balanced.jsonl.gz"
)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", default=CORPUS)
    parser.add_argument("--label-column", default="primary_category")
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args(argv)
    papers = load_digests(args.corpus)
    labels = papers[args.label_column].to_numpy()
    k = len(set(labels))
    vectors, seconds = {}, {}
    for precision in ("fp32", "int8"):
        start = time.perf_counter()
        vectors[precision] = Embedder(precision=precision).embed_papers(papers)
        seconds[precision] = time.perf_counter() - start
    cosine = np.einsum("ij,ij->i", vectors["int8"], vectors["fp32"])
    print(f"{len(papers)} papers, {k} labels; int8 vs fp32 cosine: mean {cosine.mean():.4f}, min {cosine.min():.4f}")
    print(f"embedding (cache included) fp32 {seconds['fp32']:.0f} s, int8 {seconds['int8']:.0f} s\n")
    rows, fitted = [], {}
    for precision, matrix in vectors.items():
        kmeans = [nmi(labels, KMeans(k, n_init=4, random_state=seed).fit_predict(matrix)) for seed in range(args.seeds)]
        fits = [fit_topics(papers, seed=seed, embeddings=matrix) for seed in range(args.seeds)]
        fitted[precision] = fits
        fine = [r.papers["topic"].to_numpy() for r in fits]
        broad = [r.papers["broad_topic"].to_numpy() for r in fits]
        rows.append(
            f"| {precision} | {np.mean(kmeans):.3f} | {np.mean([len(set(f)) for f in fine]):.1f} "
            f"| {np.mean([nmi(labels, f) for f in fine]):.3f} | {np.mean([len(set(b)) for b in broad]):.1f} "
            f"| {np.mean([nmi(labels, b) for b in broad]):.3f} | {np.mean([ari(labels, b) for b in broad]):.3f} |"
        )
    print("| vectors | k-means NMI | fine topics | fine NMI | broad topics | broad NMI | broad ARI |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    print("\n".join(rows))
    same_seed = [
        (ari(a.papers["topic"], b.papers["topic"]), ari(a.papers["broad_topic"], b.papers["broad_topic"]))
        for a, b in zip(fitted["fp32"], fitted["int8"], strict=True)
    ]
    fine_agree, broad_agree = np.mean(same_seed, axis=0)
    print(f"\nint8 topics against fp32 topics, same seed: ARI fine {fine_agree:.3f}, broad {broad_agree:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
