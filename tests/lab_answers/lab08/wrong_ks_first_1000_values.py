"""Computes the statistic on the first 1,000 values of each sample only."""
from collections.abc import Callable

import numpy as np
from scipy import stats

ALPHA = 0.01


def ks_statistic(a: np.ndarray, b: np.ndarray) -> float:
    a = np.sort(np.asarray(a, dtype=float)[:1000])
    b = np.sort(np.asarray(b, dtype=float)[:1000])
    points = np.concatenate([a, b])
    fa = np.searchsorted(a, points, side="right") / len(a)
    fb = np.searchsorted(b, points, side="right") / len(b)
    return float(np.max(np.abs(fa - fb)))


def drift_alert(reference: np.ndarray, current: np.ndarray, page: Callable[[str], None]) -> bool:
    res = stats.ks_2samp(reference, current)
    if res.pvalue < ALPHA:
        page(f"feature drifted: D = {ks_statistic(reference, current):.2f}")
        return True
    return False

EXPECTED = r"\(\d+ vs \d+ values\) your statistic is 0\.\d+, scipy's is 0\.\d+ \(tolerance 1e-12\)"  # the checker's message, on every seed
