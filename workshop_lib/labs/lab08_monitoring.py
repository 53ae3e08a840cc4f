"""Lab 08: the two-sample KS statistic by hand, and an alert rule that acts exactly when due.

Every seed's hidden pairs include the cases that tell a near miss from the real thing: a pair
whose p-value lies between 0.01 and 0.05 (an alert at 0.05 pages), one just under 0.01, shifts
both ways (a one-sided gap), ties, a pair whose largest gap sits at the points of one sample
only (a statistic read off one sample's points), and small samples whose exact p-value is
under 0.01 while the large-sample formula's is not. The statistic is computed with scipy's KS
tests switched off (the lab asks for it by hand); a page must give the statistic or p-value,
and every statistic or p-value it names must be true to the precision it is printed.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import numpy as np
from scipy import stats

from workshop_lib.labs.core import Lab, fresh_seed, register

ALPHA = 0.01
TOLERANCE = 1e-12
NUMBER = re.compile(r"\d*\.?\d+(?:[eE][-+]?\d+)?")
# a number the message names: "p = 0.0034", "p-value 3.4e-03", "D = 0.14", "statistic 0.141"
LABELLED = re.compile(
    r"(?:(?P<p>\b[pP](?:[-_ ]?[vV]al(?:ue)?)?)|\b(?:D|KS|[sS]tatistic|[sS]tat))\s*"
    rf"(?P<operator><=|>=|[=:<>])?\s*(?P<number>{NUMBER.pattern})(?![-\w%])"
)
Pair = tuple[str, np.ndarray, np.ndarray]


def _gaps(a: np.ndarray, b: np.ndarray, points: np.ndarray) -> np.ndarray:
    a, b = np.sort(a), np.sort(b)
    return np.searchsorted(a, points, side="right") / len(a) - np.searchsorted(
        b, points, side="right"
    ) / len(b)


def near_misses(a: np.ndarray, b: np.ndarray) -> dict[str, float]:
    """What the usual wrong statistics give on ``a`` and ``b``."""
    pooled = np.concatenate([a, b])
    gaps = _gaps(a, b, pooled)
    return {
        "from a's points only": float(np.abs(_gaps(a, b, a)).max()),
        "from b's points only": float(np.abs(_gaps(a, b, b)).max()),
        "one-sided (a above b)": float(gaps.max()),
        "one-sided (b above a)": float(-gaps.min()),
    }


def _telling(draw: Callable[[], Pair], wrong: str) -> Pair:
    """Draw pairs until the statistic ``wrong`` differs from the true one (it always will)."""
    for _ in range(10_000):
        what, a, b = draw()
        if abs(near_misses(a, b)[wrong] - stats.ks_2samp(a, b).statistic) > 1e-6:
            return what, a, b
    raise RuntimeError(f"no pair tells {wrong!r} apart")


def _with_pvalue(rng: np.random.Generator, low: float, high: float) -> Pair:
    """Two normal samples, the second shifted until the KS p-value lies in (low, high)."""
    for _ in range(1_000):
        n, m = int(rng.integers(300, 900)), int(rng.integers(200, 1_200))
        a, b = rng.normal(0, 1, n), rng.normal(0, 1, m)
        for shift in np.arange(0, 0.6, 0.002):
            p = stats.ks_2samp(a, b + shift).pvalue
            if low < p < high:
                return f"a shift with p-value {p:.3f}", a, b + shift
            if p <= low:
                break
    raise RuntimeError(f"no pair with a p-value in ({low}, {high})")


def hidden_samples(seed: int) -> list[Pair]:
    """Pairs of samples the notebook never showed: unequal sizes, ties, shifts, no shift."""
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(300, 900)), int(rng.integers(200, 1_200))

    def small() -> Pair:
        k, j = int(rng.integers(5, 40)), int(rng.integers(5, 40))
        return "small samples", rng.normal(0, 1, k), rng.normal(0.3, 1.3, j)

    def ties() -> Pair:
        return "integers with ties", rng.integers(0, 8, n), rng.integers(1, 9, m)

    return [
        ("same distribution", rng.normal(0, 1, n), rng.normal(0, 1, m)),
        ("shifted up", rng.normal(0, 1, n), rng.normal(0.4, 1, m)),
        ("shifted down", rng.normal(0, 1, n), rng.normal(-0.4, 1, m)),
        ("wider spread", rng.normal(0, 1, n), rng.normal(0, 1.8, m)),
        ties(),
        (
            "rounded incomes",
            np.round(rng.lognormal(11, 0.4, n), -3),
            np.round(rng.lognormal(11.1, 0.4, m), -3),
        ),
        _telling(small, "from a's points only"),
        _telling(small, "from b's points only"),
        _with_pvalue(rng, 0.015, 0.045),
        _with_pvalue(rng, 0.002, 0.008),
        ("tiny samples", rng.normal(0, 1, 7), rng.normal(0.5, 1, 5)),
        (
            "large samples",
            rng.normal(0, 1, int(rng.integers(1_500, 2_500))),
            rng.normal(0.1, 1, int(rng.integers(1_500, 2_500))),
        ),
        _exact_matters(rng),
    ]


def _exact_matters(rng: np.random.Generator) -> Pair:
    """Small samples whose exact p-value (scipy's default) is under ALPHA while the large-sample
    ones (the Kolmogorov formula's, scipy's ``method="asymp"``) are not: an alert on those
    misses them."""
    for _ in range(10_000):
        k, j = int(rng.integers(8, 40)), int(rng.integers(8, 40))
        a, b = rng.normal(0, 1, k), rng.normal(0.9, 1, j)
        result = stats.ks_2samp(a, b)
        formula = stats.kstwobign.sf(np.sqrt(k * j / (k + j)) * result.statistic)
        asymptotic = stats.ks_2samp(a, b, method="asymp").pvalue
        if result.pvalue < ALPHA <= min(formula, asymptotic):
            return f"small samples with exact p-value {result.pvalue:.4f}", a, b
    raise RuntimeError("no small pair whose exact p-value differs in verdict")  # never seen


class _ScipyCalled(BaseException):
    """Raised by scipy's KS functions while the learner's ks_statistic runs (a BaseException:
    an ``except Exception`` in the learner's code lets it through)."""


@contextlib.contextmanager
def _without_scipy_ks(module: ModuleType) -> Iterator[None]:
    """scipy's KS tests raise ``_ScipyCalled`` meanwhile, also where the learner's module
    imported them by name (``from scipy.stats import ks_2samp``)."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise _ScipyCalled

    originals = {name: getattr(stats, name) for name in ("ks_2samp", "kstest")}
    bound = {
        name: value
        for name, value in vars(module).items()
        if any(value is original for original in originals.values())
    }
    for name in originals:
        setattr(stats, name, refuse)
    for name in bound:
        setattr(module, name, refuse)
    try:
        yield
    finally:
        for name, original in originals.items():
            setattr(stats, name, original)
        for name, value in bound.items():
            setattr(module, name, value)


def _statistic_problem(module: ModuleType, samples: list[Pair]) -> str | None:
    for what, a, b in samples:
        expected = stats.ks_2samp(a, b).statistic
        try:
            with _without_scipy_ks(module):
                got = float(module.ks_statistic(a.copy(), b.copy()))
        except _ScipyCalled:
            return (
                "your ks_statistic calls scipy's KS test: compute the largest gap between the "
                "two empirical CDFs yourself (drift_alert may use scipy)"
            )
        if not np.isclose(got, expected, rtol=0, atol=TOLERANCE):
            named = [name for name, v in near_misses(a, b).items() if np.isclose(got, v, atol=1e-9)]
            like = f": the same number as the gap {named[0]}" if named else ""
            return (
                f"on {what} ({len(a)} vs {len(b)} values) your statistic is {got:.4f}, scipy's "
                f"is {expected:.4f} (tolerance {TOLERANCE:g}){like}"
            )
    return None


def _says_how_much(message: str, result: Any) -> bool:
    """Whether ``message`` holds the KS statistic (within 0.005) or the p-value (within 5 %) of
    ``result`` (scipy's ks_2samp)."""
    numbers = [float(n) for n in NUMBER.findall(message)]
    return any(
        abs(n - result.statistic) <= 0.005 or abs(n - result.pvalue) <= 0.05 * result.pvalue
        for n in numbers
    )


def _half_unit(written: str) -> float:
    """Half a unit in the last digit ``written`` shows: "0.14" -> 0.005, "3.4e-03" -> 5e-05."""
    mantissa, _, exponent = written.lower().partition("e")
    decimals = len(mantissa.partition(".")[2])
    return 0.5 * 10.0 ** (int(exponent or 0) - decimals)


def _false_number(message: str, result: Any) -> str:
    """The first number ``message`` names as the statistic or the p-value that is not true at
    the precision it is written ("" when every named one is): "p = 0.9" beside a p-value of
    0.003 is false; "p < 0.01" and "D = 0.14" for 0.1412 are true (``result``: scipy's
    ks_2samp)."""
    for match in LABELLED.finditer(message):
        written, operator = match["number"], (match["operator"] or "=").replace(":", "=")
        number = float(written)
        true = result.pvalue if match["p"] else result.statistic
        name = "p-value (scipy's ks_2samp, default method)" if match["p"] else "KS statistic"
        holds = {
            "<": true < number,
            "<=": true <= number,
            ">": true > number,
            ">=": true >= number,
        }.get(operator, abs(true - number) <= max(_half_unit(written), 0.05 * true))
        if not holds:
            return f"{match.group(0)!r}, but the {name} is {true:.3g}"
    return ""


def _check(module: ModuleType, seed: int) -> tuple[bool, str]:
    samples = hidden_samples(fresh_seed(seed, 1))
    problem = _statistic_problem(module, samples)
    if problem:
        return False, problem
    for what, a, b in samples:
        pages: list[object] = []
        fired = module.drift_alert(a.copy(), b.copy(), pages.append)
        result = stats.ks_2samp(a, b)
        pvalue = result.pvalue
        due = pvalue < ALPHA
        if bool(fired) != due or len(pages) != int(due):
            return False, (
                f"on {what} the alert returned {fired!r} and paged {len(pages)} time(s); with "
                f"p-value {pvalue:.3g} and alpha {ALPHA} it is due to page "
                f"{'once and return True' if due else 'never and return False'}"
            )
        false = _false_number(str(pages[0]), result) if due else ""
        if false:
            return False, (
                f"on {what} your page says {false}: every number it names must be true, to "
                "the precision it is printed"
            )
        if due and not _says_how_much(str(pages[0]), result):
            return False, (
                f"on {what} your page says {str(pages[0])[:80]!r}, but these samples' KS "
                f"statistic is {result.statistic:.3f} and p-value {result.pvalue:.2g}: say what "
                "drifted and how much (the statistic to 2 decimals or the p-value to 2 "
                "significant digits)"
            )
    return True, (
        f"the statistic equals scipy's on {len(samples)} hidden pairs (to {TOLERANCE:g}); the "
        f"alert pages exactly when the p-value is under {ALPHA}, including a pair between "
        f"{ALPHA} and 0.05"
    )


def _reference() -> ModuleType:
    from workshop_lib.labs.reference import lab08_monitoring

    return lab08_monitoring


register(
    Lab(
        id="08",
        file="lab08_monitoring.py",
        prompt="Write ks_statistic(a, b): the largest gap between the two empirical CDFs; and "
        f"drift_alert(reference, current, page): page once when the KS p-value < {ALPHA}, "
        "with the statistic or the p-value in the message.",
        hint="evaluate both CDFs at every value of the pooled, sorted sample: "
        "np.searchsorted(np.sort(a), points, side='right') / len(a); the statistic is the "
        "largest absolute difference. The alert calls page(message) once and returns True",
        checker=_check,
        reference=_reference,
    )
)
