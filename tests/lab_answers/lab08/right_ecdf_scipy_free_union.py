"""np.union1d points and cumulative counts via np.searchsorted on both."""
import numpy as np
from scipy import stats


def ks_statistic(a, b):
    sa, sb = np.sort(a), np.sort(b)
    pts = np.union1d(sa, sb)
    gap = np.searchsorted(sa, pts, "right") / sa.size - np.searchsorted(sb, pts, "right") / sb.size
    return float(max(gap.max(), -gap.min()))

def drift_alert(reference, current, page):
    p = stats.ks_2samp(reference, current).pvalue
    if p < 0.01:
        page(f"drift: KS p-value {p:.2g} < 0.01 (statistic {ks_statistic(reference, current):.3f})")
        return True
    return False
