"""The statistics shared by the tests of overlap, trends and new themes: one significance level, one correction."""

from __future__ import annotations

import numpy as np

ALPHA = 0.05  # the false-discovery rate every test of the package is held to (Benjamini-Hochberg q < ALPHA)


def q_values(p_values) -> np.ndarray:
    """Benjamini–Hochberg q-values of ``p_values`` (empty for none).

    >>> q_values([0.01, 0.04, 0.03]).round(3).tolist()
    [0.03, 0.04, 0.04]
    """
    from statsmodels.stats.multitest import multipletests

    p_values = np.asarray(p_values, dtype=float)
    return multipletests(p_values, method="fdr_bh")[1] if len(p_values) else np.zeros(0)
