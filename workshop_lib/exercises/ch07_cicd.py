"""Exercises of 07_cicd_for_ml: add a data check, tighten a gate."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from workshop_lib import data
from workshop_lib.cicd.data_checks import DataContext, corrupt
from workshop_lib.cicd.gates import GateLimits
from workshop_lib.cicd.outcomes import Outcome
from workshop_lib.exercises.core import Exercise, register


def _solution_loan_check():
    def check_loan_to_income(frame, context):
        ratio = frame["loan_amount"] / frame["annual_income"]
        share = float((ratio > 5).mean())
        return Outcome(
            "loan_to_income", share <= 0.01, f"{share:.1%} of loans exceed 5x the income"
        )

    return check_loan_to_income


def _big_loans(frame, share: float, seed: int, times: float = 6.0, rows=None):
    """A copy in which ``share`` of the applications (of ``rows``, all by default) ask for
    ``times`` their income (incomes intact)."""
    rng = np.random.default_rng(seed)
    broken = frame.copy()
    eligible = np.ones(len(frame), dtype=bool) if rows is None else np.asarray(rows)
    chosen = eligible & (rng.random(len(frame)) < share / max(eligible.mean(), 1e-9))
    broken.loc[chosen, "loan_amount"] = times * broken.loc[chosen, "annual_income"]
    return broken


def _hidden_tables(seed: int) -> dict[str, tuple[object, bool]]:
    """What the table holds -> (table, whether the check must pass it). Drawn afresh, never shown.

    The last two defeat checks that look at one column, or at loans against a typical income
    (the median), instead of each loan against its own applicant's income.
    """
    clean = data.make_applications(3_000, seed=seed)
    income = clean["annual_income"]
    poor, rich = income < income.quantile(0.4), income > income.quantile(0.8)
    return {
        "a clean table": (clean, True),
        "a table where 0.3% of loans exceed 5x the income": (
            _big_loans(clean, 0.003, seed + 1),
            True,
        ),
        "incomes in thousands": (corrupt(clean, "units"), False),
        "normal incomes, but 4% of loans at 6x the income": (
            _big_loans(clean, 0.04, seed + 2),
            False,
        ),
        "4% of the lowest earners asking for 6x their (small) income": (
            _big_loans(clean, 0.04, seed + 3, rows=poor),
            False,
        ),
        "8% of the highest earners asking for 4x their (large) income: allowed": (
            _big_loans(clean, 0.08, seed + 4, times=4.0, rows=rich),
            True,
        ),
    }


def _check_loan_check(answer: Callable) -> tuple[bool, str]:
    if not callable(answer):
        return False, f"expected a function check(frame, context), got {type(answer).__name__}"
    seed = int(np.random.default_rng().integers(100, 10_000))
    for what, (table, should_pass) in _hidden_tables(seed).items():
        outcome = answer(table, DataContext())
        if not isinstance(outcome, Outcome):
            return (
                False,
                f"on {what} your check returned {type(outcome).__name__}, not an Outcome",
            )
        if bool(outcome.passed) != should_pass:
            verb = "fails" if should_pass else "passes"
            return False, (
                f"your check {verb} a hidden table with {what} (seed {seed}; its reason: "
                f"{outcome.reason})"
            )
    return True, (
        f"right on 6 hidden tables (seed {seed}), including big loans to small earners and "
        "4x loans to large ones: it compares each loan with its own applicant's income"
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


def _strict_context() -> dict:
    return {"candidate_auc": 0.798, "production_auc": 0.802}


def _solution_strict_gate(candidate_auc, production_auc):
    return GateLimits(max_auc_drop=0.0)


def _check_strict_gate(answer, candidate_auc, production_auc) -> tuple[bool, str]:
    if not isinstance(answer, GateLimits):
        return False, f"expected a GateLimits(...), got {type(answer).__name__}"
    floor, drop = answer.min_roc_auc, answer.max_auc_drop

    def stopped_by(auc: float, current: float) -> list[str]:
        """The ROC AUC gates (of the two GateLimits sets) that a model with ``auc`` fails."""
        failed = []
        if auc < floor:
            failed.append(f"min_roc_auc: {auc:.4f} < {floor:g}")
        if auc < current - drop:
            failed.append(f"no_worse_than_production: {auc:.4f} < {current:.4f} - {drop:g}")
        return failed

    production_fails = stopped_by(production_auc, production_auc)
    if production_fails:
        return False, (
            "too strict: the production model itself (ROC AUC "
            f"{production_auc:.4f} unrounded) would fail {'; '.join(production_fails)}"
        )
    candidate_fails = stopped_by(candidate_auc, production_auc)
    if not candidate_fails:
        return False, (
            f"the candidate (ROC AUC {candidate_auc:.4f}) still passes both ROC AUC gates: "
            f"min_roc_auc={floor:g}, and production ({production_auc:.4f}) minus "
            f"max_auc_drop={drop:g} is {production_auc - drop:.4f}"
        )
    return True, (
        f"the candidate stops at {'; '.join(candidate_fails)}, and production "
        f"({production_auc:.4f}) passes"
    )


register(
    Exercise(
        id="07.2",
        prompt=(
            "Tighten a gate: give GateLimits that stop a candidate slightly worse than "
            "production (`candidate_auc` vs `production_auc`) without failing production itself."
        ),
        hint=(
            "which field of GateLimits says how much worse than production a candidate may be? "
            "(raising min_roc_auc between the two works too: compare the unrounded values)"
        ),
        checker=_check_strict_gate,
        solution=_solution_strict_gate,
        example_context=_strict_context,
        wrong_answer=lambda candidate_auc, production_auc: GateLimits(),
    )
)
