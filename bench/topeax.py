"""Topeax (turftopic) beside our levels on a labelled corpus, on the same embeddings.

Topeax's clustering is transcribed from ``turftopic.models.topeax.Peax`` (turftopic 0.28): t-SNE to 2-D
(perplexity 50, cosine), a Gaussian KDE on a 100 x 100 grid, one Gaussian-mixture component per density peak
with its mean fixed there. turftopic itself would download its encoder; this runs offline on our cached vectors.

    python bench/topeax.py CORPUS.jsonl.gz [--label-column primary_category] [--seeds 5]

The labelled corpora are described in ``bench/README.md``; results are in ``docs/quality.md``.
"""

import argparse
import time

import numpy as np
from scipy.ndimage import binary_erosion, generate_binary_structure, maximum_filter
from scipy.stats import gaussian_kde
from sklearn.manifold import TSNE
from sklearn.metrics import adjusted_rand_score as ari
from sklearn.metrics import normalized_mutual_info_score as nmi
from sklearn.mixture import GaussianMixture
from sklearn.mixture._gaussian_mixture import _compute_precision_cholesky, _estimate_gaussian_parameters


def detect_peaks(image: np.ndarray) -> np.ndarray:
    neighbourhood = generate_binary_structure(2, 25)
    local_max = maximum_filter(image, footprint=neighbourhood) == image
    background = binary_erosion(image == 0, structure=neighbourhood, border_value=1)
    return local_max ^ background


class FixedMeanGaussianMixture(GaussianMixture):
    def _m_step(self, X, log_resp, xp=None):  # noqa: N803 - scikit-learn's signature
        self.weights_, _, self.covariances_ = _estimate_gaussian_parameters(
            X, np.exp(log_resp), self.reg_covar, self.covariance_type
        )
        self.weights_ /= self.weights_.sum()
        self.precisions_cholesky_ = _compute_precision_cholesky(self.covariances_, self.covariance_type)


def peax(points: np.ndarray, seed: int) -> np.ndarray:
    """Topeax's clusters of 2-D ``points``: one per density peak (components that end up empty are dropped)."""
    density = gaussian_kde(points.T, "scott")
    grid = np.linspace(points.min(), points.max(), num=100)
    z = np.stack([np.exp(density.logpdf(np.stack([grid, np.full(grid.shape, y)]))) for y in grid])
    peaks = np.nonzero(detect_peaks(z.T))
    means = np.stack([grid[peaks[0]], grid[peaks[1]]]).T
    weights = density.pdf(means.T)
    for _ in range(2):
        weights = weights / weights.sum()
        mixture = FixedMeanGaussianMixture(len(means), means_init=means, weights_init=weights, random_state=seed)
        labels = mixture.fit_predict(points)
        keep = ~np.isclose(mixture.weights_, 0)
        means, weights = means[keep], mixture.weights_[keep]
    return labels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus")
    parser.add_argument("--label-column", default="primary_category")
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    from analysis import load_digests
    from analysis.embeddings import Embedder

    papers = load_digests(args.corpus)
    vectors = Embedder().embed_papers(papers)
    labels = papers[args.label_column].to_numpy()
    runs = []
    for seed in range(args.seeds):
        start = time.perf_counter()
        x = TSNE(2, metric="cosine", perplexity=50, random_state=seed).fit_transform(vectors)
        found = peax(x, seed)
        runs.append(found)
        print(
            f"seed {seed}: {len(set(found))} topics, NMI {nmi(labels, found):.3f}, ARI {ari(labels, found):.3f}, "
            f"{time.perf_counter() - start:.0f} s",
            flush=True,
        )
    pairs = [ari(runs[i], runs[j]) for i in range(len(runs)) for j in range(i + 1, len(runs))]
    print(f"ARI across seeds: {np.mean(pairs):.3f}")


if __name__ == "__main__":
    main()
