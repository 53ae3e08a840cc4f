"""The checkers of chapters 07 and 08 accept every valid answer and reject near misses with a
true reason: the mistakes the first versions let through."""

from __future__ import annotations

from workshop_lib.cicd.gates import GateLimits
from workshop_lib.cicd.outcomes import Outcome
from workshop_lib.exercises import check
from workshop_lib.exercises.ch08_monitoring import _example_windows
from workshop_lib.monitoring.alerts import AlertRule

NOTEBOOK_AUCS = {"candidate_auc": 0.7963, "production_auc": 0.7995}  # printed 0.796 and 0.800


def test_07_1_rejects_a_check_against_the_median_income():
    def median_check(frame, context):
        share = float((frame["loan_amount"] > 5 * frame["annual_income"].median()).mean())
        return Outcome("loan_to_income", share <= 0.01, f"{share:.1%}")

    result = check("07.1", median_check)
    assert result.passed is False, result
    assert "hidden table" in result.message


def test_07_1_rejects_a_function_that_is_not_a_check():
    assert check("07.1", 42).passed is False


def test_07_2_accepts_every_valid_fix():
    for limits in (
        GateLimits(max_auc_drop=0.0),
        GateLimits(max_auc_drop=0.002),
        GateLimits(min_roc_auc=0.798),
        GateLimits(min_roc_auc=0.799, max_auc_drop=0.005),
    ):
        result = check("07.2", limits, **NOTEBOOK_AUCS)
        assert result.passed is True, (limits, result)


def test_07_2_rejects_wrong_fixes_with_true_reasons():
    too_strict = check("07.2", GateLimits(min_roc_auc=0.80), **NOTEBOOK_AUCS)
    assert too_strict.passed is False and "min_roc_auc: 0.7995 < 0.8" in too_strict.message
    loose = check("07.2", GateLimits(max_auc_drop=0.005), **NOTEBOOK_AUCS)
    assert loose.passed is False and "still passes" in loose.message
    negative = check("07.2", GateLimits(max_auc_drop=-0.001), **NOTEBOOK_AUCS)
    assert negative.passed is False and "production model itself" in negative.message


def test_08_2_rejects_the_printed_value_and_a_constant_function():
    assert check("08.2", 0.05 / 12).passed is False
    assert check("08.2", lambda alpha, columns: 0.05 / 12).passed is False
    assert check("08.2", lambda alpha, columns: alpha).passed is False


def test_08_2_accepts_bonferroni_and_sidak():
    assert check("08.2", lambda alpha, columns: alpha / columns).passed is True
    sidak = check("08.2", lambda alpha, columns: 1 - (1 - alpha) ** (1 / columns))
    assert sidak.passed is True


def test_08_3_checks_the_action():
    windows = _example_windows()
    right_limit_wrong_action = AlertRule("d", "decline_rate", 0.2, "above", "retrain", "declined")
    result = check("08.3", right_limit_wrong_action, windows=windows)
    assert result.passed is False and "'retrain' does not fit" in result.message
    right = AlertRule("d", "decline_rate", 0.2, "above", "page", "declined")
    assert check("08.3", right, windows=windows).passed is True
