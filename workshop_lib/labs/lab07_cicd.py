"""Lab 07: a data check and a quality gate, run on clean data and on unseen corruptions."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from types import ModuleType

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from workshop_lib import data, schema, training
from workshop_lib.cicd.outcomes import Outcome
from workshop_lib.labs import shared
from workshop_lib.labs.core import Lab, fresh_seed, register

MIN_AUC, MAX_DROP = 0.70, 0.01


def corruptions(frame: pd.DataFrame, seed: int) -> dict[str, pd.DataFrame]:
    """Broken copies of ``frame``, chosen afresh: a value out of range, a hole, a repeated id."""
    rng = np.random.default_rng(seed)
    feature = schema.NUMERIC[int(rng.integers(len(schema.NUMERIC)))]
    rows = rng.choice(len(frame), size=int(rng.integers(1, 20)), replace=False)
    beyond = frame.copy()
    beyond[feature.name] = beyond[feature.name].astype("float64")
    outside = feature.maximum + 1 if rng.random() < 0.5 else feature.minimum - 1
    beyond.loc[rows, feature.name] = outside
    holey = frame.copy()
    column = schema.FEATURES[int(rng.integers(len(schema.FEATURES)))]
    holey[column] = holey[column].astype(object)
    holey.loc[rows, column] = None
    repeated = frame.copy()
    repeated.loc[rows, schema.ID_COLUMN] = int(frame[schema.ID_COLUMN].iloc[0])
    return {
        f"{feature.name} = {outside:g} in {len(rows)} rows": beyond,
        f"{len(rows)} missing values of {column}": holey,
        f"{len(rows)} repeated application ids": repeated,
    }


def _few_features(frame: pd.DataFrame) -> Pipeline:
    columns = ["age", "num_credit_lines"]
    model = Pipeline(
        [
            ("scale", ColumnTransformer([("n", StandardScaler(), columns)])),
            ("m", LogisticRegression()),
        ]
    )
    return model.fit(frame[schema.FEATURES], frame[schema.TARGET_COLUMN])


def _candidates(seed: int, production: object) -> dict[str, object]:
    fresh = data.make_applications(4_000, seed=fresh_seed(seed, 4))
    shuffled = fresh.assign(defaulted=np.random.default_rng(seed).permutation(fresh["defaulted"]))
    return {
        "the production model itself": production,
        "a retrain on fresh data": training.build_pipeline("logistic").fit(
            *training.split_features(fresh)
        ),
        "a model trained on shuffled labels": training.build_pipeline("logistic").fit(
            *training.split_features(shuffled)
        ),
        "a model that sees two weak features": _few_features(fresh),
    }


def _outcome_of(call: Callable[[], object], what: str) -> Outcome:
    outcome = call()
    if not isinstance(outcome, Outcome):
        raise TypeError(
            f"on {what} your function returned {type(outcome).__name__}, not an Outcome"
        )
    return outcome


def _check(module: ModuleType, seed: int) -> tuple[bool, str]:
    clean = data.make_applications(3_000, seed=fresh_seed(seed, 1))
    outcome = _outcome_of(lambda: module.check_table(clean.copy()), "a clean table")
    if not outcome.passed:
        return False, f"your data check fails a clean table: {outcome.reason}"
    for what, broken in corruptions(clean, fresh_seed(seed, 2)).items():
        if _outcome_of(partial(module.check_table, broken), what).passed:
            return False, f"your data check passes a table with {what}"
    registry, production = shared.trained_model(fresh_seed(seed, 3))
    holdout = data.make_applications(4_000, seed=fresh_seed(seed, 5), first_id=800_001)
    production_auc = shared.holdout_auc(production.model, holdout)
    for what, candidate in _candidates(seed, production.model).items():
        auc = shared.holdout_auc(candidate, holdout)
        due = auc >= MIN_AUC and auc >= production_auc - MAX_DROP
        gate = partial(module.quality_gate, candidate, production.model, holdout.copy())
        verdict = _outcome_of(gate, what)
        if bool(verdict.passed) != due:
            return False, (
                f"your gate {'passes' if verdict.passed else 'stops'} {what} (ROC AUC {auc:.3f} "
                f"vs production's {production_auc:.3f}); it should "
                f"{'pass' if due else 'stop'} it"
            )
    return (
        True,
        "clean table passes, three unseen corruptions fail; the gate stops exactly the weak "
        "candidates",
    )


def _reference() -> ModuleType:
    from workshop_lib.labs.reference import lab07_cicd

    return lab07_cicd


register(
    Lab(
        id="07",
        file="lab07_cicd.py",
        prompt="Write check_table(frame) -> Outcome (no value outside the schema's range, no "
        "missing value, no repeated application id) and quality_gate(candidate, production, "
        f"holdout) -> Outcome (ROC AUC >= {MIN_AUC} and at most {MAX_DROP} below production).",
        hint="schema.NUMERIC lists each numeric feature with .minimum and .maximum; "
        "frame[schema.FEATURES].isna().any(axis=None); frame[schema.ID_COLUMN].duplicated().any(); "
        "the gate scores holdout[schema.FEATURES] with both models and compares roc_auc_score",
        checker=_check,
        reference=_reference,
    )
)
