"""pure-Python merge walk over the two sorted samples."""
import numpy as np
from scipy import stats


def ks_statistic(a, b):
    a = sorted(float(x) for x in a); b = sorted(float(x) for x in b)
    i = j = 0; best = 0.0
    while i < len(a) and j < len(b):
        x = min(a[i], b[j])
        while i < len(a) and a[i] == x: i += 1
        while j < len(b) and b[j] == x: j += 1
        best = max(best, abs(i / len(a) - j / len(b)))
    return best

def drift_alert(reference, current, page):
    p = stats.ks_2samp(reference, current).pvalue
    if p < 0.01:
        page(f"drift: KS p-value {p:.2g} < 0.01 (statistic {ks_statistic(reference, current):.3f})")
        return True
    return False
