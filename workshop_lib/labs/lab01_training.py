"""Lab 01: the preprocessing + training function, trained, registered and scored on a holdout."""

from __future__ import annotations

from types import ModuleType

import numpy as np
import pandas as pd

from workshop_lib import data, schema
from workshop_lib.cicd.gates import GateLimits
from workshop_lib.labs import shared
from workshop_lib.labs.core import Lab, fresh_seed, register
from workshop_lib.registry import RegistryError

MIN_AUC = 0.74  # the reference logistic pipeline scores about 0.80 on 3,000 fresh rows
TRAIN_ROWS, HOLDOUT_ROWS = 5_000, 3_000
# A default probability must mean what it says. Tenths of the holdout by predicted risk (equal
# counts, so probabilities all squeezed towards the average cannot hide in one bin), at most
# this mean gap between predicted and observed default rates: the ceiling of chapter 07's gate.
MAX_CALIBRATION_GAP = GateLimits().max_calibration_error


def _responds(model: object, holdout: pd.DataFrame, before: np.ndarray, column: str) -> bool:
    """Whether changing ``column`` (each value to another valid one) moves any of the
    predictions ``before`` (the model's on ``holdout`` as it is)."""
    changed = holdout.copy()
    if column in schema.CATEGORIES:
        options = list(schema.CATEGORIES[column])
        changed[column] = [options[(options.index(v) + 1) % len(options)] for v in changed[column]]
    else:
        changed[column] = np.random.default_rng(0).permutation(changed[column].to_numpy())
    after = model.predict_proba(changed[schema.FEATURES])[:, 1]  # type: ignore[attr-defined]
    return bool(np.abs(before - after).max() > 1e-9)


def _extremes(holdout: pd.DataFrame) -> pd.DataFrame:
    """Hidden applications with one numeric field at the lowest, then the highest, value the
    schema allows (a count such as delinquencies_2y can take values no training row had)."""
    rows = []
    for feature in schema.NUMERIC:
        for value in (feature.minimum, feature.maximum):
            row = holdout.iloc[0].copy()
            row[feature.name] = int(value) if feature.integer else value
            rows.append(row)
    return pd.DataFrame(rows)[schema.FEATURES]


def _calibration_by_tenths(outcome: pd.Series, proba: np.ndarray) -> tuple[float, float, float]:
    """Mean gap between predicted and observed default rates over tenths of the rows ranked by
    predicted risk, and the predicted and observed rates of the tenth with the largest gap."""
    tenths = np.array_split(np.argsort(proba, kind="stable"), 10)
    rates = [(proba[rows].mean(), outcome.to_numpy()[rows].mean()) for rows in tenths]
    gaps = [abs(predicted - observed) for predicted, observed in rates]
    worst = rates[int(np.argmax(gaps))]
    return float(np.mean(gaps)), float(worst[0]), float(worst[1])


def _changes(given: pd.DataFrame, original: pd.DataFrame) -> str | None:
    """What the learner's function did to the table it was handed, or None."""
    gone = [c for c in original.columns if c not in given.columns]
    added = [c for c in given.columns if c not in original.columns]
    if gone or added:
        return f"columns removed: {gone or 'none'}, added: {added or 'none'}"
    if len(given) != len(original):
        return f"{len(original):,} rows became {len(given):,}"
    if not given[list(original.columns)].equals(original):
        return "values changed"
    return None


def _check(module: ModuleType, seed: int) -> tuple[bool, str]:
    train_frame = data.make_applications(TRAIN_ROWS, seed=fresh_seed(seed, 1))
    holdout = data.make_applications(
        HOLDOUT_ROWS, seed=fresh_seed(seed, 2), first_id=TRAIN_ROWS + 1, start="2025-04-01"
    )
    given = train_frame.copy()
    model = module.train_model(given)
    changed = _changes(given, train_frame)
    if changed:
        return False, (
            f"train_model changed the table it was given ({changed}): the caller's "
            "train_frame must stay as it was; work on a copy or select columns instead"
        )
    if not hasattr(model, "predict_proba"):
        return False, f"train_model returned {type(model).__name__}, which has no predict_proba"
    fewer = {step: rows for step, rows in shared.rows_seen(model).items() if rows < TRAIN_ROWS}
    if fewer:
        step, rows = next(iter(fewer.items()))
        return False, (
            f"your model's step {step} was fitted on {rows:,} rows, but train_frame has "
            f"{TRAIN_ROWS:,}: fit on all of it"
        )
    registry = shared.throwaway_registry("01")
    try:
        shared.register(registry, model, train_frame, "lab01")
    except RegistryError as error:
        return False, f"the registry refused your model: {error}"
    loaded = registry.load()
    try:
        auc = shared.holdout_auc(loaded.model, holdout)
    except (KeyError, ValueError) as error:
        return False, (
            "the registered model cannot score raw applications (the feature columns of "
            f"schema.FEATURES, strings included): {error}"
        )
    if auc < MIN_AUC:
        return False, f"ROC AUC {auc:.3f} on a hidden holdout, below the bar of {MIN_AUC}"
    proba = loaded.model.predict_proba(holdout[schema.FEATURES])[:, 1]
    for column in schema.FEATURES:
        try:
            responds = _responds(loaded.model, holdout, proba, column)
        except (KeyError, ValueError) as error:
            return False, (
                f"ROC AUC {auc:.3f}, but the registered model cannot score hidden rows whose "
                f"{column} takes other values the schema allows ({error}): a category "
                "the training table lacked must not stop scoring (schema.CATEGORIES lists "
                "them all; OneHotEncoder(handle_unknown='ignore') is another way)"
            )
        if not responds:
            return False, (
                f"ROC AUC {auc:.3f}, but the predictions on {HOLDOUT_ROWS:,} hidden rows do not "
                f"change when {column} changes: the model ignores it; use every feature of "
                "schema.FEATURES"
            )
    extremes = _extremes(holdout)
    try:
        loaded.model.predict_proba(extremes)
    except (KeyError, ValueError) as error:
        return False, (
            f"ROC AUC {auc:.3f}, but the registered model cannot score an application with a "
            f"numeric field at the lowest or highest value the schema allows ({error}): "
            "a number the training table lacked must not stop scoring"
        )
    gap, predicted, observed = _calibration_by_tenths(holdout[schema.TARGET_COLUMN], proba)
    if gap > MAX_CALIBRATION_GAP:
        return False, (
            f"ROC AUC {auc:.3f}, but the probabilities do not mean what they say: ranked by "
            f"predicted risk in tenths of {HOLDOUT_ROWS:,} hidden rows, predicted and observed "
            f"default rates differ by {gap:.3f} on average (at most {MAX_CALIBRATION_GAP}); "
            f"in the worst tenth it predicts {predicted:.1%} default where {observed:.1%} "
            "defaulted (class weights, resampling or heavy regularisation bend probabilities)"
        )
    later = train_frame.copy()
    keep = len(later) // 10
    later.loc[keep:, schema.TARGET_COLUMN] = 1 - later.loc[keep:, schema.TARGET_COLUMN]
    flipped = module.train_model(later)
    if np.abs(flipped.predict_proba(holdout[schema.FEATURES])[:, 1] - proba).max() <= 1e-9:
        return False, (
            f"ROC AUC {auc:.3f}, but a model trained on the same table with the labels of all "
            f"rows after the first {keep:,} flipped predicts exactly the same: train_model "
            "learns from only part of train_frame, or none of it; fit on all of it"
        )
    return True, (
        f"given {TRAIN_ROWS:,} rows, registered as {loaded.version}, ROC AUC {auc:.3f} on "
        f"{HOLDOUT_ROWS:,} hidden rows ({len(schema.FEATURES)} raw features in)"
    )


def _reference() -> ModuleType:
    from workshop_lib.labs.reference import lab01_training

    return lab01_training


register(
    Lab(
        id="01",
        file="lab01_training.py",
        prompt="Write train_model(train_frame) -> a fitted scikit-learn Pipeline that turns raw "
        "applications (numbers and category strings) into a default probability.",
        hint="a ColumnTransformer (StandardScaler on schema.NUMERIC_FEATURES, OneHotEncoder on "
        "schema.CATEGORICAL_FEATURES) then LogisticRegression, in one Pipeline; fit it on "
        "train_frame[schema.FEATURES] and train_frame[schema.TARGET_COLUMN]",
        checker=_check,
        reference=_reference,
    )
)
