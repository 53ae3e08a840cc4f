"""Lab 01: the preprocessing + training function, trained, registered and scored on a holdout."""

from __future__ import annotations

from types import ModuleType

import numpy as np
import pandas as pd

from workshop_lib import data, schema
from workshop_lib.labs import shared
from workshop_lib.labs.core import Lab, fresh_seed, register
from workshop_lib.registry import RegistryError

MIN_AUC = 0.74  # the reference logistic pipeline scores about 0.80 on 3,000 fresh rows
TRAIN_ROWS, HOLDOUT_ROWS = 5_000, 3_000


def _responds(model: object, holdout: pd.DataFrame, columns: list[str]) -> bool:
    """Whether changing ``columns`` (each value to another valid one) moves any prediction."""
    changed = holdout.copy()
    rng = np.random.default_rng(0)
    for column in columns:
        if column in schema.CATEGORIES:
            options = list(schema.CATEGORIES[column])
            changed[column] = [
                options[(options.index(v) + 1) % len(options)] for v in changed[column]
            ]
        else:
            changed[column] = rng.permutation(changed[column].to_numpy())
    before = model.predict_proba(holdout[schema.FEATURES])[:, 1]  # type: ignore[attr-defined]
    after = model.predict_proba(changed[schema.FEATURES])[:, 1]  # type: ignore[attr-defined]
    return bool(np.abs(before - after).max() > 1e-9)


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


def _rows_seen(model: object) -> dict[str, int]:
    """The rows each fitted step that counts them saw (``n_samples_seen_``, as StandardScaler
    records), by step name, inside pipelines and column transformers."""
    seen: dict[str, int] = {}

    def visit(name: str, step: object) -> None:
        for child_name, child in getattr(step, "steps", []):
            visit(child_name, child)
        for child_name, child, _ in getattr(step, "transformers_", []):
            visit(child_name, child)
        counted = getattr(step, "n_samples_seen_", None)
        if counted is not None:
            seen[f"{name} ({type(step).__name__})"] = int(np.min(counted))

    visit("model", model)
    return seen


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
    fewer = {step: rows for step, rows in _rows_seen(model).items() if rows < TRAIN_ROWS}
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
    for kind, columns in (
        ("category", schema.CATEGORICAL_FEATURES),
        ("numeric", schema.NUMERIC_FEATURES),
    ):
        try:
            responds = _responds(loaded.model, holdout, columns)
        except (KeyError, ValueError) as error:
            return False, (
                f"ROC AUC {auc:.3f}, but the registered model cannot score hidden rows whose "
                f"{kind} columns take other values the schema allows ({error}): a category "
                "the training table lacked must not stop scoring (schema.CATEGORIES lists "
                "them all; OneHotEncoder(handle_unknown='ignore') is another way)"
            )
        if not responds:
            return False, (
                f"ROC AUC {auc:.3f}, but the predictions on {HOLDOUT_ROWS:,} hidden rows do not "
                f"change when every {kind} column ({', '.join(columns)}) changes: the model "
                "ignores them; use every feature of schema.FEATURES"
            )
    later = train_frame.copy()
    keep = len(later) // 10
    later.loc[keep:, schema.TARGET_COLUMN] = 1 - later.loc[keep:, schema.TARGET_COLUMN]
    flipped = module.train_model(later)
    before = loaded.model.predict_proba(holdout[schema.FEATURES])[:, 1]
    if np.abs(flipped.predict_proba(holdout[schema.FEATURES])[:, 1] - before).max() <= 1e-9:
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
