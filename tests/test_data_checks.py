"""Data tests: a clean table passes every check; each kind of broken table fails the right one."""

from __future__ import annotations

import pandas as pd
import pytest

from workshop_lib import data
from workshop_lib.cicd.data_checks import (
    CORRUPTIONS,
    DEFAULT_CHECKS,
    DataLimits,
    corrupt,
    single_feature_auc,
    validate_training_data,
)
from workshop_lib.cicd.outcomes import Outcome


@pytest.fixture(scope="module")
def tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    """A new 6k-row training table and a 4k-row holdout with ids after it."""
    return data.make_applications(6_000, seed=31), data.make_applications(
        4_000, seed=32, first_id=6_001
    )


def failed(outcomes: list[Outcome]) -> set[str]:
    return {outcome.name for outcome in outcomes if not outcome.passed}


def test_clean_table_passes_every_check(tables):
    train, holdout = tables
    outcomes = validate_training_data(train, reference=holdout, holdout=holdout)
    assert [o.name for o in outcomes] == [
        check.__name__.removeprefix("check_") for check in DEFAULT_CHECKS
    ]
    assert failed(outcomes) == set(), [str(o) for o in outcomes]
    assert all(o.reason for o in outcomes)


# Which check each corruption must trip. Shuffled labels look normal to every data check:
# only the model gates catch them (tests/test_gates.py).
EXPECTED = {
    "shuffle_labels": set(),
    "flip_labels": {"label_balance"},
    "leak_label": {"leakage"},
    "duplicate_rows": {"duplicates"},
    "missing_values": {"schema", "nulls"},
    "units": {"ranges"},
}


@pytest.mark.parametrize("how", CORRUPTIONS)
def test_each_corruption_fails_its_check(tables, how):
    train, holdout = tables
    outcomes = validate_training_data(corrupt(train, how), reference=holdout, holdout=holdout)
    assert failed(outcomes) == EXPECTED[how], [str(o) for o in outcomes if not o.passed]


def test_reasons_name_the_problem(tables):
    train, holdout = tables
    by_name = {
        o.name: o for o in validate_training_data(corrupt(train, "leak_label"), reference=holdout)
    }
    assert "debt_to_income" in by_name["leakage"].reason
    assert by_name["leakage"].details["single_feature_auc"]["debt_to_income"] > 0.99
    assert str(by_name["leakage"]).startswith("FAIL  leakage:")


def test_holdout_rows_in_training_data_are_leakage(tables):
    train, holdout = tables
    mixed = pd.concat([train, holdout.head(10)], ignore_index=True)
    outcome = validate_training_data(mixed, holdout=holdout, checks=DEFAULT_CHECKS[-1:])[0]
    assert not outcome.passed and "10 application_ids are in both" in outcome.reason


def test_too_few_rows_and_limits(tables):
    train, _ = tables
    assert "size" in failed(validate_training_data(train.head(500)))
    assert "size" not in failed(
        validate_training_data(train.head(500), limits=DataLimits(min_rows=100))
    )


def test_label_problems(tables):
    train, _ = tables
    assert {"label", "label_balance"} <= failed(
        validate_training_data(train.drop(columns="defaulted"))
    )
    odd = train.assign(defaulted=train["defaulted"].replace({1: 2}))
    outcome = next(o for o in validate_training_data(odd) if o.name == "label")
    assert not outcome.passed and "other than 0/1" in outcome.reason


def test_without_reference_ranges_are_not_compared(tables):
    train, _ = tables
    outcome = next(o for o in validate_training_data(corrupt(train, "units")) if o.name == "ranges")
    assert outcome.passed and "no reference" in outcome.reason


def test_extra_check_runs_after_the_defaults(tables):
    train, _ = tables

    def check_has_online(frame, context):
        share = float((frame["channel"] == "online").mean())
        return Outcome("has_online", share > 0.99, f"{share:.0%} online")

    outcomes = validate_training_data(train, extra_checks=[check_has_online])
    assert outcomes[-1].name == "has_online" and not outcomes[-1].passed


def test_single_feature_auc_skips_missing_values(tables):
    train, _ = tables
    scores = single_feature_auc(corrupt(train, "missing_values"))
    assert set(scores) >= {"credit_score", "debt_to_income"}
    assert all(0.5 <= score <= 1 for score in scores.values())


def test_bad_input_is_named(tables):
    with pytest.raises(TypeError, match="pandas DataFrame"):
        validate_training_data([1, 2, 3])
    with pytest.raises(ValueError, match="unknown corruption 'nope'"):
        corrupt(tables[0], "nope")
