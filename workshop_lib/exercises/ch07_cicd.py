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


def _big_loans(frame, share: float, seed: int):
    """A copy in which ``share`` of the applications ask for 6x their income (incomes intact)."""
    rng = np.random.default_rng(seed)
    broken = frame.copy()
    rows = rng.random(len(frame)) < share
    broken.loc[rows, "loan_amount"] = 6 * broken.loc[rows, "annual_income"]
    return broken


def _check_loan_check(answer: Callable) -> tuple[bool, str]:
    clean = data.make_applications(3_000, seed=71)
    # what the table holds -> whether the check must pass it
    tables = {
        "a clean table": (clean, True),
        "a table where 0.3% of loans exceed 5x the income": (_big_loans(clean, 0.003, 1), True),
        "incomes in thousands": (corrupt(clean, "units"), False),
        "normal incomes, but 4% of loans at 6x the income": (_big_loans(clean, 0.04, 2), False),
    }
    for what, (table, should_pass) in tables.items():
        outcome = answer(table, DataContext())
        if not isinstance(outcome, Outcome):
            return (
                False,
                f"on {what} your check returned {type(outcome).__name__}, not an Outcome",
            )
        if bool(outcome.passed) != should_pass:
            verb = "fails" if should_pass else "passes"
            return False, f"your check {verb} {what} (its reason: {outcome.reason})"
    return True, "passes the clean tables, fails both broken ones: it looks at the ratio itself"


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

    def passes(auc: float) -> bool:  # the two gates GateLimits sets on ROC AUC
        return auc >= answer.min_roc_auc and auc >= production_auc - answer.max_auc_drop

    if answer.max_auc_drop < 0 or not passes(production_auc):
        return False, "with these limits even the production model would fail: too strict"
    if passes(candidate_auc):
        return False, (
            f"a candidate with ROC AUC {candidate_auc:.3f} still passes against "
            f"production's {production_auc:.3f}"
        )
    return True, (
        f"min_roc_auc={answer.min_roc_auc}, max_auc_drop={answer.max_auc_drop}: the weaker "
        "candidate stops, production would pass"
    )


register(
    Exercise(
        id="07.2",
        prompt=(
            "Tighten a gate: give GateLimits that stop a candidate slightly worse than "
            "production (`candidate_auc` vs `production_auc`) without failing production itself."
        ),
        hint="which field of GateLimits says how much worse than production a candidate may be?",
        checker=_check_strict_gate,
        solution=_solution_strict_gate,
        example_context=_strict_context,
        wrong_answer=lambda candidate_auc, production_auc: GateLimits(),
    )
)
