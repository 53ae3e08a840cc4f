"""Lab 08 reference: the KS statistic from the two empirical CDFs, and a paging drift alert."""

from collections.abc import Callable

import numpy as np
from scipy import stats

ALPHA = 0.01


def ks_statistic(a: np.ndarray, b: np.ndarray) -> float:
    """max |F_a(x) - F_b(x)| over every observed x (ties counted with side='right')."""
    a, b = np.sort(np.asarray(a, float)), np.sort(np.asarray(b, float))
    points = np.concatenate([a, b])
    cdf_a = np.searchsorted(a, points, side="right") / len(a)
    cdf_b = np.searchsorted(b, points, side="right") / len(b)
    return float(np.max(np.abs(cdf_a - cdf_b)))


def drift_alert(reference: np.ndarray, current: np.ndarray, page: Callable[[str], None]) -> bool:
    """Page once when the two samples differ at level ALPHA; True when it paged."""
    result = stats.ks_2samp(reference, current)
    if result.pvalue >= ALPHA:
        return False
    page(f"drift: KS statistic {result.statistic:.3f}, p-value {result.pvalue:.1e}")
    return True
