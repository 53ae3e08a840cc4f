"""side="left" at the pooled points: the left limits cover the same steps (I first thought this wrong; it is not)."""
import numpy as np
from scipy import stats


def ks_statistic(a, b):
    a = np.sort(np.asarray(a, float)); b = np.sort(np.asarray(b, float))
    pts = np.concatenate([a, b])
    fa = np.searchsorted(a, pts, side="left") / len(a)
    fb = np.searchsorted(b, pts, side="left") / len(b)
    return float(np.max(np.abs(fa - fb)))

def drift_alert(reference, current, page):
    p = stats.ks_2samp(reference, current).pvalue
    if p < 0.01:
        page(f"drift: KS p-value {p:.2g} < 0.01 (statistic {ks_statistic(reference, current):.3f})")
        return True
    return False
