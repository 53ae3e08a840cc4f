"""Exercises of 07_cicd_for_ml: add a data check, tighten a gate."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from workshop_lib import data
from workshop_lib.cicd.data_checks import DataContext, corrupt
from workshop_lib.cicd.gates import GateLimits
from workshop_lib.cicd.outcomes import Outcome
from workshop_lib.exercises.core import Exercise, call_answer, needs_function, register


def _solution_loan_check():
    def check_loan_to_income(frame, context):
        ratio = frame["loan_amount"] / frame["annual_income"]
        share = float((ratio > 5).mean())
        return Outcome(
            "loan_to_income", share <= 0.01, f"{share:.1%} of loans exceed 5x the income"
        )

    return check_loan_to_income


def _big_loans(frame, share: float, rng, times: float = 6.0, rows=None):
    """A copy in which exactly ``share`` of the applications (drawn from ``rows``, all by
    default) ask for ``times`` their income (incomes intact)."""
    broken = frame.copy()
    eligible = np.flatnonzero(np.ones(len(frame), dtype=bool) if rows is None else rows)
    chosen = broken.index[rng.choice(eligible, round(share * len(frame)), replace=False)]
    broken.loc[chosen, "loan_amount"] = times * broken.loc[chosen, "annual_income"]
    return broken


def _no_income(frame, share: float, rng):
    """A copy in which exactly ``share`` of the applicants earn nothing (loans intact): any
    loan is above 5x an income of 0."""
    broken = frame.copy()
    chosen = broken.index[rng.choice(len(frame), round(share * len(frame)), replace=False)]
    broken.loc[chosen, "annual_income"] = 0.0
    return broken


def _hidden_tables(seed: int) -> dict[str, tuple[object, bool]]:
    """What the table holds -> (table, whether the check must pass it). Drawn afresh, never shown.

    Shares either side of 1% and ratios either side of 5 catch a wrong constant, a share of
    exactly 1% and loans of exactly 5x the income a wrong comparison (incomes and loans are
    whole numbers, so 5x is exact), applicants with no income a division that drops them
    (a loan over an income of 0 is infinite, above 5x); the last two
    defeat checks that look at one column, or at loans against a typical income (the median),
    instead of each loan against its own applicant's income.
    """
    rng = np.random.default_rng(seed)
    clean = data.make_applications(3_000, seed=int(rng.integers(1, 1_000_000)))
    income = clean["annual_income"]
    poor = (income < income.quantile(0.4)).to_numpy()
    rich = (income > income.quantile(0.8)).to_numpy()
    return {
        "nothing wrong": (clean, True),
        "0.3% of loans at 6x the income": (_big_loans(clean, 0.003, rng), True),
        "0.7% of loans at 5.5x the income": (_big_loans(clean, 0.007, rng, 5.5), True),
        "incomes in thousands": (corrupt(clean, "units"), False),
        "1.5% of loans at 5.5x the income": (_big_loans(clean, 0.015, rng, 5.5), False),
        "4% of the lowest earners asking for 6x their (small) income": (
            _big_loans(clean, 0.04, rng, rows=poor),
            False,
        ),
        "8% of the highest earners asking for 4.5x their (large) income: allowed": (
            _big_loans(clean, 0.08, rng, 4.5, rows=rich),
            True,
        ),
        "exactly 1% of loans at 6x the income: allowed (not more than 1%)": (
            _big_loans(clean, 0.01, rng),
            True,
        ),
        "1.5% of loans at exactly 5x the income: allowed (not above 5x)": (
            _big_loans(clean, 0.015, rng, 5.0),
            True,
        ),
        "1.5% of applicants with no income asking for a loan": (
            _no_income(clean, 0.015, rng),
            False,
        ),
    }


def _check_loan_check(answer: Callable, seed: int) -> tuple[bool, str]:
    if (problem := needs_function(answer, "check_loan_to_income(frame, context)")) is not None:
        return False, problem
    tables = _hidden_tables(seed)
    for what, (table, should_pass) in tables.items():
        outcome = call_answer(answer, f"on a hidden table with {what}", table, DataContext())
        if not isinstance(outcome, Outcome):
            return (
                False,
                f"on {what} your check returned {type(outcome).__name__}, not an Outcome",
            )
        if bool(outcome.passed) != should_pass:
            verb = "fails" if should_pass else "passes"
            return False, (
                f"your check {verb} a hidden table with {what} (its reason: {outcome.reason})"
            )
    return True, (
        f"right on {len(tables)} hidden tables, including shares either side of 1%, big loans "
        "to small earners and 4.5x loans to large ones: it compares each loan with its own "
        "applicant's income"
    )


register(
    Exercise(
        id="07.1",
        prompt=(
            "Write a data check `check_loan_to_income(frame, context) -> Outcome` that fails "
            "when more than 1% of applications ask for a loan above 5x the annual income."
        ),
        hint=(
            "divide the two columns, compare with 5, take the mean of the True/False values; "
            "return Outcome(name, passed, reason)"
        ),
        checker=_check_loan_check,
        solution=_solution_loan_check,
        wrong_answer=lambda: lambda frame, context: Outcome("always", True, "looks fine"),
    )
)


def _gate_cases(seed: int) -> list[tuple[float, float]]:
    """(candidate, production) ROC AUC pairs at several levels; candidates 0.002-0.008 worse,
    the first exactly 0.002 (so every max_auc_drop of 0.002 or more fails on every draw)."""
    rng = np.random.default_rng(seed)
    levels = (rng.uniform(0.705, 0.75), rng.uniform(0.75, 0.82), rng.uniform(0.82, 0.9))
    drops = (0.002, rng.uniform(0.002, 0.008), rng.uniform(0.002, 0.008))
    return [(float(p - d), float(p)) for p, d in zip(levels, drops, strict=True)]


def _check_strict_gate(answer: GateLimits, seed: int) -> tuple[bool, str]:
    if not isinstance(answer, GateLimits):
        return False, f"expected a GateLimits(...), got {type(answer).__name__}"
    floor, drop = answer.min_roc_auc, answer.max_auc_drop
    defaults = GateLimits()
    others = [
        f"{name} from {getattr(defaults, name)} to {getattr(answer, name)}"
        for name in vars(defaults)
        if name not in ("min_roc_auc", "max_auc_drop")
        and getattr(answer, name) != getattr(defaults, name)
    ]
    if others:
        return False, (
            f"your limits also change {', '.join(others)}: the task tightens the ROC AUC gate "
            "only (a calibration error limit of 0, say, fails production itself)"
        )

    def stopped_by(auc: float, current: float) -> list[str]:
        """The ROC AUC gates that a model with ``auc`` fails, ``current`` serving."""
        failed = []
        if auc < floor:
            failed.append(f"min_roc_auc: {auc:.4f} < {floor:g}")
        if auc < current - drop:
            failed.append(f"no_worse_than_production: {auc:.4f} < {current:.4f} - {drop:g}")
        return failed

    for candidate, production in _gate_cases(seed):
        if fails := stopped_by(production, production):
            return False, (
                f"too strict: a production model with ROC AUC {production:.4f} fails its own "
                f"gates ({'; '.join(fails)})"
            )
        better = production + 0.005
        if fails := stopped_by(better, production):
            return False, (
                f"too strict: a candidate better than production ({better:.4f} vs "
                f"{production:.4f}) is stopped ({'; '.join(fails)})"
            )
        if not stopped_by(candidate, production):
            return False, (
                f"a candidate at {candidate:.4f} with production at {production:.4f} still "
                f"passes both ROC AUC gates: min_roc_auc={floor:g}, and production minus "
                f"max_auc_drop={drop:g} is {production - drop:.4f}"
            )
    return True, (
        "at every production level, a worse candidate stops and production (or better) passes"
    )


def _solution_strict_gate() -> GateLimits:
    return GateLimits(max_auc_drop=0.0)  # no candidate worse than production ships


register(
    Exercise(
        id="07.2",
        prompt=(
            "Tighten a gate: give GateLimits that stop any candidate whose ROC AUC is 0.002 or "
            "more below production's, whatever production's level (0.70 to 0.90), without "
            "failing production itself or a better candidate."
        ),
        hint=(
            "which field of GateLimits says how much worse than production a candidate may be? "
            "A floor (min_roc_auc) cannot follow production's level."
        ),
        checker=_check_strict_gate,
        solution=_solution_strict_gate,
        wrong_answer=lambda: GateLimits(min_roc_auc=0.798),
    )
)
