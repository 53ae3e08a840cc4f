"""Exercises of 01_ml_lifecycle: evaluation, packaging, and the drift challenge."""

from __future__ import annotations

import tempfile

import numpy as np
from sklearn.metrics import recall_score

from workshop_lib import data, training
from workshop_lib.exercises.core import Exercise, close_to, register
from workshop_lib.registry import Registry, RegistryError


def _evaluation_context() -> dict:
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 2, 500)
    proba = np.clip(y_true * 0.3 + rng.random(500) * 0.7, 0, 1)
    return {"y_true": y_true, "proba": proba}


def _solution_recall(y_true, proba):
    declined = proba >= 0.5
    return (declined & (y_true == 1)).sum() / (y_true == 1).sum()


def _check_recall(answer, y_true, proba) -> tuple[bool, str]:
    expected = recall_score(y_true, proba >= 0.5)
    precision_like = (y_true[proba >= 0.5] == 1).mean()
    if np.isclose(float(answer), precision_like) and not np.isclose(expected, precision_like):
        return False, "that is the precision: recall divides by the defaults that happened"
    return close_to(answer, expected, rel=1e-6, what="recall at 0.5")


register(
    Exercise(
        id="01.1",
        prompt="Compute the recall of the decline rule at threshold 0.5 from `y_true` and `proba`.",
        hint="recall = declined defaulters / all defaulters; declined means proba >= 0.5",
        checker=_check_recall,
        solution=_solution_recall,
        example_context=_evaluation_context,
        wrong_answer=lambda y_true, proba: (y_true[proba >= 0.5] == 1).mean(),
    )
)


def _packaging_context() -> dict:
    registry = Registry(tempfile.mkdtemp(prefix="exercise-01-2-"))
    train_frame = data.make_applications(5_000, seed=21)
    holdout = data.make_applications(2_000, seed=22)
    return {"registry": registry, "train_frame": train_frame, "holdout": holdout}


def _solution_package(registry, train_frame, holdout):
    result = training.train(train_frame, holdout, kind="logistic")
    return registry.register(
        result.model,
        metrics=result.metrics,
        data_fingerprint=data.fingerprint(train_frame),
        kind=result.kind,
        threshold=result.threshold,
    )


def _check_package(answer, registry, train_frame, holdout) -> tuple[bool, str]:
    try:
        metadata = registry.verify(str(answer))
    except RegistryError as error:
        return False, f"the registry cannot find or verify that version: {error}"
    if metadata["kind"] != "logistic":
        return False, f"version {answer} holds a {metadata['kind']} model, not a logistic one"
    if metadata["data_fingerprint"] != data.fingerprint(train_frame):
        return False, "the recorded data fingerprint is not the one of `train_frame`"
    return True, f"version {answer} is registered, verified, and traceable to its data"


register(
    Exercise(
        id="01.2",
        prompt="Train a logistic model on `train_frame`, register it in `registry`; answer with "
        "the version string register() returns.",
        hint="training.train(train_frame, holdout, kind='logistic'), then registry.register(...) "
        "with data_fingerprint=data.fingerprint(train_frame)",
        checker=_check_package,
        solution=_solution_package,
        example_context=_packaging_context,
        wrong_answer=lambda registry, train_frame, holdout: "9.9.9",
    )
)


def _drift_context() -> dict:
    return {"auc_by_scenario": {"reference": 0.80, "data_drift": 0.81, "concept_drift": 0.72}}


def _solution_drift(auc_by_scenario):
    return min(auc_by_scenario, key=auc_by_scenario.get)


def _check_drift(answer, auc_by_scenario) -> tuple[bool, str]:
    if answer not in auc_by_scenario:
        return False, f"answer with one of {sorted(auc_by_scenario)}"
    if answer != min(auc_by_scenario, key=auc_by_scenario.get):
        return False, f"the model still ranks {answer!r} applicants about as well as before"
    return True, "yes: the inputs look the same, but the rule linking them to default changed"


register(
    Exercise(
        id="01.3",
        prompt="Which scenario hurts the model's ROC AUC most? Answer with its name.",
        hint="compare the ROC AUC column of the table above; the lowest is the most harmful",
        checker=_check_drift,
        solution=_solution_drift,
        example_context=_drift_context,
        wrong_answer=lambda auc_by_scenario: "data_drift",
    )
)
