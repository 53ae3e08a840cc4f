"""Evidently reports are saved as HTML and their numbers agree with scipy, sklearn and ours."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import ks_2samp
from sklearn.metrics import accuracy_score, roc_auc_score

from workshop_lib import data, schema
from workshop_lib.monitoring import drift_reports
from workshop_lib.monitoring.model_health import detect_drift

pytestmark = pytest.mark.slow  # importing evidently alone takes several seconds


@pytest.fixture(scope="module")
def samples():
    return (
        data.make_applications(2_000, seed=81),
        data.make_applications(2_000, "data_drift", seed=82),
    )


@pytest.fixture(scope="module")
def drift_report(samples, tmp_path_factory):
    path = tmp_path_factory.mktemp("reports") / "drift.html"
    return drift_reports.data_drift_report(*samples, path=path)


def test_drift_report_is_saved_as_html(drift_report):
    assert drift_report.path.exists() and drift_report.path.stat().st_size > 100_000
    assert drift_report.path.read_text(errors="replace").lstrip().lower().startswith("<!doctype")


def test_drift_table_matches_scipy_and_detect_drift(drift_report, samples):
    reference, current = samples
    table = drift_report.table.set_index("column")
    assert list(table.index) == schema.FEATURES
    for column in schema.NUMERIC_FEATURES:
        expected = ks_2samp(reference[column], current[column]).pvalue
        assert table.loc[column, "method"] == "ks"
        assert table.loc[column, "score"] == pytest.approx(expected, abs=1e-300)
    comparison = drift_reports.compare_with_detect_drift(
        drift_report.table, detect_drift(reference, current)
    )
    assert comparison["agree"].all(), comparison
    flagged = set(comparison.loc[comparison["evidently"], "column"])
    assert {"annual_income", "age", "credit_score", "purpose", "channel"} <= flagged
    assert not {"debt_to_income", "home_ownership", "term"} & flagged


def test_comparison_needs_every_column(drift_report, samples):
    ours = detect_drift(*samples)
    with pytest.raises(ValueError, match=r"no result for column\(s\) \['age'\]"):
        drift_reports.compare_with_detect_drift(
            drift_report.table[drift_report.table["column"] != "age"], ours
        )


def test_classification_report_matches_sklearn(tmp_path, trained):
    frame = data.make_applications(3_000, "concept_drift", seed=83)
    frame["probability"] = trained.model.predict_proba(frame[schema.FEATURES])[:, 1]
    frame.loc[frame.index[:500], schema.TARGET_COLUMN] = np.nan  # labels not in yet
    result = drift_reports.classification_report(
        frame, path=tmp_path / "quality.html", threshold=0.35
    )
    assert result.path.exists()
    values = result.table.set_index("metric")["value"]
    labelled = frame.iloc[500:]
    y = labelled[schema.TARGET_COLUMN].astype(int)
    assert values["RocAuc"] == pytest.approx(roc_auc_score(y, labelled["probability"]))
    assert values["Accuracy"] == pytest.approx(accuracy_score(y, labelled["probability"] >= 0.35))
    with pytest.raises(ValueError, match="both classes"):
        drift_reports.classification_report(frame.assign(defaulted=0), path=tmp_path / "x.html")
