"""Half the job: evaluates both CDFs only at the points of sample a, not the pooled sample."""

from collections.abc import Callable

import numpy as np
from scipy import stats


def ks_statistic(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.sort(np.asarray(a, dtype=float)), np.sort(np.asarray(b, dtype=float))
    points = a
    fa = np.searchsorted(a, points, side="right") / len(a)
    fb = np.searchsorted(b, points, side="right") / len(b)
    return float(np.max(np.abs(fa - fb)))


def drift_alert(reference: np.ndarray, current: np.ndarray, page: Callable[[str], None]) -> bool:
    result = stats.ks_2samp(reference, current)
    if result.pvalue < 0.01:
        page(f"drift: KS statistic {result.statistic:.3f}, p-value {result.pvalue:.2g} < 0.01 "
             f"({len(current)} current values vs {len(reference)} reference)")
        return True
    return False

EXPECTED = r"your statistic is 0\.\d+, scipy's is 0\.\d+ \(tolerance 1e-12\): the same number as the gap from a's points only"  # the checker's message, on every seed
