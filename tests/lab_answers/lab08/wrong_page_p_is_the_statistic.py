"""Pages with the right statistic, and the statistic again where the p-value should be."""

from collections.abc import Callable

import numpy as np
from scipy import stats


def ks_statistic(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.sort(np.asarray(a, dtype=float)), np.sort(np.asarray(b, dtype=float))
    points = np.concatenate([a, b])
    fa = np.searchsorted(a, points, side="right") / len(a)
    fb = np.searchsorted(b, points, side="right") / len(b)
    return float(np.max(np.abs(fa - fb)))


def drift_alert(reference: np.ndarray, current: np.ndarray, page: Callable[[str], None]) -> bool:
    result = stats.ks_2samp(reference, current)
    if result.pvalue < 0.01:
        d = ks_statistic(reference, current)
        page(f"drift: D = {d:.3f}, p-value = {d:.3f}")
        return True
    return False

EXPECTED = r"your page says 'p-value = 0\.\d{3}', but the p-value \(scipy's ks_2samp, default method\) is \d"  # the checker's message, on every seed
