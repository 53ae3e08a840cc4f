"""detect_drift against scipy and the generator's scenarios; performance windows; review sample."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2_contingency, ks_2samp
from sklearn.metrics import roc_auc_score

from benchmarks import bench_drift
from workshop_lib import data, schema
from workshop_lib.monitoring import model_health
from workshop_lib.monitoring.model_health import DriftInputError, detect_drift
from workshop_lib.training import DECISION_THRESHOLD


@pytest.fixture(scope="module")
def reference():
    return data.make_applications(4_000, seed=31)


@pytest.fixture(scope="module")
def drifted():
    return data.make_applications(4_000, "data_drift", seed=32)


def test_agrees_with_scipy(reference, drifted):
    result = detect_drift(reference, drifted, correction="none").set_index("column")
    for column in schema.NUMERIC_FEATURES:
        expected = ks_2samp(reference[column], drifted[column])
        assert result.loc[column, "test"] == "ks"
        assert result.loc[column, "statistic"] == pytest.approx(expected.statistic)
        assert result.loc[column, "p_value"] == pytest.approx(expected.pvalue, abs=1e-300)
    for column in schema.CATEGORICAL_FEATURES:
        values = pd.concat([reference[column], drifted[column]]).astype(str)
        sample = ["reference"] * len(reference) + ["current"] * len(drifted)
        expected = chi2_contingency(pd.crosstab(np.array(sample), values.to_numpy()))
        assert result.loc[column, "test"] == "chi_square"
        assert result.loc[column, "statistic"] == pytest.approx(expected.statistic)
        assert result.loc[column, "p_value"] == pytest.approx(expected.pvalue, abs=1e-300)


def test_same_scenario_is_not_drift(reference):
    other = data.make_applications(4_000, seed=33)
    result = detect_drift(reference, other)
    assert list(result.columns) == [
        "column",
        "test",
        "statistic",
        "p_value",
        "p_adjusted",
        "drifted",
    ]
    assert list(result["column"]) == schema.FEATURES
    assert not result["drifted"].any()


def test_data_drift_flags_the_shifted_features_only(reference, drifted):
    flagged = set(detect_drift(reference, drifted).query("drifted")["column"])
    assert set(bench_drift.DIRECT_SHIFT) <= flagged
    assert not flagged & set(bench_drift.UNCHANGED)


def test_new_category_counts_as_drift(reference, drifted):
    table = model_health.category_table(reference["purpose"], drifted["purpose"])
    assert table.loc["reference", "green_energy"] == 0
    assert table.loc["current", "green_energy"] > 0
    # only the new category differs: the test still sees it
    current = reference.copy()
    current["purpose"] = current["purpose"].astype(str)
    current.loc[current.index[:200], "purpose"] = "green_energy"
    row = detect_drift(reference, current, ["purpose"]).iloc[0]
    assert row["drifted"] and row["p_value"] < 1e-10


def test_category_seen_only_in_reference_is_kept(reference):
    current = reference[reference["purpose"] != "medical"]
    table = model_health.category_table(reference["purpose"], current["purpose"])
    assert table.loc["current", "medical"] == 0
    assert "green_energy" not in table.columns  # seen in neither sample
    assert detect_drift(reference, current, ["purpose"])["drifted"].item()


def test_one_category_everywhere_means_no_drift():
    frame = pd.DataFrame({"channel": ["online"] * 50})
    row = detect_drift(frame, frame, ["channel"]).iloc[0]
    assert (row["statistic"], row["p_value"], row["drifted"]) == (0.0, 1.0, False)


def test_missing_values_are_an_error_or_dropped(reference):
    current = data.make_applications(500, seed=34)
    current["annual_income"] = current["annual_income"].astype("float64")
    current.loc[current.index[:7], "annual_income"] = np.nan
    with pytest.raises(DriftInputError, match="annual_income: 7 missing value"):
        detect_drift(reference, current)
    row = detect_drift(reference, current, ["annual_income"], missing="drop").iloc[0]
    expected = ks_2samp(reference["annual_income"], current["annual_income"].dropna())
    assert row["p_value"] == pytest.approx(expected.pvalue)


def test_tiny_samples_are_refused(reference):
    tiny = data.make_applications(12, seed=35)
    with pytest.raises(DriftInputError, match="current sample has 12 value.*min_rows=30"):
        detect_drift(reference, tiny)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.drop(columns=["age"]), r"current sample has no column\(s\) \['age'\]"),
        (lambda f: f.assign(age=f["age"].astype(str)), "age: expected numbers"),
        (lambda f: f.assign(annual_income=np.inf), "annual_income: infinite"),
    ],
)
def test_bad_input_is_named(reference, change, message):
    with pytest.raises(DriftInputError, match=message):
        detect_drift(reference, change(data.make_applications(100, seed=36)))


def test_bad_options_are_refused(reference):
    with pytest.raises(ValueError, match="alpha"):
        detect_drift(reference, reference, alpha=1.5)
    with pytest.raises(ValueError, match="unknown correction 'sidak'"):
        detect_drift(reference, reference, correction="sidak")
    with pytest.raises(ValueError, match="missing must be"):
        detect_drift(reference, reference, missing="ignore")


def test_corrections():
    p = np.array([0.01, 0.04, 0.03, 0.5])
    assert model_health.adjust_p_values(p, "bonferroni") == pytest.approx([0.04, 0.16, 0.12, 1.0])
    # Holm: sorted 0.01, 0.03, 0.04, 0.5 times 4, 3, 2, 1, made monotone
    assert model_health.adjust_p_values(p, "holm") == pytest.approx([0.04, 0.09, 0.09, 0.5])
    assert model_health.adjust_p_values(p, "none") == pytest.approx(p)


def test_drift_by_window(reference):
    weeks = pd.concat(
        [
            data.make_applications(600, seed=37, start="2025-03-01", days=7),
            data.make_applications(600, "data_drift", seed=38, start="2025-03-08", days=7),
            data.make_applications(10, seed=39, start="2025-03-15", days=7, first_id=2_000),
        ]
    )
    drift = model_health.drift_by_window(reference, weeks, freq="7D")
    assert list(drift["rows"]) == [600, 600, 10]
    assert drift["drift_share"].iloc[0] == 0
    assert drift["drift_share"].iloc[1] >= 0.4 and "annual_income" in drift["drifted_columns"][1]
    assert np.isnan(drift["drift_share"].iloc[2])


@pytest.fixture(scope="module")
def scored(trained):
    """Three months of applications (reference, then concept drift), scored by the model."""
    months = [
        data.make_applications(3_000, seed=44, start="2025-01-01", days=28),
        data.make_applications(3_000, seed=45, start="2025-01-29", days=28, first_id=3_001),
        data.make_applications(
            3_000, "concept_drift", seed=46, start="2025-02-26", days=28, first_id=6_001
        ),
    ]
    frame = pd.concat(months, ignore_index=True)
    return frame.assign(probability=trained.model.predict_proba(frame[schema.FEATURES])[:, 1])


def test_delayed_labels_arrive_late(scored):
    as_of = pd.Timestamp("2025-03-20")
    labelled = model_health.attach_delayed_labels(
        scored.drop(columns=[schema.TARGET_COLUMN]),
        scored,
        key=schema.ID_COLUMN,
        as_of=as_of,
        label_delay="30D",
    )
    known = labelled[schema.TARGET_COLUMN].notna()
    arrived = scored[schema.TIME_COLUMN] + pd.Timedelta("30D") <= as_of
    assert known.equals(arrived) and 0 < known.sum() < len(scored)
    assert (labelled.loc[known, schema.TARGET_COLUMN] == scored.loc[known, "defaulted"]).all()
    with pytest.raises(ValueError, match="duplicate 'application_id'"):
        model_health.attach_delayed_labels(
            scored, pd.concat([scored, scored]), key=schema.ID_COLUMN, as_of=as_of, label_delay=0
        )


def test_concept_drift_shows_in_performance_not_in_features(scored):
    first = scored[scored[schema.TIME_COLUMN] < "2025-01-29"]
    last = scored[scored[schema.TIME_COLUMN] >= "2025-02-26"]
    assert not detect_drift(first, last)["drifted"].any()
    windows = model_health.performance_by_window(scored, freq="28D", auc_floor=0.75)
    assert list(windows["predictions"]) == [3_000, 3_000, 3_000]
    expected = roc_auc_score(first["defaulted"], first["probability"])
    assert windows["roc_auc"].iloc[0] == pytest.approx(expected)
    assert windows["roc_auc"].iloc[2] < windows["roc_auc"].iloc[0] - 0.03
    assert windows["default_rate"].iloc[2] > windows["mean_probability"].iloc[2]
    assert list(windows["below_floor"]) == list(windows["roc_auc"] < 0.75)
    declined, defaulted = first["probability"] >= DECISION_THRESHOLD, first["defaulted"] == 1
    assert windows["precision"].iloc[0] == pytest.approx(defaulted[declined].mean())
    assert windows["recall"].iloc[0] == pytest.approx(declined[defaulted].mean())
    assert windows["recall"].iloc[2] < windows["recall"].iloc[0]  # the model misses defaulters


def test_windows_without_enough_labels_have_no_auc(scored):
    partial = scored.assign(defaulted=scored["defaulted"].astype("Int8"))
    partial.loc[partial.index[3_020:], "defaulted"] = pd.NA
    windows = model_health.performance_by_window(partial, freq="28D", auc_floor=0.99)
    assert list(windows["labelled"]) == [3_000, 20, 0]
    assert windows["roc_auc"].iloc[1:].isna().all()
    assert windows[["precision", "recall"]].iloc[1:].isna().all(axis=None)
    assert list(windows["below_floor"]) == [True, False, False]


def test_review_sample_is_stratified(scored):
    sample = model_health.review_sample(scored, per_stratum=4, since="2025-02-01", seed=3)
    assert (sample[schema.TIME_COLUMN] >= "2025-02-01").all()
    counts = sample["stratum"].value_counts()
    assert len(counts) == 4 and (counts == 4).all()
    borderline = sample[sample["stratum"] == "borderline decline"]["probability"]
    assert borderline.between(0.35, 0.675).all()
    again = model_health.review_sample(scored, per_stratum=4, since="2025-02-01", seed=3)
    assert sample.equals(again)
    with pytest.raises(ValueError, match="per_stratum"):
        model_health.review_sample(scored, per_stratum=0)


def test_bench_quick_runs(capsys):
    result = bench_drift.main(["--quick"])
    out = capsys.readouterr().out
    assert result.trials == 20 and "False-alarm rate" in out and "Quality bar" in out
    assert result.false_alarm_rate["none"] > result.false_alarm_rate["bonferroni"]
    assert (result.power[list(bench_drift.DIRECT_SHIFT)] == 1.0).all(), out
