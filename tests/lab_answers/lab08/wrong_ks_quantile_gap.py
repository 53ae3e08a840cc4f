"""Compares the samples' quantiles instead of their CDFs (largest gap between matched quantiles, scaled to 0-1)."""

from collections.abc import Callable

import numpy as np
from scipy import stats


def ks_statistic(a: np.ndarray, b: np.ndarray) -> float:
    q = np.linspace(0, 1, 101)
    qa, qb = np.quantile(a, q), np.quantile(b, q)
    spread = max(np.ptp(np.concatenate([a, b])), 1e-12)
    return float(np.max(np.abs(qa - qb)) / spread)


def drift_alert(reference: np.ndarray, current: np.ndarray, page: Callable[[str], None]) -> bool:
    result = stats.ks_2samp(reference, current)
    if result.pvalue < 0.01:
        page(f"drift: KS statistic {result.statistic:.3f}, p-value {result.pvalue:.2g} < 0.01 "
             f"({len(current)} current values vs {len(reference)} reference)")
        return True
    return False

EXPECTED = r"your statistic is [\d.]+, scipy's is 0\.\d+ \(tolerance 1e-12\)"  # the checker's message, on every seed
