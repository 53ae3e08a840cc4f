"""Evidently reports: a data-drift report and a classification-quality report, as HTML files.

Evidently (0.7) draws the report a team reads; its results are also plain data, which
``drift_table`` reads back so they can be compared with ``monitoring.detect_drift``. Importing
evidently takes several seconds, so it is imported inside the functions that use it.

By default the drift report runs the same tests as ``detect_drift`` (KS for numbers, chi-square
for categories) at one threshold per column, without a correction for many columns. Two
differences remain by design: evidently's chi-square is a goodness-of-fit test that treats the
reference shares as exact (so a category the reference never saw makes its p-value 0), while
``detect_drift`` tests both samples as samples. Pass ``num_method=None, cat_method=None`` to let
evidently choose (for more than 1,000 rows it uses distances, Wasserstein and Jensen-Shannon,
with a 0.1 threshold: "how different" rather than "how sure").
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from workshop_lib import paths, schema
from workshop_lib.monitoring.model_health import DEFAULT_ALPHA, is_numerical
from workshop_lib.training import DECISION_THRESHOLD

REPORTS_DIR = paths.RUNTIME_DIR / "reports"


@dataclass(frozen=True)
class ReportResult:
    """A saved evidently report: where its HTML is and its results as a table."""

    path: Path
    table: pd.DataFrame
    snapshot: Any  # the evidently Snapshot, for anything the table leaves out


def _import_evidently() -> None:
    """Import evidently once, hiding the deprecation warnings its dependencies print."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import evidently  # noqa: F401


def _dataset(frame: pd.DataFrame, definition: Any) -> Any:
    from evidently import Dataset

    return Dataset.from_pandas(frame, data_definition=definition)


def _save(snapshot: Any, path: Path | str | None, default_name: str) -> Path:
    path = Path(path) if path is not None else REPORTS_DIR / default_name
    path.parent.mkdir(parents=True, exist_ok=True)
    snapshot.save_html(str(path))
    return path


def data_drift_report(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    *,
    path: Path | str | None = None,
    columns: Sequence[str] | None = None,
    num_method: str | None = "ks",
    cat_method: str | None = "chisquare",
    threshold: float | None = DEFAULT_ALPHA,
) -> ReportResult:
    """Run evidently's ``DataDriftPreset``, save the HTML and return its per-column results.

    The HTML goes to ``path`` (default ``runtime/reports/data_drift.html``); its table is
    ``drift_table(snapshot)``.
    """
    _import_evidently()
    from evidently import DataDefinition, Report
    from evidently.presets import DataDriftPreset

    columns = list(schema.FEATURES if columns is None else columns)
    numerical = [c for c in columns if is_numerical(c, reference[c])]
    definition = DataDefinition(
        numerical_columns=numerical,
        categorical_columns=[c for c in columns if c not in numerical],
    )
    preset = DataDriftPreset(
        columns=columns, num_method=num_method, cat_method=cat_method, threshold=threshold
    )
    with warnings.catch_warnings():
        # evidently's chi-square divides by a zero expected count for a category the reference
        # never saw (its p-value is then 0: drift), and scipy warns about it. Expected here.
        warnings.simplefilter("ignore", RuntimeWarning)
        snapshot = Report([preset], include_tests=True).run(
            current_data=_dataset(current[columns], definition),
            reference_data=_dataset(reference[columns], definition),
        )
    return ReportResult(_save(snapshot, path, "data_drift.html"), drift_table(snapshot), snapshot)


def drift_table(snapshot: Any) -> pd.DataFrame:
    """Evidently's per-column drift results: ``column``, ``method``, ``threshold``, ``score``,
    ``drifted`` (read from the report's own per-column tests)."""
    content = snapshot.dict()
    scores = {m["id"]: m for m in content["metrics"] if "column" in m.get("config", {})}
    rows = []
    for test in content["tests"]:
        metric = scores.get(test["metric_config"]["metric_id"])
        if metric is None:
            continue
        config = metric["config"]
        rows.append(
            {
                "column": config["column"],
                "method": config["method"],
                "threshold": config["threshold"],
                "score": float(metric["value"]),
                "drifted": test["status"] == "FAIL",
            }
        )
    return pd.DataFrame(rows, columns=["column", "method", "threshold", "score", "drifted"])


def compare_with_detect_drift(evidently: pd.DataFrame, ours: pd.DataFrame) -> pd.DataFrame:
    """Evidently's verdict next to ``detect_drift``'s, column by column.

    ``ours_uncorrected`` is ``p_value < alpha`` (evidently's rule: one threshold per column),
    ``ours`` the Bonferroni-corrected verdict; ``agree`` compares evidently with the former.
    """
    alpha = ours.attrs.get("alpha", DEFAULT_ALPHA)
    merged = (
        ours[["column", "test", "p_value", "drifted"]]
        .rename(columns={"drifted": "ours"})
        .merge(evidently, on="column", how="left", validate="one_to_one")
    )
    if merged["method"].isna().any():
        missing = list(merged.loc[merged["method"].isna(), "column"])
        raise ValueError(f"evidently's table has no result for column(s) {missing}")
    merged["ours_uncorrected"] = merged["p_value"] < alpha
    merged["agree"] = merged["drifted"] == merged["ours_uncorrected"]
    return merged.rename(columns={"drifted": "evidently", "score": "evidently_score"})[
        [
            "column",
            "method",
            "evidently_score",
            "evidently",
            "test",
            "p_value",
            "ours_uncorrected",
            "ours",
            "agree",
        ]
    ]


def classification_report(
    current: pd.DataFrame,
    *,
    reference: pd.DataFrame | None = None,
    path: Path | str | None = None,
    label_column: str = schema.TARGET_COLUMN,
    probability_column: str = "probability",
    threshold: float = DECISION_THRESHOLD,
) -> ReportResult:
    """Evidently's ``ClassificationPreset`` on labelled predictions, saved as HTML.

    Rows without a label are left out. With ``reference`` (e.g. last month's labelled
    predictions) the HTML shows both side by side. The table has one row per metric of
    ``current`` (``metric``, ``value``).
    """
    _import_evidently()
    from evidently import BinaryClassification, DataDefinition, Report
    from evidently.presets import ClassificationPreset

    definition = DataDefinition(
        classification=[
            BinaryClassification(target=label_column, prediction_probas=probability_column)
        ],
        numerical_columns=[probability_column],
        categorical_columns=[label_column],
    )

    def labelled(frame: pd.DataFrame) -> Any:
        part = frame.loc[frame[label_column].notna(), [label_column, probability_column]]
        if part[label_column].nunique() < 2:
            raise ValueError(f"classification quality needs both classes of {label_column!r}")
        return _dataset(part.astype({label_column: "int64"}), definition)

    snapshot = Report([ClassificationPreset(probas_threshold=threshold)]).run(
        current_data=labelled(current),
        reference_data=labelled(reference) if reference is not None else None,
    )
    saved = _save(snapshot, path, "classification_quality.html")
    return ReportResult(saved, quality_table(snapshot), snapshot)


def quality_table(snapshot: Any) -> pd.DataFrame:
    """The single-number metrics of a classification report (accuracy, precision, ROC AUC...)."""
    rows = [
        {"metric": m["config"]["type"].rsplit(":", 1)[-1], "value": float(m["value"])}
        for m in snapshot.dict()["metrics"]
        if isinstance(m.get("value"), int | float)
    ]
    return pd.DataFrame(rows, columns=["metric", "value"])
