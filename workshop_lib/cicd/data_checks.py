"""Data tests for new training data: each check answers pass or fail, with the reason.

A model is only as good as the table it learns from, so the CI/CD pipeline checks a new
training table *before* it trains on it. Every check is a plain function
``check(frame, context) -> Outcome``; ``validate_training_data`` runs them all:

- ``schema``: the feature columns, dtypes, ranges and categories the API accepts
  (``workshop_lib.schema.validate_frame``).
- ``label``: the ``defaulted`` column exists and holds only 0 and 1.
- ``nulls``: no missing values in any column, ids, times and label included.
- ``size``: enough rows to learn from.
- ``ranges``: each number's median lies inside the reference's 5-95 % band (catches unit
  changes such as incomes in thousands, which still pass the schema's bounds).
- ``duplicates``: no repeated application ids, few exactly repeated rows.
- ``label_balance``: a plausible default rate, close to the reference's.
- ``leakage``: no feature predicts the label almost perfectly on its own, and no holdout
  application is also in the training table.

``corrupt`` makes the broken tables the workbook uses to show each check failing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from workshop_lib import schema
from workshop_lib.cicd.outcomes import Outcome


@dataclass(frozen=True)
class DataLimits:
    """The thresholds of the data checks (tighten or loosen them here, in one place)."""

    min_rows: int = 1_000
    max_duplicate_row_share: float = 0.001
    min_default_rate: float = 0.02
    max_default_rate: float = 0.60
    max_default_rate_change: float = 0.15
    max_single_feature_auc: float = 0.90
    median_band: tuple[float, float] = (0.05, 0.95)
    leakage_sample_rows: int = 20_000


@dataclass(frozen=True)
class DataContext:
    """What a check may compare the new table with: a reference table and the holdout."""

    reference: pd.DataFrame | None = None
    holdout: pd.DataFrame | None = None
    limits: DataLimits = DataLimits()


DataCheck = Callable[[pd.DataFrame, DataContext], Outcome]


def _outcome(name: str, problems: list[str], ok: str, **details: Any) -> Outcome:
    if problems:
        return Outcome(name, False, "; ".join(problems), details)
    return Outcome(name, True, ok, details)


def check_schema(frame: pd.DataFrame, context: DataContext) -> Outcome:
    """The feature columns match the schema the API enforces (columns, dtypes, ranges)."""
    try:
        schema.validate_frame(frame)
    except schema.SchemaError as error:
        shown = "; ".join(error.problems[:3])
        more = f" (+{len(error.problems) - 3} more)" if len(error.problems) > 3 else ""
        return Outcome("schema", False, shown + more, {"problems": error.problems})
    return Outcome("schema", True, f"all {len(schema.FEATURES)} features match the schema")


def check_label(frame: pd.DataFrame, context: DataContext) -> Outcome:
    """The label column exists and holds only 0 and 1."""
    target = schema.TARGET_COLUMN
    if target not in frame.columns:
        return Outcome("label", False, f"label column {target!r} is missing")
    values = set(pd.unique(frame[target].dropna()))
    unexpected = sorted(values - {0, 1}, key=str)
    problems = (
        [f"{target} holds values other than 0/1, e.g. {unexpected[:3]}"] if unexpected else []
    )
    return _outcome("label", problems, f"{target} holds only 0 and 1")


def check_nulls(frame: pd.DataFrame, context: DataContext) -> Outcome:
    """No missing values in any column."""
    missing = frame.isna().sum()
    missing = missing[missing > 0]
    problems = [f"{column}: {count} missing" for column, count in missing.items()]
    return _outcome(
        "nulls", problems, f"no missing values in {frame.shape[1]} columns", missing=len(missing)
    )


def check_size(frame: pd.DataFrame, context: DataContext) -> Outcome:
    """Enough rows to train on."""
    needed = context.limits.min_rows
    problems = (
        [f"{len(frame):,} rows, fewer than the {needed:,} needed"] if len(frame) < needed else []
    )
    return _outcome("size", problems, f"{len(frame):,} rows (>= {needed:,})", rows=len(frame))


def check_ranges(frame: pd.DataFrame, context: DataContext) -> Outcome:
    """Each numeric feature's median lies inside the reference's percentile band."""
    if context.reference is None:
        return Outcome("ranges", True, "no reference table given: medians not compared")
    low_q, high_q = context.limits.median_band
    problems = []
    for name in schema.NUMERIC_FEATURES:
        if name not in frame.columns or not pd.api.types.is_numeric_dtype(frame[name]):
            continue
        low, high = context.reference[name].quantile([low_q, high_q])
        median = float(frame[name].median())
        if not low <= median <= high:
            problems.append(
                f"{name}: median {median:g} outside the reference's "
                f"{low_q:.0%}-{high_q:.0%} range [{low:g}, {high:g}]"
            )
    checked = len(schema.NUMERIC_FEATURES)
    return _outcome("ranges", problems, f"{checked} numeric medians inside the reference's band")


def check_duplicates(frame: pd.DataFrame, context: DataContext) -> Outcome:
    """No application id twice; at most a tiny share of exactly repeated rows."""
    problems = []
    if schema.ID_COLUMN in frame.columns:
        repeated = frame[schema.ID_COLUMN][frame[schema.ID_COLUMN].duplicated()]
        if len(repeated):
            problems.append(
                f"{len(repeated)} repeated {schema.ID_COLUMN}s, e.g. {repeated.iloc[0]}"
            )
    features = [c for c in schema.FEATURES if c in frame.columns]
    share = float(frame.duplicated(subset=features).mean()) if len(frame) else 0.0
    limit = context.limits.max_duplicate_row_share
    if share > limit:
        problems.append(f"{share:.2%} of rows repeat another row's features (limit {limit:.2%})")
    return _outcome(
        "duplicates", problems, f"unique ids; {share:.2%} repeated rows", duplicate_share=share
    )


def check_label_balance(frame: pd.DataFrame, context: DataContext) -> Outcome:
    """The default rate is plausible and close to the reference's."""
    target, limits = schema.TARGET_COLUMN, context.limits
    if target not in frame.columns or frame[target].isna().all():
        return Outcome("label_balance", False, f"no {target} values to count")
    rate = float(frame[target].mean())
    problems = []
    if not limits.min_default_rate <= rate <= limits.max_default_rate:
        problems.append(
            f"default rate {rate:.3f} outside [{limits.min_default_rate}, "
            f"{limits.max_default_rate}]"
        )
    reference_rate = None
    if context.reference is not None:
        reference_rate = float(context.reference[target].mean())
        if abs(rate - reference_rate) > limits.max_default_rate_change:
            problems.append(
                f"default rate {rate:.3f} differs from the reference's {reference_rate:.3f} "
                f"by more than {limits.max_default_rate_change}"
            )
    return _outcome(
        "label_balance",
        problems,
        f"default rate {rate:.3f}",
        default_rate=rate,
        reference_rate=reference_rate,
    )


def single_feature_auc(frame: pd.DataFrame, max_rows: int = 20_000) -> dict[str, float]:
    """How well each numeric feature alone separates the labels (0.5 = not at all, 1 = fully).

    Reported as ``max(auc, 1 - auc)``, so a feature that predicts the label backwards counts
    too. Rows with a missing value are left out of that feature's score.
    """
    sample = frame.sample(max_rows, random_state=0) if len(frame) > max_rows else frame
    scores = {}
    for name in schema.NUMERIC_FEATURES:
        if name not in sample.columns or not pd.api.types.is_numeric_dtype(sample[name]):
            continue
        pair = sample[[name, schema.TARGET_COLUMN]].dropna()
        if pair[schema.TARGET_COLUMN].nunique() != 2:
            continue
        auc = float(roc_auc_score(pair[schema.TARGET_COLUMN], pair[name].astype("float64")))
        scores[name] = max(auc, 1 - auc)
    return scores


def check_leakage(frame: pd.DataFrame, context: DataContext) -> Outcome:
    """No feature gives the label away on its own; no holdout row is also a training row."""
    has_label = schema.TARGET_COLUMN in frame.columns
    scores = single_feature_auc(frame, context.limits.leakage_sample_rows) if has_label else {}
    limit = context.limits.max_single_feature_auc
    problems = [
        f"{name} alone predicts {schema.TARGET_COLUMN} with ROC AUC {auc:.3f} "
        f"(> {limit}): is it computed from the outcome?"
        for name, auc in scores.items()
        if auc > limit
    ]
    if context.holdout is not None and schema.ID_COLUMN in frame.columns:
        shared = np.intersect1d(frame[schema.ID_COLUMN], context.holdout[schema.ID_COLUMN])
        if shared.size:
            problems.append(
                f"{shared.size} {schema.ID_COLUMN}s are in both the training table and the "
                f"holdout, e.g. {shared[0]}: the holdout would grade the model on rows it learned"
            )
    best = max(scores, key=lambda name: scores[name]) if scores else "none"
    ok = f"strongest single feature: {best} (ROC AUC {scores.get(best, 0.5):.3f}); no id overlap"
    return _outcome("leakage", problems, ok, single_feature_auc=scores)


DEFAULT_CHECKS: tuple[DataCheck, ...] = (
    check_schema,
    check_label,
    check_nulls,
    check_size,
    check_ranges,
    check_duplicates,
    check_label_balance,
    check_leakage,
)


def validate_training_data(
    frame: pd.DataFrame,
    *,
    reference: pd.DataFrame | None = None,
    holdout: pd.DataFrame | None = None,
    limits: DataLimits | None = None,
    checks: Sequence[DataCheck] = DEFAULT_CHECKS,
    extra_checks: Sequence[DataCheck] = (),
) -> list[Outcome]:
    """Run every data check on a new training table and return their outcomes in order."""
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame, got {type(frame).__name__}")
    context = DataContext(reference=reference, holdout=holdout, limits=limits or DataLimits())
    return [check(frame, context) for check in (*checks, *extra_checks)]


Corruption = Literal[
    "shuffle_labels", "flip_labels", "leak_label", "duplicate_rows", "missing_values", "units"
]
CORRUPTIONS: tuple[str, ...] = get_args(Corruption)


def corrupt(frame: pd.DataFrame, how: Corruption, seed: int = 0) -> pd.DataFrame:
    """A copy of ``frame`` broken in one realistic way, to show which check (or gate) catches it.

    - ``shuffle_labels``: labels joined to the wrong applications (a bad merge).
    - ``flip_labels``: 0 and 1 swapped (a changed label definition).
    - ``leak_label``: ``debt_to_income`` recomputed from the outcome (information from the future).
    - ``duplicate_rows``: a tenth of the rows loaded twice.
    - ``missing_values``: 5 % of credit scores lost.
    - ``units``: incomes recorded in thousands of dollars.
    """
    rng = np.random.default_rng(seed)
    broken = frame.copy()
    target = schema.TARGET_COLUMN
    if how == "shuffle_labels":
        broken[target] = rng.permutation(broken[target].to_numpy())
    elif how == "flip_labels":
        broken[target] = (1 - broken[target]).astype(frame[target].dtype)
    elif how == "leak_label":
        noisy = 0.15 + 0.4 * broken[target].to_numpy() + rng.normal(0, 0.05, len(broken))
        broken["debt_to_income"] = np.round(np.clip(noisy, 0, 2), 3)
    elif how == "duplicate_rows":
        repeated = broken.sample(frac=0.1, random_state=seed)
        broken = pd.concat([broken, repeated], ignore_index=True)
    elif how == "missing_values":
        lost = rng.random(len(broken)) < 0.05
        broken["credit_score"] = broken["credit_score"].astype("float64").mask(lost)
    elif how == "units":
        broken["annual_income"] = np.round(broken["annual_income"] / 1_000, 1)
    else:
        raise ValueError(f"unknown corruption {how!r}; choose one of {list(CORRUPTIONS)}")
    return broken
