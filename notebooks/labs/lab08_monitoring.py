"""Lab 08: the two-sample Kolmogorov-Smirnov statistic by hand, and an alert with its action.

1. ``ks_statistic(a, b)``: the largest absolute gap between the empirical CDFs of samples
   ``a`` and ``b`` (any sizes, ties allowed). Do not call scipy here: the checker compares your
   number with ``scipy.stats.ks_2samp`` on hidden samples.
2. ``drift_alert(reference, current, page)``: when the KS test's p-value (scipy may give it:
   ``stats.ks_2samp`` with its default method, exact for small samples) is below 0.01, call
   ``page(message)`` exactly once with a message saying what drifted and how much (the KS
   statistic as a number to 2 decimals, e.g. "D = 0.14", or the p-value to 2 significant
   digits), and return True; otherwise page nobody and return False.

Hint: evaluate both CDFs at every value of the pooled sample:
np.searchsorted(np.sort(a), points, side="right") / len(a).
Check it with ``check_lab("08")``.
"""

from collections.abc import Callable

import numpy as np
from scipy import stats  # noqa: F401  (for the p-value in drift_alert)


def ks_statistic(a: np.ndarray, b: np.ndarray) -> float:
    """max over x of |F_a(x) - F_b(x)|."""
    ...


def drift_alert(reference: np.ndarray, current: np.ndarray, page: Callable[[str], None]) -> bool:
    """Page once when the samples differ at the 1% level; True when it paged."""
    ...
