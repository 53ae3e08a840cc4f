"""Exercises of 07_cicd_for_ml: add a data check, tighten a gate."""

from __future__ import annotations

from collections.abc import Callable

from workshop_lib import data
from workshop_lib.data_checks import CheckOutcome, DataContext, corrupt
from workshop_lib.exercises.core import Exercise, register
from workshop_lib.gates import GateLimits


def _solution_loan_check():
    def check_loan_to_income(frame, context):
        ratio = frame["loan_amount"] / frame["annual_income"]
        share = float((ratio > 5).mean())
        return CheckOutcome(
            "loan_to_income", share <= 0.01, f"{share:.1%} of loans exceed 5x the income"
        )

    return check_loan_to_income


def _check_loan_check(answer: Callable) -> tuple[bool, str]:
    clean = data.make_applications(3_000, seed=71)
    results = {
        "a clean table": answer(clean, DataContext()),
        "incomes in thousands": answer(corrupt(clean, "units"), DataContext()),
    }
    for what, outcome in results.items():
        if not isinstance(outcome, CheckOutcome):
            return (
                False,
                f"on {what} your check returned {type(outcome).__name__}, not a CheckOutcome",
            )
    if not results["a clean table"].passed:
        return False, f"your check fails a clean table: {results['a clean table'].reason}"
    if results["incomes in thousands"].passed:
        return False, "your check passes a table whose incomes are in thousands of dollars"
    return True, f"clean table passes, broken table fails: {results['incomes in thousands'].reason}"


register(
    Exercise(
        id="07.1",
        prompt=(
            "Write a data check `check_loan_to_income(frame, context) -> CheckOutcome` that fails "
            "when more than 1% of applications ask for a loan above 5x the annual income."
        ),
        hint=(
            "divide the two columns, compare with 5, take the mean of the True/False values; "
            "return CheckOutcome(name, passed, reason)"
        ),
        checker=_check_loan_check,
        solution=_solution_loan_check,
        wrong_answer=lambda: lambda frame, context: CheckOutcome("always", True, "looks fine"),
    )
)


def _strict_context() -> dict:
    return {"candidate_auc": 0.798, "production_auc": 0.802}


def _solution_strict_gate(candidate_auc, production_auc):
    return GateLimits(max_auc_drop=0.0)


def _check_strict_gate(answer, candidate_auc, production_auc) -> tuple[bool, str]:
    if not isinstance(answer, GateLimits):
        return False, f"expected a GateLimits(...), got {type(answer).__name__}"
    if answer.max_auc_drop < 0 or answer.min_roc_auc > production_auc:
        return False, "with these limits even the production model would fail: too strict"
    if candidate_auc >= production_auc - answer.max_auc_drop:
        return False, (
            f"a candidate with ROC AUC {candidate_auc:.3f} still passes against "
            f"production's {production_auc:.3f}"
        )
    return True, f"max_auc_drop={answer.max_auc_drop} stops the weaker candidate"


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
