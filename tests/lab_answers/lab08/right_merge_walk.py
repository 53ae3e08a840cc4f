"""Right (style: a two-pointer walk over both sorted samples, tie groups consumed together; alert with an early return)."""

from collections.abc import Callable

import numpy as np
from scipy import stats


def ks_statistic(a: np.ndarray, b: np.ndarray) -> float:
    xs, ys = sorted(float(v) for v in a), sorted(float(v) for v in b)
    n, m = len(xs), len(ys)
    i = j = 0
    best = 0.0
    while i < n or j < m:
        x = min(xs[i] if i < n else np.inf, ys[j] if j < m else np.inf)
        while i < n and xs[i] == x:
            i += 1
        while j < m and ys[j] == x:
            j += 1
        best = max(best, abs(i / n - j / m))
    return best


def drift_alert(reference: np.ndarray, current: np.ndarray, page: Callable[[str], None]) -> bool:
    statistic, pvalue = stats.ks_2samp(np.asarray(reference), np.asarray(current))
    if not pvalue < 0.01:
        return False
    page(f"feature distribution drifted: KS={statistic:.3f}, p={pvalue:.1e} (alpha 0.01)")
    return True
