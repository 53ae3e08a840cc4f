"""Forgets the absolute value: max(F_a - F_b), a one-sided statistic."""

from collections.abc import Callable

import numpy as np
from scipy import stats


def ks_statistic(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.sort(np.asarray(a, dtype=float)), np.sort(np.asarray(b, dtype=float))
    points = np.concatenate([a, b])
    fa = np.searchsorted(a, points, side="right") / len(a)
    fb = np.searchsorted(b, points, side="right") / len(b)
    return float(np.max(fa - fb))


def drift_alert(reference: np.ndarray, current: np.ndarray, page: Callable[[str], None]) -> bool:
    result = stats.ks_2samp(reference, current)
    if result.pvalue < 0.01:
        page(f"drift: KS statistic {result.statistic:.3f}, p-value {result.pvalue:.2g} < 0.01 "
             f"({len(current)} current values vs {len(reference)} reference)")
        return True
    return False

EXPECTED = r"the same number as the gap one-sided"  # the checker's message, on every seed
