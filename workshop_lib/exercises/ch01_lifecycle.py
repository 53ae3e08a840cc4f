"""Exercises of 01_ml_lifecycle: evaluation, packaging, and the drift challenge."""

from __future__ import annotations

import tempfile
from collections.abc import Callable

import numpy as np
from sklearn.exceptions import NotFittedError
from sklearn.metrics import roc_auc_score

from workshop_lib import data, schema, training
from workshop_lib.exercises.core import (
    Exercise,
    as_number,
    call_answer,
    needs_function,
    register,
)
from workshop_lib.registry import Bump, Registry, RegistryError


# -- 01.1 · recall of the decline rule -------------------------------------------------------
def _recall_cases(seed: int) -> list[tuple[np.ndarray, np.ndarray, float]]:
    """Labels and probabilities of several sizes; some probabilities sit exactly on the cut."""
    rng = np.random.default_rng(seed)
    cases = []
    for threshold in (0.5, float(rng.choice([0.2, 0.3, 0.35, 0.4])), rng.choice([0.6, 0.7])):
        size = int(rng.integers(300, 2_000))
        y_true = (rng.random(size) < rng.uniform(0.15, 0.4)).astype(int)
        proba = np.clip(y_true * 0.3 + rng.random(size) * 0.7, 0, 1).round(3)
        proba[rng.random(size) < 0.08] = threshold
        cases.append((y_true, proba, float(threshold)))
    return cases


def _recall(y_true: np.ndarray, declined: np.ndarray) -> float:
    return float((declined & (y_true == 1)).sum() / (y_true == 1).sum())


def _check_recall(answer: Callable, seed: int) -> tuple[bool, str]:
    if (problem := needs_function(answer, "recall_at(y_true, proba, threshold)")) is not None:
        return False, problem
    for y_true, proba, threshold in _recall_cases(seed):
        where = f"{len(y_true)} hidden applications at threshold {threshold:g}"
        got = as_number(answer(y_true.copy(), proba.copy(), threshold), where)
        expected = _recall(y_true, proba >= threshold)
        if np.isclose(got, expected, rtol=1e-9):
            continue
        declined = proba >= threshold
        if declined.any() and np.isclose(got, (y_true[declined] == 1).mean()):
            return False, (
                f"on {where} your function gives the precision: recall divides by the "
                "defaults that happened"
            )
        if np.isclose(got, _recall(y_true, proba > threshold)):
            return False, (
                f"on {where} your function leaves out the applicants whose probability equals "
                "the threshold: the rule declines proba >= threshold"
            )
        if threshold != 0.5 and np.isclose(got, _recall(y_true, proba >= 0.5)):
            return False, f"on {where} your function gives the recall at 0.5: use `threshold`"
        return False, f"on {where} your function says {got:.4f}, not the recall"
    return True, "recall = declined defaulters / all defaulters, right at three thresholds"


def _solution_recall() -> Callable:
    def recall_at(y_true, proba, threshold):
        declined = proba >= threshold
        return (declined & (y_true == 1)).sum() / (y_true == 1).sum()

    return recall_at


register(
    Exercise(
        id="01.1",
        prompt="Write recall_at(y_true, proba, threshold): the recall of the rule 'decline when "
        "proba >= threshold', with numpy only.",
        hint="recall = declined defaulters / all defaulters; declined means proba >= threshold",
        checker=_check_recall,
        solution=_solution_recall,
        wrong_answer=lambda: lambda y_true, proba, threshold: (y_true[proba >= threshold]).mean(),
    )
)


# -- 01.2 · package a trained model ----------------------------------------------------------
SAME_MODEL_GAP = 0.005  # mean |probability difference| allowed from a fit on the same table


def _registry_with_history(folder: str, seed: int) -> Registry:
    """A registry that already holds two or three versions (a model fitted on another table),
    so the next version depends on its history, not on a number the learner can guess."""
    registry = Registry(folder)
    other = data.make_applications(400, seed=seed, first_id=300_001)
    model = training.build_pipeline("logistic").fit(*training.split_features(other))
    parts: tuple[Bump, ...] = ("major", "minor", "patch")
    for index in np.random.default_rng(seed).integers(0, 3, 2 + seed % 2):
        registry.register(
            model,
            metrics={"roc_auc": 0.7},
            data_fingerprint=data.fingerprint(other),
            kind="logistic",
            threshold=0.5,
            bump=parts[int(index)],
        )
    return registry


def _packaged(answer: Callable, registry: Registry, frames: tuple) -> tuple[bool, str]:
    """Call ``answer`` on one registry and check the version it returns."""
    train_frame, holdout, hidden = frames
    before = registry.latest_version()
    where = "in an empty registry" if before is None else f"in a registry whose latest is {before}"
    version = call_answer(answer, where, registry, train_frame.copy(), holdout.copy())
    if version is None:
        return False, "package returned None: return the version string register() returns"
    latest = registry.latest_version()
    if latest == before:
        return False, f"{where} package returned {version!r}, but registered no new version"
    if str(version) != latest:
        return False, (
            f"{where} package returned {version!r}, but the version it registered is "
            f"{latest}: return what register() returns"
        )
    try:
        metadata = registry.verify(str(version))
        model = registry.load(str(version)).model
    except RegistryError as error:
        return False, f"the registry cannot find or verify version {version!r}: {error}"
    if metadata["kind"] != "logistic":
        return False, f"version {version} holds a {metadata['kind']} model, not a logistic one"
    if metadata["data_fingerprint"] != data.fingerprint(train_frame):
        return False, f"version {version} records a data fingerprint that is not train_frame's"
    try:
        proba = model.predict_proba(hidden[schema.FEATURES])[:, 1]
    except NotFittedError:
        return False, f"version {version} holds a model that was never fitted: train it first"
    reference = training.build_pipeline("logistic").fit(*training.split_features(train_frame))
    gap = float(np.abs(proba - reference.predict_proba(hidden[schema.FEATURES])[:, 1]).mean())
    if gap > SAME_MODEL_GAP:
        return False, (
            f"version {version}'s probabilities on hidden applications differ by {gap:.3f} on "
            f"average from a logistic model fitted on train_frame (tolerance {SAME_MODEL_GAP}): "
            "it is not a logistic model trained on train_frame (another kind of model, other "
            "data or other settings)"
        )
    auc = roc_auc_score(
        holdout[schema.TARGET_COLUMN], model.predict_proba(holdout[schema.FEATURES])[:, 1]
    )
    recorded = metadata["metrics"].get("roc_auc")
    if recorded is None or not np.isclose(float(recorded), auc, atol=1e-6):
        return False, (
            f"version {version} records ROC AUC {recorded!r}, but the model scores {auc:.4f} on "
            "holdout: record the metrics measured on holdout"
        )
    if metadata["threshold"] != training.DECISION_THRESHOLD:
        return False, (
            f"version {version} decides at threshold {metadata['threshold']!r}, but the model "
            f"was trained and measured at {training.DECISION_THRESHOLD} (the result's "
            "threshold): register threshold=result.threshold"
        )
    return True, ""


def _check_package(answer: Callable, seed: int) -> tuple[bool, str]:
    if (problem := needs_function(answer, "package(registry, train_frame, holdout)")) is not None:
        return False, problem
    seeds = [int(s) for s in np.random.default_rng(seed).integers(1, 1_000_000, 3)]
    frames = (
        data.make_applications(3_000, seed=seeds[0]),
        data.make_applications(1_500, seed=seeds[1], first_id=100_001),
        data.make_applications(2_000, seed=seeds[2], first_id=200_001),
    )
    versions = []
    with tempfile.TemporaryDirectory(prefix="exercise-01-2-") as folder:
        for registry in (
            Registry(f"{folder}/empty"),
            _registry_with_history(f"{folder}/used", seed),
        ):
            passed, message = _packaged(answer, registry, frames)
            if not passed:
                return False, message
            versions.append(registry.latest_version())
    return True, (
        f"versions {versions[0]} (an empty registry) and {versions[1]} (one with a history): "
        "a fitted logistic model, verified, traceable to its data"
    )


def _solution_package() -> Callable:
    def package(registry, train_frame, holdout):
        result = training.train(train_frame, holdout, kind="logistic")
        return registry.register(
            result.model,
            metrics=result.metrics,
            data_fingerprint=data.fingerprint(train_frame),
            kind=result.kind,
            threshold=result.threshold,
        )

    return package


register(
    Exercise(
        id="01.2",
        prompt="Write package(registry, train_frame, holdout): train a logistic model on "
        "`train_frame`, measure it on `holdout`, register it in `registry` and return the "
        "version register() gives.",
        hint="training.train(train_frame, holdout, kind='logistic'), then registry.register(...) "
        "with its metrics and data_fingerprint=data.fingerprint(train_frame)",
        checker=_check_package,
        solution=_solution_package,
        wrong_answer=lambda: lambda registry, train_frame, holdout: "9.9.9",
    )
)


# -- 01.3 · which scenario hurts most --------------------------------------------------------
_SCENARIOS = ("data_drift", "concept_drift", "label_delay", "new_channel", "rate_hike", "recession")


def _drift_cases(seed: int) -> list[dict[str, float]]:
    """ROC AUC by scenario: the worst one varies (in the first case it is not the first listed
    below the reference); in the last case none is worse, and one scenario scores exactly the
    reference's ROC AUC."""
    rng = np.random.default_rng(seed)
    cases = []
    for index in range(4):
        names = [str(n) for n in rng.choice(_SCENARIOS, int(rng.integers(2, 5)), replace=False)]
        reference = round(float(rng.uniform(0.72, 0.85)), 3)
        low, high = (0.01, 0.05) if index == 3 else (-0.08, 0.02)
        aucs = {str(n): round(reference + float(rng.uniform(low, high)), 3) for n in names}
        if index == 0:  # the first scenario listed is below the reference, a later one lowest
            aucs[names[0]] = round(reference - 0.005, 3)
            aucs[names[1]] = round(min(aucs.values()) - 0.01, 3)
        for name in names[1:]:  # no two scenarios tie: nudge a repeat down until it is unique
            while aucs[name] in {v for n, v in aucs.items() if n != name}:
                aucs[name] = round(aucs[name] - 0.001, 3)
        if index == 3:  # one scenario exactly at the reference: equal does not lower it
            aucs[next(iter(aucs))] = reference
        ordered = [(n, aucs[n]) for n in names]
        # the reference anywhere, but after the scenario that ties with it (a minimum over
        # every key then meets that scenario first, whatever the seed)
        position = int(rng.integers(len(ordered) + 1)) if index < 3 else len(ordered)
        ordered.insert(position, ("reference", reference))
        cases.append(dict(ordered))
    return cases


def _worst(auc_by_scenario: dict[str, float]) -> str | None:
    reference = auc_by_scenario["reference"]
    worse = {n: v for n, v in auc_by_scenario.items() if n != "reference" and v < reference}
    return min(worse, key=worse.__getitem__) if worse else None


def _check_drift(answer: Callable, seed: int) -> tuple[bool, str]:
    if (problem := needs_function(answer, "most_harmful(auc_by_scenario)")) is not None:
        return False, problem
    for aucs in _drift_cases(seed):
        shown = ", ".join(f"{n} {v:.3f}" for n, v in aucs.items())
        got, expected = call_answer(answer, f"for {shown}", dict(aucs)), _worst(aucs)
        if got == expected:
            continue
        if got == "reference":
            return False, f"for {shown} your function names the reference: it is not a scenario"
        if isinstance(got, str) and got in aucs and aucs[got] == aucs["reference"]:
            return False, (
                f"for {shown} your function says {got!r}: its ROC AUC equals the reference's, "
                "which does not lower it"
            )
        if expected is None:
            return False, f"for {shown} your function says {got!r}: no scenario lowers the ROC AUC"
        return False, f"for {shown} your function says {got!r}: another scenario hurts more"
    return True, "the scenario with the largest drop below the reference, or None"


def _solution_drift() -> Callable:
    def most_harmful(auc_by_scenario):
        reference = auc_by_scenario["reference"]
        worse = {n: auc for n, auc in auc_by_scenario.items() if auc < reference}
        return min(worse, key=worse.get) if worse else None

    return most_harmful


register(
    Exercise(
        id="01.3",
        prompt="Write most_harmful(auc_by_scenario): from a dict scenario -> ROC AUC that "
        "includes 'reference', return the scenario that lowers the ROC AUC most below the "
        "reference, or None when none lowers it.",
        hint="compare each scenario with auc_by_scenario['reference']; min(..., key=...) picks "
        "the lowest of the ones below it",
        checker=_check_drift,
        solution=_solution_drift,
        wrong_answer=lambda: lambda auc_by_scenario: "concept_drift",
    )
)
