"""ks_statistic calls scipy, which the task forbids."""
import numpy as np
from scipy import stats


def ks_statistic(a, b):
    return float(stats.ks_2samp(a, b).statistic)

def drift_alert(reference, current, page):
    p = stats.ks_2samp(reference, current).pvalue
    if p < 0.01:
        page(f"drift: KS p-value {p:.2g} < 0.01 (statistic {ks_statistic(reference, current):.3f})")
        return True
    return False

EXPECTED = r"your ks_statistic calls scipy's KS test"  # the checker's message, on every seed
