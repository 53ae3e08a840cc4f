"""The generator: seeded, schema-valid, drift scenarios that differ as documented."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest

from workshop_lib import data, paths, schema


def test_same_arguments_give_identical_tables():
    first = data.make_applications(2_000, "data_drift", seed=7)
    second = data.make_applications(2_000, "data_drift", seed=7)
    pd.testing.assert_frame_equal(first, second)
    assert data.fingerprint(first) == data.fingerprint(second)


def test_different_seeds_differ():
    a = data.make_applications(2_000, seed=1)
    b = data.make_applications(2_000, seed=2)
    assert data.fingerprint(a) != data.fingerprint(b)


@pytest.mark.parametrize("scenario", list(data.SCENARIOS))
def test_every_scenario_passes_the_schema(scenario):
    frame = data.make_applications(5_000, scenario, seed=3)
    schema.validate_frame(frame)
    assert list(frame.columns) == [
        schema.ID_COLUMN,
        schema.TIME_COLUMN,
        *schema.FEATURES,
        schema.TARGET_COLUMN,
    ]
    assert frame[schema.ID_COLUMN].is_unique
    assert frame[schema.TIME_COLUMN].is_monotonic_increasing
    assert set(frame[schema.TARGET_COLUMN].unique()) <= {0, 1}


def test_long_careers_of_old_applicants_stay_within_the_schema():
    # Seed 371 draws an 85-year-old with 60.5 years at one employer (age - 18 allows 67): the
    # generator caps at the schema's 60, so its own data never fails its own checks.
    frame = data.make_applications(100_000, seed=371)
    schema.validate_frame(frame)
    assert frame["employment_years"].max() == 60


def test_ids_and_times_follow_the_arguments():
    frame = data.make_applications(100, start="2025-02-03", days=2, first_id=500)
    assert frame[schema.ID_COLUMN].tolist() == list(range(500, 600))
    assert frame[schema.TIME_COLUMN].min() >= pd.Timestamp("2025-02-03")
    assert frame[schema.TIME_COLUMN].max() < pd.Timestamp("2025-02-05")


def test_data_drift_shifts_inputs_as_documented():
    reference = data.make_applications(50_000, "reference", seed=4)
    drifted = data.make_applications(50_000, "data_drift", seed=4)
    income_ratio = drifted["annual_income"].median() / reference["annual_income"].median()
    assert 0.6 < income_ratio < 0.85
    assert (reference["purpose"] == "green_energy").mean() == 0
    assert (drifted["purpose"] == "green_energy").mean() > 0.08
    assert (drifted["channel"] == "broker").mean() > 2 * (reference["channel"] == "broker").mean()
    # debt-to-income and term are drawn the same way in both periods
    assert abs(drifted["debt_to_income"].mean() - reference["debt_to_income"].mean()) < 0.005


def test_concept_drift_keeps_inputs_but_changes_risk():
    reference = data.make_applications(50_000, "reference", seed=5)
    concept = data.make_applications(50_000, "concept_drift", seed=5)
    for column in ["annual_income", "credit_score", "debt_to_income"]:
        assert concept[column].mean() == pytest.approx(reference[column].mean(), rel=0.02)
    same_inputs = concept.drop(columns=schema.TARGET_COLUMN)
    assert not np.allclose(data.risk_logit(same_inputs), data.risk_logit(same_inputs, True))
    assert concept[schema.TARGET_COLUMN].mean() > reference[schema.TARGET_COLUMN].mean() + 0.02


def test_default_rate_is_realistic():
    rate = data.make_applications(50_000, seed=6)[schema.TARGET_COLUMN].mean()
    assert 0.1 < rate < 0.3


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="unknown scenario 'drifty'"):
        data.make_applications(10, "drifty")
    with pytest.raises(ValueError, match="n must be >= 0"):
        data.make_applications(-1)


def test_shipped_samples_match_checksums_and_regenerate_exactly():
    sums = data.read_checksums(paths.DATA_DIR)
    assert set(sums) == set(data.SAMPLES)
    for name, digest in sums.items():
        assert hashlib.sha256((paths.DATA_DIR / name).read_bytes()).hexdigest() == digest
        assert hashlib.sha256(data.sample_bytes(name)).hexdigest() == digest, name


def test_load_sample_restores_dtypes_and_refuses_tampering(tmp_path):
    frame = data.load_sample("reference_sample.csv")
    schema.validate_frame(frame)
    assert isinstance(frame["purpose"].dtype, pd.CategoricalDtype)
    data.write_samples(tmp_path)
    (tmp_path / "reference_sample.csv").write_text("application_id\n1\n")
    with pytest.raises(ValueError, match="does not match SHA256SUMS"):
        data.load_sample("reference_sample.csv", tmp_path)
