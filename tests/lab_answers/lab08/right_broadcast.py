"""broadcast comparison with np.unique pooled points."""
import numpy as np
from scipy import stats


def ks_statistic(a, b):
    a = np.asarray(a, float); b = np.asarray(b, float)
    pts = np.unique(np.concatenate([a, b]))
    fa = (a[None, :] <= pts[:, None]).mean(axis=1)
    fb = (b[None, :] <= pts[:, None]).mean(axis=1)
    return float(np.abs(fa - fb).max())

def drift_alert(reference, current, page):
    result = stats.ks_2samp(np.asarray(reference), np.asarray(current))
    drifted = bool(result.pvalue < 0.01)
    if drifted:
        page("Input drift detected: two-sample KS statistic %.3f, p=%.3g" % (result.statistic, result.pvalue))
    return drifted
