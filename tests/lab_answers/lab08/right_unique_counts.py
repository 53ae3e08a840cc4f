"""Right (style: np.unique over the pooled values with cumulative counts per sample; alert computes the p-value once and formats a multi-line message)."""

from collections.abc import Callable

import numpy as np
from scipy import stats


def _ecdf_on(values: np.ndarray, grid: np.ndarray) -> np.ndarray:
    uniq, counts = np.unique(values, return_counts=True)
    cum = np.cumsum(counts) / values.size
    idx = np.searchsorted(uniq, grid, side="right") - 1
    return np.where(idx >= 0, cum[np.clip(idx, 0, None)], 0.0)


def ks_statistic(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.ravel(a).astype(float), np.ravel(b).astype(float)
    grid = np.unique(np.concatenate((a, b)))
    return float(np.abs(_ecdf_on(a, grid) - _ecdf_on(b, grid)).max())


ALPHA = 0.01


def drift_alert(reference: np.ndarray, current: np.ndarray, page: Callable[[str], None]) -> bool:
    test = stats.ks_2samp(reference, current)
    drifted = bool(test.pvalue < ALPHA)
    if drifted:
        page("\n".join([
            "DRIFT ALERT: the current sample's distribution differs from the reference",
            f"  KS statistic: {test.statistic:.4f}",
            f"  p-value: {test.pvalue:.3g} (alpha {ALPHA})",
            f"  means: reference {np.mean(reference):.3f}, current {np.mean(current):.3f}",
        ]))
    return drifted
