"""What-if: how the default probability moves as one feature of an application varies.

The front end scores the whole curve in one ``POST /predict/batch`` call: one row per value of the
chosen feature, everything else as the applicant entered it.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

from workshop_lib import data, schema

POINTS = 25


@lru_cache(maxsize=1)
def reference_ranges() -> dict[str, tuple[float, float]]:
    """Each numeric feature's 1st to 99th percentile in the reference period."""
    frame = data.make_applications(5_000, seed=0)
    return {
        feature.name: (
            float(frame[feature.name].quantile(0.01)),
            float(frame[feature.name].quantile(0.99)),
        )
        for feature in schema.NUMERIC
    }


def feature_grid(name: str, current: float, points: int = POINTS) -> list[float]:
    """``points`` values of a numeric feature across its usual range, the applicant's included."""
    feature = next((f for f in schema.NUMERIC if f.name == name), None)
    if feature is None:
        raise ValueError(
            f"{name!r} is not a numeric feature; choose one of {schema.NUMERIC_FEATURES}"
        )
    if points < 2:
        raise ValueError(f"points must be >= 2, got {points}")
    low, high = reference_ranges()[name]
    low, high = max(feature.minimum, min(low, current)), min(feature.maximum, max(high, current))
    grid = np.append(np.linspace(low, high, points), current)
    if feature.integer:
        grid = np.rint(grid)
    return sorted({float(value) for value in grid})


def what_if_rows(
    application: dict[str, Any], name: str, values: list[float]
) -> list[dict[str, Any]]:
    """The application once per value of ``name`` (integers stay integers)."""
    feature = next(f for f in schema.NUMERIC if f.name == name)
    cast = int if feature.integer else float
    return [{**application, name: cast(value)} for value in values]
