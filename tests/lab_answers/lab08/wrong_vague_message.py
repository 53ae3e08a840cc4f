"""pages with a message that does not say what drifted."""
import numpy as np
from scipy import stats


def ks_statistic(a, b):
    a = np.sort(np.asarray(a, float)); b = np.sort(np.asarray(b, float))
    pts = np.concatenate([a, b])
    fa = np.searchsorted(a, pts, side="right") / len(a)
    fb = np.searchsorted(b, pts, side="right") / len(b)
    return float(np.max(np.abs(fa - fb)))

def drift_alert(reference, current, page):
    p = stats.ks_2samp(reference, current).pvalue
    if p < 0.01:
        page("ALERT")
        return True
    return False

EXPECTED = r"your page says 'ALERT', but these samples' KS statistic is"  # the checker's message, on every seed
