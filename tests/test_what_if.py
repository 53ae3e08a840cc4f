"""What-if grids: the applicant's own value, the feature's usual range, its type."""

from __future__ import annotations

import pytest

from workshop_lib import schema
from workshop_lib.realtime.what_if import feature_grid, reference_ranges, what_if_rows


@pytest.mark.parametrize("feature", schema.NUMERIC, ids=lambda f: f.name)
def test_grid_spans_the_usual_range_and_holds_the_applicant(feature):
    current = float(schema.EXAMPLE_APPLICATION[feature.name])
    grid = feature_grid(feature.name, current, points=10)
    low, high = reference_ranges()[feature.name]
    assert current in grid and grid == sorted(grid)
    assert grid[0] <= max(low, feature.minimum) + 1 and grid[-1] >= min(high, feature.maximum) - 1
    assert feature.minimum <= grid[0] and grid[-1] <= feature.maximum
    if feature.integer:
        assert all(value == int(value) for value in grid)


def test_an_unusual_applicant_widens_the_grid_to_include_them():
    grid = feature_grid("annual_income", 4_000_000.0)
    assert grid[-1] == 4_000_000.0


def test_rows_vary_one_feature_and_keep_integers_integers():
    applicant = dict(schema.EXAMPLE_APPLICATION)
    rows = what_if_rows(applicant, "age", [20.0, 30.0])
    assert [row["age"] for row in rows] == [20, 30] and all(type(r["age"]) is int for r in rows)
    assert all({**row, "age": applicant["age"]} == applicant for row in rows)
    schema.validate_record(rows[0])


@pytest.mark.parametrize(("name", "points"), [("purpose", 5), ("age", 1)])
def test_bad_requests_are_clear_errors(name, points):
    with pytest.raises(ValueError, match="numeric feature|points"):
        feature_grid(name, 1.0, points)
