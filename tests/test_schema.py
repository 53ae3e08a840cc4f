"""One schema, two validators: each bad input is rejected with a message naming the field."""

from __future__ import annotations

import math

import numpy as np
import pytest

from workshop_lib import data, schema

GOOD = schema.EXAMPLE_APPLICATION


def test_the_documented_example_is_valid():
    application = schema.validate_record(GOOD)
    assert application.purpose == "debt_consolidation"


def test_column_lists_come_from_the_model():
    assert schema.FEATURES == schema.NUMERIC_FEATURES + schema.CATEGORICAL_FEATURES
    assert "green_energy" in schema.CATEGORIES["purpose"]
    income = next(f for f in schema.NUMERIC if f.name == "annual_income")
    assert (income.minimum, income.integer) == (0, False)


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"credit_score": None}, "credit_score", "JSON number"),
        ({"credit_score": "high"}, "credit_score", "JSON number"),
        ({"credit_score": 901}, "credit_score", "less than or equal to 850"),
        ({"age": 12}, "age", "greater than or equal to 18"),
        ({"age": 30.5}, "age", "fractional"),
        ({"loan_amount": -5}, "loan_amount", "greater than or equal"),
        ({"annual_income": math.nan}, "annual_income", "finite"),
        ({"annual_income": math.inf}, "annual_income", "finite"),
        ({"purpose": "yacht"}, "purpose", "debt_consolidation"),
        ({"surprise": 1}, "surprise", "Extra inputs"),
    ],
)
def test_bad_records_name_the_field(change, field, words):
    with pytest.raises(schema.SchemaError) as caught:
        schema.validate_record({**GOOD, **change})
    assert any(p.startswith(f"{field}:") and words in p for p in caught.value.problems), (
        caught.value.problems
    )


def test_missing_field_is_named():
    record = dict(GOOD)
    del record["term"]
    with pytest.raises(schema.SchemaError, match="term: Field required"):
        schema.validate_record(record)


def test_frame_validation_collects_every_problem():
    frame = data.make_applications(200, seed=1)
    frame = frame.drop(columns=["term"])
    frame["credit_score"] = frame["credit_score"].astype("float64")
    frame.loc[0, "credit_score"] = np.nan
    frame.loc[1, "age"] = 150
    frame.loc[2, "annual_income"] = np.inf
    frame["purpose"] = frame["purpose"].astype(str)
    frame.loc[3, "purpose"] = "yacht"
    frame["channel"] = frame["channel"].astype(str)
    frame["debt_to_income"] = frame["debt_to_income"].astype(str)
    with pytest.raises(schema.SchemaError) as caught:
        schema.validate_frame(frame)
    problems = "\n".join(caught.value.problems)
    assert "term: column is missing" in problems
    assert "credit_score: 1 missing value(s)" in problems
    assert "age: 1 value(s) outside [18, 100], e.g. 150" in problems
    assert "annual_income: 1 infinite value(s)" in problems
    assert "purpose: unknown categories ['yacht']" in problems
    assert "debt_to_income: expected a number column" in problems
    assert "channel" not in problems


def test_whole_number_columns_reject_fractions():
    frame = data.make_applications(10, seed=1)
    frame["num_credit_lines"] = frame["num_credit_lines"] + 0.5
    with pytest.raises(schema.SchemaError, match="num_credit_lines: expected whole numbers"):
        schema.validate_frame(frame)


def test_describe_is_plain_data_for_metadata():
    described = schema.describe()
    assert described["numeric"]["credit_score"] == {"min": 300.0, "max": 850.0, "integer": True}
    assert described["categorical"]["term"] == ["36_months", "60_months"]


def _nested(depth: int) -> list:
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    "value", [["rent"], {"rent": 1}, _nested(100_000)], ids=["list", "object", "deep"]
)
def test_a_list_or_object_in_a_category_column_is_a_schema_error(value):
    """A list category raised ``TypeError: unhashable type``, not a ``SchemaError``."""
    frame = data.make_applications(20, seed=2)
    frame["home_ownership"] = frame["home_ownership"].astype(object)
    frame.at[5, "home_ownership"] = value
    frame.loc[6, "home_ownership"] = "castle"
    with pytest.raises(schema.SchemaError) as caught:
        schema.validate_frame(frame)
    problems = caught.value.problems
    assert problems[0].startswith("home_ownership: 1 value(s) are a list or an object")
    assert len(problems[0]) < 200  # a bounded example, however deep the value
    assert problems[1].startswith("home_ownership: unknown categories ['castle']")
