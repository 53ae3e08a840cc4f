"""Lab 08: the two-sample KS statistic by hand, and an alert rule that acts exactly when due."""

from __future__ import annotations

from types import ModuleType

import numpy as np
from scipy import stats

from workshop_lib.labs.core import Lab, fresh_seed, register

ALPHA = 0.01


def hidden_samples(seed: int) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """Pairs of samples the notebook never showed: unequal sizes, ties, shifts, no shift."""
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(300, 900)), int(rng.integers(200, 1_200))
    return [
        ("same distribution", rng.normal(0, 1, n), rng.normal(0, 1, m)),
        ("shifted mean", rng.normal(0, 1, n), rng.normal(0.4, 1, m)),
        ("wider spread", rng.normal(0, 1, n), rng.normal(0, 1.8, m)),
        ("integers with ties", rng.integers(0, 8, n), rng.integers(1, 9, m)),
        (
            "rounded incomes",
            np.round(rng.lognormal(11, 0.4, n), -3),
            np.round(rng.lognormal(11.1, 0.4, m), -3),
        ),
        ("tiny samples", rng.normal(0, 1, 7), rng.normal(0.5, 1, 5)),
    ]


def _check(module: ModuleType, seed: int) -> tuple[bool, str]:
    samples = hidden_samples(fresh_seed(seed, 1))
    for what, a, b in samples:
        expected = stats.ks_2samp(a, b).statistic
        got = float(module.ks_statistic(a.copy(), b.copy()))
        if not np.isclose(got, expected, atol=1e-12):
            return False, (
                f"on {what} ({len(a)} vs {len(b)} values) your statistic is {got:.4f}, "
                f"scipy's is {expected:.4f}"
            )
    for what, a, b in samples:
        pages: list[str] = []
        fired = module.drift_alert(a, b, pages.append)
        due = stats.ks_2samp(a, b).pvalue < ALPHA
        if bool(fired) != due or len(pages) != int(due):
            return False, (
                f"on {what} the alert {'fired' if fired else 'stayed quiet'} and paged "
                f"{len(pages)} time(s); it is due {'once' if due else 'never'} (p-value "
                f"{stats.ks_2samp(a, b).pvalue:.2g} vs alpha {ALPHA})"
            )
        if due and not str(pages[0]).strip():
            return False, "the page message is empty: say what drifted and how much"
    return True, f"statistic equals scipy's on {len(samples)} hidden pairs; pages exactly when due"


def _reference() -> ModuleType:
    from workshop_lib.labs.reference import lab08_monitoring

    return lab08_monitoring


register(
    Lab(
        id="08",
        file="lab08_monitoring.py",
        prompt="Write ks_statistic(a, b): the largest gap between the two empirical CDFs; and "
        f"drift_alert(reference, current, page): page once when the KS p-value < {ALPHA}.",
        hint="evaluate both CDFs at every value of the pooled, sorted sample: "
        "np.searchsorted(np.sort(a), points, side='right') / len(a); the statistic is the "
        "largest absolute difference. The alert calls page(message) once and returns True",
        checker=_check,
        reference=_reference,
    )
)
