"""Model tests: a sound model passes every gate; broken or weaker models fail the right ones."""

from __future__ import annotations

import pandas as pd
import pytest

from workshop_lib import data, training
from workshop_lib.cicd.data_checks import corrupt
from workshop_lib.cicd.gates import (
    CLEAR_CASES,
    DEFAULT_GATES,
    GateLimits,
    clear_cases_frame,
    run_gates,
)
from workshop_lib.registry import LoadedModel


@pytest.fixture(scope="module")
def frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    """A 10k-row training table and a 5k-row holdout."""
    return data.make_applications(10_000, seed=41), data.make_applications(
        5_000, seed=42, first_id=10_001
    )


@pytest.fixture(scope="module")
def good(frames):
    return training.train(*frames, kind="logistic").model


@pytest.fixture(scope="module")
def shuffled(frames):
    train, holdout = frames
    return training.train(corrupt(train, "shuffle_labels"), holdout, kind="logistic").model


def as_production(model, version: str = "1.0.0") -> LoadedModel:
    return LoadedModel(model, {"version": version, "threshold": training.DECISION_THRESHOLD})


def failed(outcomes) -> set[str]:
    return {o.name for o in outcomes if not o.passed}


def test_sound_model_passes_every_gate(frames, good):
    outcomes = run_gates(good, frames[1], production=as_production(good))
    assert [o.name for o in outcomes] == [g.__name__.removeprefix("gate_") for g in DEFAULT_GATES]
    assert failed(outcomes) == set(), [str(o) for o in outcomes]
    assert "change +0.000" in outcomes[2].reason


def test_shuffled_labels_are_stopped(frames, good, shuffled):
    outcomes = run_gates(shuffled, frames[1], production=as_production(good))
    assert {"min_roc_auc", "no_worse_than_production", "minimum_functionality"} <= failed(outcomes)
    assert "directional" in failed(outcomes)


def test_weaker_than_production_is_stopped_by_the_margin(frames, good, shuffled):
    # The comparison is made on the same holdout, so a better production model wins.
    outcome = run_gates(good, frames[1], production=as_production(good), gates=DEFAULT_GATES[2:3])[
        0
    ]
    assert outcome.passed
    worse = run_gates(
        shuffled, frames[1], production=as_production(good, "1.4.0"), gates=DEFAULT_GATES[2:3]
    )[0]
    assert not worse.passed and "production 1.4.0's" in worse.reason
    first = run_gates(shuffled, frames[1], production=None, gates=DEFAULT_GATES[2:3])[0]
    assert first.passed and "nothing to beat" in first.reason


def test_tighter_limits_fail_the_same_model(frames, good):
    strict = GateLimits(min_roc_auc=0.99, max_calibration_error=0.0001)
    assert failed(run_gates(good, frames[1], limits=strict)) == {
        "min_roc_auc",
        "max_calibration_error",
    }


def test_invariance_catches_a_model_that_uses_the_channel(frames):
    train, holdout = frames
    biased = train.assign(
        defaulted=((train["channel"] == "broker") | (train["defaulted"] == 1)).astype("int8")
    )
    model = training.train(biased, holdout, kind="logistic").model
    outcome = next(o for o in run_gates(model, holdout) if o.name == "invariance")
    assert not outcome.passed and "sales channel" in outcome.reason
    assert max(outcome.details["flip_share"].values()) > 0.05


def test_clear_cases_are_valid_applications():
    frame = clear_cases_frame()
    assert len(frame) == len(CLEAR_CASES)
    assert {expected for _, _, expected in CLEAR_CASES} == {"approve", "decline"}


def test_candidate_must_predict_probabilities(frames):
    with pytest.raises(TypeError, match="predict_proba"):
        run_gates(object(), frames[1])
