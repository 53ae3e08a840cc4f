"""Lab 01: the preprocessing + training function, trained, registered and scored on a holdout."""

from __future__ import annotations

from types import ModuleType

from workshop_lib import data, schema
from workshop_lib.labs import shared
from workshop_lib.labs.core import Lab, fresh_seed, register
from workshop_lib.registry import RegistryError

MIN_AUC = 0.74  # the reference logistic pipeline scores about 0.80 on 3,000 fresh rows
TRAIN_ROWS, HOLDOUT_ROWS = 5_000, 3_000


def _check(module: ModuleType, seed: int) -> tuple[bool, str]:
    train_frame = data.make_applications(TRAIN_ROWS, seed=fresh_seed(seed, 1))
    holdout = data.make_applications(
        HOLDOUT_ROWS, seed=fresh_seed(seed, 2), first_id=TRAIN_ROWS + 1, start="2025-04-01"
    )
    model = module.train_model(train_frame.copy())
    if not hasattr(model, "predict_proba"):
        return False, f"train_model returned {type(model).__name__}, which has no predict_proba"
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
    return True, (
        f"trained on {TRAIN_ROWS:,} rows, registered as {loaded.version}, ROC AUC {auc:.3f} on "
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
