"""Watch a deployed model: drift tests on its inputs, its quality over time, review samples.

*Data drift* (the inputs change) shows in the features themselves, so ``detect_drift`` finds it
as soon as predictions are logged. *Concept drift* (the link between inputs and outcome changes)
leaves the inputs alone: only the outcomes, which arrive late, reveal it, so
``performance_by_window`` scores each time window once its delayed labels are in.

The rules of ``detect_drift``, in one place:

- **Tests.** Numerical columns: the two-sample Kolmogorov-Smirnov test (``scipy.stats.ks_2samp``,
  two-sided, scipy's default method: exact p-values up to 10,000 rows, asymptotic above).
  Categorical columns: the chi-square test of homogeneity on the 2 x k table of counts
  (``scipy.stats.chi2_contingency`` with scipy's defaults, so Yates' continuity correction
  applies when the table is 2 x 2). Which columns are numerical comes from the schema; a column
  outside the schema is numerical when its dtype is a number.
- **Significance and many columns.** A column is flagged when its *adjusted* p-value is below
  ``alpha`` (0.05). Testing 12 columns at 0.05 each would raise a false alarm on about
  1 - 0.95**12 = 46% of perfectly healthy days, so p-values are adjusted for the number of
  columns tested: Bonferroni by default (p x m, capped at 1), which keeps the chance of *any*
  false alarm across all columns at or below ``alpha``; Holm (same guarantee, a little more
  power) or none can be chosen.
- **Categories seen in only one sample** (a new product, a retired one) are kept: the table
  covers every category observed in either sample, so a brand-new value counts as evidence of
  drift instead of being dropped or crashing the test. Categories observed in neither sample
  are left out. A column with one observed value in both samples has statistic 0, p-value 1.
- **Missing values** are an error by default (``missing="error"``), naming the column and the
  count: a feature that starts arriving empty is a pipeline bug to fix, not drift to test.
  ``missing="drop"`` tests the values that are present instead. Infinite numbers are always
  an error.
- **Tiny samples** are an error: each column needs at least ``min_rows`` (30) values in each
  sample, below which the tests say too little to act on (and chi-square's approximation fails).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from scipy.stats import chi2_contingency, ks_2samp
from sklearn.metrics import roc_auc_score

from workshop_lib import schema
from workshop_lib.training import DECISION_THRESHOLD

DEFAULT_ALPHA = 0.05
MIN_ROWS = 30
KS, CHI_SQUARE = "ks", "chi_square"
Correction = Literal["bonferroni", "holm", "none"]
MissingRule = Literal["error", "drop"]


class DriftInputError(ValueError):
    """The samples given to a drift test cannot be tested; the message says which column and why."""


# -- data drift: statistical tests ----------------------------------------------------------
def detect_drift(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    columns: Sequence[str] | None = None,
    *,
    alpha: float = DEFAULT_ALPHA,
    correction: Correction = "bonferroni",
    missing: MissingRule = "error",
    min_rows: int = MIN_ROWS,
) -> pd.DataFrame:
    """Test every column of ``current`` against ``reference``; one row per column.

    Columns: ``column``, ``test`` (``ks`` or ``chi_square``), ``statistic``, ``p_value`` (the
    test's own), ``p_adjusted`` (after ``correction`` for the number of columns) and ``drifted``
    (``p_adjusted < alpha``). ``columns`` defaults to the schema's features. See the module
    docstring for the rules on categories, missing values and small samples.
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha}")
    if missing not in ("error", "drop"):
        raise ValueError(f"missing must be 'error' or 'drop', got {missing!r}")
    columns = list(schema.FEATURES if columns is None else columns)
    if not columns:
        raise ValueError("no columns to test")
    for name, frame in (("reference", reference), ("current", current)):
        absent = [c for c in columns if c not in frame.columns]
        if absent:
            raise DriftInputError(f"{name} sample has no column(s) {absent}")
    rows = [
        _test_column(reference[c], current[c], c, missing=missing, min_rows=min_rows)
        for c in columns
    ]
    result = pd.DataFrame(rows, columns=["column", "test", "statistic", "p_value"])
    result["p_adjusted"] = adjust_p_values(result["p_value"].to_numpy(), correction)
    result["drifted"] = result["p_adjusted"] < alpha
    result.attrs.update(alpha=alpha, correction=correction)
    return result


def is_numerical(name: str, values: pd.Series) -> bool:
    """Whether a column gets the KS test: the schema decides, else its dtype."""
    if name in schema.CATEGORIES:
        return False
    if name in schema.NUMERIC_FEATURES:
        return True
    return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)


def _test_column(
    reference: pd.Series, current: pd.Series, name: str, *, missing: MissingRule, min_rows: int
) -> tuple[str, str, float, float]:
    numerical = is_numerical(name, reference)
    ref = _usable_values(reference, name, "reference", numerical, missing, min_rows)
    cur = _usable_values(current, name, "current", numerical, missing, min_rows)
    if numerical:
        with warnings.catch_warnings():
            # For samples up to 10,000 rows scipy tries the exact p-value first; when that
            # fails it says so and uses the asymptotic one, which is accurate at such sizes.
            warnings.filterwarnings("ignore", "ks_2samp: Exact calculation unsuccessful")
            result = ks_2samp(ref, cur)
        return name, KS, float(result.statistic), float(result.pvalue)
    statistic, p_value = chi_square_test(ref, cur)
    return name, CHI_SQUARE, statistic, p_value


def _usable_values(
    values: pd.Series, name: str, sample: str, numerical: bool, missing: MissingRule, min_rows: int
) -> pd.Series:
    if numerical and not (
        pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    ):
        raise DriftInputError(
            f"{name}: expected numbers in the {sample} sample, got {values.dtype}"
        )
    absent = int(values.isna().sum())
    if absent and missing == "error":
        raise DriftInputError(
            f"{name}: {absent} missing value(s) in the {sample} sample; fix the pipeline that "
            "feeds it, or pass missing='drop' to test the values that are present"
        )
    present = values.dropna()
    if numerical and np.isinf(present.to_numpy(dtype="float64")).any():
        raise DriftInputError(f"{name}: infinite value(s) in the {sample} sample")
    if len(present) < min_rows:
        raise DriftInputError(
            f"{name}: the {sample} sample has {len(present)} value(s); drift tests need at "
            f"least min_rows={min_rows} per sample to say anything useful"
        )
    return present


def _counts(values: pd.Series) -> pd.Series:
    counts = values.value_counts()
    return counts.groupby(counts.index.astype(str), observed=True).sum()


def category_table(reference: pd.Series, current: pd.Series) -> pd.DataFrame:
    """Counts per category (rows: reference, current) over categories seen in either sample."""
    table = pd.concat(
        {"reference": _counts(reference), "current": _counts(current)}, axis=1
    ).fillna(0)
    table = table[table.sum(axis=1) > 0].sort_index()
    return table.T.astype("int64")


def chi_square_test(reference: pd.Series, current: pd.Series) -> tuple[float, float]:
    """Chi-square test of homogeneity of two categorical samples: (statistic, p-value)."""
    table = category_table(reference, current)
    if table.shape[1] < 2:
        return 0.0, 1.0  # one value everywhere: nothing has changed
    result = chi2_contingency(table.to_numpy())
    return float(result.statistic), float(result.pvalue)


def adjust_p_values(p_values: np.ndarray, correction: Correction = "bonferroni") -> np.ndarray:
    """P-values adjusted for testing ``len(p_values)`` hypotheses at once."""
    p = np.asarray(p_values, dtype="float64")
    m = len(p)
    if correction == "none":
        return p.copy()
    if correction == "bonferroni":
        return np.minimum(p * m, 1.0)
    if correction == "holm":
        order = np.argsort(p)
        stepped = np.maximum.accumulate(np.minimum(p[order] * (m - np.arange(m)), 1.0))
        adjusted = np.empty(m)
        adjusted[order] = stepped
        return adjusted
    raise ValueError(f"unknown correction {correction!r}; use 'bonferroni', 'holm' or 'none'")


def drift_by_window(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    *,
    freq: str = "1D",
    time_column: str = schema.TIME_COLUMN,
    columns: Sequence[str] | None = None,
    min_rows: int = MIN_ROWS,
    **options,
) -> pd.DataFrame:
    """``detect_drift`` of each time window of ``current`` against ``reference``.

    One row per window: ``window`` (its start), ``rows``, ``drift_share`` (share of columns
    flagged) and ``drifted_columns``. A window with fewer than ``min_rows`` rows is not tested:
    its ``drift_share`` is NaN.
    """
    rows = []
    for window, part in current.groupby(pd.Grouper(key=time_column, freq=freq)):
        share, drifted = np.nan, ""
        if len(part) >= min_rows:
            found = detect_drift(reference, part, columns, min_rows=min_rows, **options)
            share = float(found["drifted"].mean())
            drifted = ", ".join(found.loc[found["drifted"], "column"])
        rows.append((window, len(part), share, drifted))
    return pd.DataFrame(rows, columns=["window", "rows", "drift_share", "drifted_columns"])


# -- concept drift: performance once the delayed labels arrive -------------------------------
def attach_delayed_labels(
    predictions: pd.DataFrame,
    outcomes: pd.DataFrame,
    *,
    key: str,
    as_of: pd.Timestamp | str,
    label_delay: pd.Timedelta | str,
    time_column: str = schema.TIME_COLUMN,
    label_column: str = schema.TARGET_COLUMN,
) -> pd.DataFrame:
    """``predictions`` with the outcome of each one that is known by ``as_of``.

    An outcome (did the borrower default?) is known ``label_delay`` after the prediction's time;
    later ones are still ``<NA>`` in ``label_column``. ``outcomes`` maps ``key`` to the label.
    """
    for name, frame, needed in (
        ("predictions", predictions, [key, time_column]),
        ("outcomes", outcomes, [key, label_column]),
    ):
        absent = [c for c in needed if c not in frame.columns]
        if absent:
            raise ValueError(f"{name} has no column(s) {absent}")
    if outcomes[key].duplicated().any():
        raise ValueError(f"outcomes has duplicate {key!r} values: each needs exactly one label")
    labels = outcomes.set_index(key)[label_column]
    known = predictions[time_column] + pd.Timedelta(label_delay) <= pd.Timestamp(as_of)
    result = predictions.drop(columns=[label_column], errors="ignore").copy()
    result[label_column] = predictions[key].map(labels).astype("Int8").where(known)
    return result


def performance_by_window(
    predictions: pd.DataFrame,
    *,
    freq: str = "7D",
    time_column: str = schema.TIME_COLUMN,
    label_column: str = schema.TARGET_COLUMN,
    probability_column: str = "probability",
    decision_column: str = "decision",
    auc_floor: float | None = None,
    min_labels: int = 50,
) -> pd.DataFrame:
    """Model quality per time window, from the predictions whose labels have arrived.

    One row per window: ``window``, ``predictions``, ``labelled``, ``roc_auc``, ``default_rate``
    (observed, labelled rows), ``mean_probability`` (predicted, labelled rows), ``precision``
    (the share of labelled declines that defaulted) and ``recall`` (the share of labelled
    defaulters that were declined; without a ``decision_column``, probabilities at or above
    ``DECISION_THRESHOLD`` are declines), and, with ``auc_floor``, ``below_floor``. ROC AUC,
    precision and recall are NaN while a window has fewer than ``min_labels`` labels or only one
    class, and such a window is never ``below_floor``.
    """
    rows = []
    for window, part in predictions.groupby(pd.Grouper(key=time_column, freq=freq)):
        labelled = part[part[label_column].notna()]
        y = labelled[label_column].to_numpy(dtype="int64")
        proba = labelled[probability_column].to_numpy(dtype="float64")
        if decision_column in labelled:
            declined = (labelled[decision_column] == "decline").to_numpy()
        else:  # decided with the workbook's threshold
            declined = proba >= DECISION_THRESHOLD
        enough = len(y) >= min_labels and 0 < y.sum() < len(y)
        rows.append(
            {
                "window": window,
                "predictions": len(part),
                "labelled": len(y),
                "roc_auc": float(roc_auc_score(y, proba)) if enough else np.nan,
                "default_rate": float(y.mean()) if len(y) else np.nan,
                "mean_probability": float(proba.mean()) if len(y) else np.nan,
                "precision": float(y[declined].mean()) if enough and declined.any() else np.nan,
                "recall": float(declined[y == 1].mean()) if enough else np.nan,
            }
        )
    result = pd.DataFrame(rows)
    if auc_floor is not None:
        result["below_floor"] = result["roc_auc"] < auc_floor
    return result


# -- data sampling: what a human should look at ---------------------------------------------
def probability_band(probability: pd.Series, threshold: float = DECISION_THRESHOLD) -> pd.Series:
    """Name each prediction's band: confident or borderline, approve or decline."""
    edges = [-np.inf, threshold / 2, threshold, (1 + threshold) / 2, np.inf]
    labels = ["confident approve", "borderline approve", "borderline decline", "confident decline"]
    return pd.cut(probability, edges, labels=labels, right=False)


def review_sample(
    predictions: pd.DataFrame,
    *,
    per_stratum: int = 5,
    since: pd.Timestamp | str | None = None,
    time_column: str = schema.TIME_COLUMN,
    probability_column: str = "probability",
    threshold: float = DECISION_THRESHOLD,
    seed: int = 0,
) -> pd.DataFrame:
    """A stratified random sample of recent predictions for a person to review.

    Predictions at or after ``since`` are split into the four ``probability_band`` strata and
    up to ``per_stratum`` rows drawn from each (all of a smaller stratum), so rare but telling
    cases (confident declines, borderline calls) are not drowned by the common ones. The
    result has a ``stratum`` column and is ordered by stratum, then time.
    """
    if per_stratum < 1:
        raise ValueError(f"per_stratum must be >= 1, got {per_stratum}")
    recent = predictions
    if since is not None:
        recent = predictions[predictions[time_column] >= pd.Timestamp(since)]
    recent = recent.assign(stratum=probability_band(recent[probability_column], threshold))
    parts = [
        group.sample(n=min(per_stratum, len(group)), random_state=seed)
        for _, group in recent.groupby("stratum", observed=True)
    ]
    if not parts:
        return recent.iloc[:0]
    return pd.concat(parts).sort_values(["stratum", time_column])
