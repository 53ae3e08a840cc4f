"""own asymptotic p-value from the statistic, ignoring small-sample exact test."""
import numpy as np
from scipy import stats


def ks_statistic(a, b):
    a = np.sort(np.asarray(a, float)); b = np.sort(np.asarray(b, float))
    pts = np.concatenate([a, b])
    fa = np.searchsorted(a, pts, side="right") / len(a)
    fb = np.searchsorted(b, pts, side="right") / len(b)
    return float(np.max(np.abs(fa - fb)))

def drift_alert(reference, current, page):
    n, m = len(reference), len(current)
    d = ks_statistic(reference, current)
    en = np.sqrt(n * m / (n + m))
    p = stats.kstwobign.sf(en * d)
    if p < 0.01:
        page(f"drift: KS statistic {d:.3f}, p={p:.2g}")
        return True
    return False

EXPECTED = r"(the alert returned False and paged 0 time\(s\); with p-value [\d.e-]+ and alpha 0\.01 it is due to page once|your page says 'p=[\d.e-]+', but the p-value \(scipy's ks_2samp, default method\) is [\d.e-]+)"  # the checker's message, on every seed
