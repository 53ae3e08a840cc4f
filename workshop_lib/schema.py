"""The one feature schema of the loan-default model.

Training, the API, the front end and the data checks all read their column lists, ranges and
categories from here, so a change to a feature is made in exactly one place.

- ``LoanApplication`` validates one application (used by the API and the front end).
- ``validate_frame`` validates a whole table at once (used by the batch job and data checks).
"""

from __future__ import annotations

import numbers
import reprlib
from dataclasses import dataclass
from typing import Annotated, Any, Literal, get_args

import numpy as np
import pandas as pd
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

SCHEMA_VERSION = "1"

ID_COLUMN = "application_id"
TIME_COLUMN = "applied_at"
TARGET_COLUMN = "defaulted"

HomeOwnership = Literal["rent", "mortgage", "own", "other"]
Purpose = Literal[
    "debt_consolidation",
    "credit_card",
    "home_improvement",
    "car",
    "medical",
    "small_business",
    "green_energy",  # a product launched after the reference period: the model never saw it
]
Term = Literal["36_months", "60_months"]
Channel = Literal["online", "branch", "broker"]


_PLAIN_NUMBERS = (int, float)


def _strict_number(value: Any) -> Any:
    """Numbers must be numbers: ``true``/``false`` and numeric strings like ``"38"`` are refused.

    JSON has a number type; a client that sends a string or a boolean for an amount has a bug
    that silently scoring ``true`` as 1 would hide. The same rule holds for the API, the stream
    and uploaded tables, because all three validate with this schema.
    """
    if type(value) in _PLAIN_NUMBERS:  # what parsed JSON holds: skip the slow ABC check
        return value
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise ValueError(f"must be a JSON number, not {type(value).__name__}")
    return value


Integer = Annotated[int, BeforeValidator(_strict_number)]
Number = Annotated[float, BeforeValidator(_strict_number)]


# The documented example (shown in the API docs): a typical reference-period applicant.
EXAMPLE_APPLICATION: dict[str, Any] = {
    "age": 38,
    "annual_income": 62000.0,
    "loan_amount": 15000.0,
    "credit_score": 690,
    "debt_to_income": 0.28,
    "employment_years": 6.0,
    "num_credit_lines": 7,
    "delinquencies_2y": 0,
    "home_ownership": "mortgage",
    "purpose": "debt_consolidation",
    "term": "36_months",
    "channel": "online",
}


class LoanApplication(BaseModel):
    """One loan application, as a client sends it to the model."""

    model_config = ConfigDict(
        extra="forbid",
        allow_inf_nan=False,
        json_schema_extra={"examples": [EXAMPLE_APPLICATION]},
    )

    age: Integer = Field(ge=18, le=100, title="Age (years)", description="Applicant age in years.")
    annual_income: Number = Field(
        ge=0,
        le=5_000_000,
        title="Annual income (USD)",
        description="Gross yearly income before tax, in US dollars.",
    )
    loan_amount: Number = Field(
        ge=500, le=1_000_000, title="Loan amount (USD)", description="Requested amount in USD."
    )
    credit_score: Integer = Field(
        ge=300,
        le=850,
        title="Credit score (300-850)",
        description="FICO-style score: higher means a better repayment history.",
    )
    debt_to_income: Number = Field(
        ge=0,
        le=2.0,
        title="Debt-to-income ratio",
        description="Monthly debt payments / monthly income (0.28 means 28 %).",
    )
    employment_years: Number = Field(
        ge=0, le=60, title="Years employed", description="Years with current employer."
    )
    num_credit_lines: Integer = Field(
        ge=0, le=80, title="Open credit lines", description="Credit cards and loans open today."
    )
    delinquencies_2y: Integer = Field(
        ge=0,
        le=30,
        title="Late payments (2 years)",
        description="Late payments in the last 2 years.",
    )
    home_ownership: HomeOwnership = Field(
        title="Home ownership", description="Rents, pays a mortgage, owns outright, or other."
    )
    purpose: Purpose = Field(title="Loan purpose", description="What the loan will pay for.")
    term: Term = Field(title="Term", description="Repayment period of the loan.")
    channel: Channel = Field(
        title="Application channel",
        description="Where the application came in: online, at a branch, or through a broker.",
    )


@dataclass(frozen=True)
class NumericFeature:
    """A numeric column with its allowed closed range."""

    name: str
    minimum: float
    maximum: float
    integer: bool
    description: str


def _numeric_features() -> tuple[NumericFeature, ...]:
    features = []
    for name, field in LoanApplication.model_fields.items():
        if field.annotation not in (int, float):
            continue
        bounds = {type(m).__name__: m for m in field.metadata}
        features.append(
            NumericFeature(
                name=name,
                minimum=float(bounds["Ge"].ge),
                maximum=float(bounds["Le"].le),
                integer=field.annotation is int,
                description=field.description or "",
            )
        )
    return tuple(features)


NUMERIC: tuple[NumericFeature, ...] = _numeric_features()
NUMERIC_FEATURES: list[str] = [f.name for f in NUMERIC]
CATEGORIES: dict[str, tuple[str, ...]] = {
    name: get_args(field.annotation)
    for name, field in LoanApplication.model_fields.items()
    if field.annotation not in (int, float)
}
CATEGORICAL_FEATURES: list[str] = list(CATEGORIES)
FEATURES: list[str] = list(LoanApplication.model_fields)
# What a person reads: a label with its unit, and a one-line help text, for every feature.
LABELS: dict[str, str] = {
    name: field.title or name for name, field in LoanApplication.model_fields.items()
}
HELP: dict[str, str] = {
    name: field.description or "" for name, field in LoanApplication.model_fields.items()
}


class SchemaError(ValueError):
    """A table or record does not match the feature schema; ``problems`` lists each finding."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        shown = "\n  - ".join(problems[:20])
        more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__(f"{len(problems)} schema problem(s):\n  - {shown}{more}")


def validate_record(record: dict[str, Any]) -> LoanApplication:
    """Validate one application; raise ``SchemaError`` whose messages name each bad field."""
    try:
        return LoanApplication.model_validate(record)
    except ValidationError as error:
        raise SchemaError(
            [f"{'.'.join(map(str, e['loc'])) or 'record'}: {e['msg']}" for e in error.errors()]
        ) from None


def _column_problems(frame: pd.DataFrame, feature: NumericFeature) -> list[str]:
    column = frame[feature.name]
    if not (pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)):
        return [f"{feature.name}: expected a number column, got dtype {column.dtype}"]
    values = column.to_numpy(dtype="float64", na_value=np.nan)
    problems = []
    finite_mask = np.isfinite(values)
    finite = values
    if not finite_mask.all():  # the usual case skips the counting and the copy
        missing = int(np.isnan(values).sum())
        if missing:
            problems.append(f"{feature.name}: {missing} missing value(s)")
        infinite = int(np.isinf(values).sum())
        if infinite:
            problems.append(f"{feature.name}: {infinite} infinite value(s)")
        finite = values[finite_mask]
    if finite.size and (finite.min() < feature.minimum or finite.max() > feature.maximum):
        outside = finite[(finite < feature.minimum) | (finite > feature.maximum)]
        problems.append(
            f"{feature.name}: {outside.size} value(s) outside [{feature.minimum:g}, "
            f"{feature.maximum:g}], e.g. {outside[0]:g}"
        )
    if feature.integer and not (
        pd.api.types.is_integer_dtype(column) or np.array_equal(finite, np.trunc(finite))
    ):
        problems.append(f"{feature.name}: expected whole numbers")
    return problems


_SHORT = reprlib.Repr()
_SHORT.maxlevel, _SHORT.maxlist, _SHORT.maxdict, _SHORT.maxstring = 2, 3, 3, 40


def _category_problems(name: str, column: pd.Series, allowed: tuple[str, ...]) -> list[str]:
    """Missing values, values that are not text (a list, an object) and unknown categories."""
    problems = []
    present = column.dropna()
    if len(present) < len(column):
        problems.append(f"{name}: {len(column) - len(present)} missing value(s)")
    try:
        distinct = pd.unique(present)  # distinct values first: the usual case is a few
    except TypeError:  # a list or an object in the column cannot be hashed: not a category
        containers = present.map(lambda value: isinstance(value, list | dict | set)).astype(bool)
        example = _SHORT.repr(present[containers].iloc[0])  # bounded, even 100,000 levels deep
        problems.append(
            f"{name}: {int(containers.sum())} value(s) are a list or an object, not one of "
            f"{list(allowed)}, e.g. {example}"
        )
        distinct = pd.unique(present[~containers])
    unknown = sorted({str(value) for value in distinct} - set(allowed))
    if unknown:
        problems.append(f"{name}: unknown categories {unknown}; allowed {list(allowed)}")
    return problems


def validate_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Check every feature column of ``frame`` at once and return it unchanged if valid.

    Raises ``SchemaError`` listing every problem: missing columns, wrong dtypes, missing or
    infinite values, values out of range and unknown categories, each naming its column.
    """
    problems = [f"{name}: column is missing" for name in FEATURES if name not in frame.columns]
    for feature in NUMERIC:
        if feature.name in frame.columns:
            problems += _column_problems(frame, feature)
    for name, allowed in CATEGORIES.items():
        if name in frame.columns:
            problems += _category_problems(name, frame[name], allowed)
    if problems:
        raise SchemaError(problems)
    return frame


def describe() -> dict[str, Any]:
    """The schema as plain data, stored in every model's metadata and compared across versions."""
    return {
        "version": SCHEMA_VERSION,
        "numeric": {
            f.name: {"min": f.minimum, "max": f.maximum, "integer": f.integer} for f in NUMERIC
        },
        "categorical": {name: list(values) for name, values in CATEGORIES.items()},
        "id": ID_COLUMN,
        "time": TIME_COLUMN,
        "target": TARGET_COLUMN,
    }
