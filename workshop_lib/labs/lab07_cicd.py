"""Lab 07: a data check and a quality gate, run on clean data and on unseen corruptions.

Every kind of corruption is present on every seed (each numeric column above its maximum and
below its minimum, a hole in each feature, numeric and categorical, a repeated id), and the
gate meets candidates on both sides of each rule: the floor, and "at most MAX_DROP below
production" (candidates blurred to a chosen ROC AUC, so the case exists whatever the seed).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from types import ModuleType

import numpy as np
import pandas as pd

from workshop_lib import data, schema, training
from workshop_lib.cicd.outcomes import Outcome
from workshop_lib.labs import shared
from workshop_lib.labs.core import Lab, fresh_seed, register

MIN_AUC, MAX_DROP = 0.70, 0.01
# words a failed check's reason uses for each kind of problem (or the column's own name)
SAYS = {
    "range": ("range", "outside", "above", "below", "min", "max", "bound", "limit", "invalid"),
    "missing": ("missing", "null", "nan", "na ", "none", "empty", "hole"),
    "ids": ("id", "duplicate", "repeat", "unique"),
}
CORRUPTIONS = 2 * len(schema.NUMERIC) + len(schema.FEATURES) + 1  # tables corruptions() makes


def corruptions(frame: pd.DataFrame, seed: int) -> list[tuple[str, pd.DataFrame, tuple[str, ...]]]:
    """Broken copies of ``frame``: (what, table, words its reason may use), every kind each time.

    Each numeric column above its maximum and below its minimum, a hole in every feature
    (NaN in a number, None in a category), and repeated application ids; 1 to 19 rows each.
    """
    rng = np.random.default_rng(seed)
    broken = []

    def rows() -> np.ndarray:
        return rng.choice(len(frame), size=int(rng.integers(1, 20)), replace=False)

    for feature in schema.NUMERIC:
        gap = 1 if feature.integer else 0.01
        for side, value in (("above", feature.maximum + gap), ("below", feature.minimum - gap)):
            table, where = frame.copy(), rows()
            table.loc[where, feature.name] = int(value) if feature.integer else value
            what = f"{feature.name} = {value:g} ({side} its range) in {len(where)} row(s)"
            broken.append((what, table, (feature.name, *SAYS["range"])))
    for column in schema.FEATURES:
        table, where = frame.copy(), rows()
        numeric = column in schema.NUMERIC_FEATURES
        table[column] = table[column].astype("float64" if numeric else object)
        table.loc[where, column] = np.nan if numeric else None
        what = f"{len(where)} missing value(s) of {column}"
        broken.append((what, table, (column, *SAYS["missing"])))
    table, where = frame.copy(), rows()
    table.loc[where, schema.ID_COLUMN] = int(frame[schema.ID_COLUMN].iloc[0])
    broken.append((f"{len(where)} repeated application id(s)", table, SAYS["ids"]))
    return broken


def on_the_edges(frame: pd.DataFrame) -> pd.DataFrame:
    """A clean table whose numbers touch both ends of their closed ranges (still valid)."""
    table = frame.copy()
    for i, feature in enumerate(schema.NUMERIC):
        kind = int if feature.integer else float
        table.loc[2 * i, feature.name] = kind(feature.minimum)
        table.loc[2 * i + 1, feature.name] = kind(feature.maximum)
    return table


@functools.cache
def gate_cases(
    seed: int,
) -> tuple[pd.DataFrame, list[tuple[str, object, object, float, float]]]:
    """The holdout and (what, candidate, production, their ROC AUCs), made once per seed.

    Blurred copies of the production model sit at chosen ROC AUCs: 0.005 below production
    (within the allowed drop: pass), between the floor and production's AUC minus the drop
    (a gate that ignores production passes it), above production (arguments swapped), and
    a candidate above a production that is itself under the floor.
    """
    _, production = shared.trained_model(fresh_seed(seed, 3))
    model = production.model
    holdout = data.make_applications(4_000, seed=fresh_seed(seed, 5), first_id=800_001)
    auc = shared.holdout_auc(model, holdout)
    if auc < MIN_AUC + MAX_DROP + 0.02:
        raise RuntimeError(f"the lab's production model scores only {auc:.3f}")  # never seen

    def blur(target: float, offset: int) -> shared.Blurred:
        return shared.blurred_to(model, holdout, round(target, 3), fresh_seed(seed, offset))

    fresh = data.make_applications(4_000, seed=fresh_seed(seed, 4))
    labels = np.random.default_rng(seed).permutation(fresh[schema.TARGET_COLUMN])
    shuffled = fresh.assign(**{schema.TARGET_COLUMN: labels})
    between = (MIN_AUC + auc - MAX_DROP) / 2
    weak_production = blur(MIN_AUC - 0.04, 10)
    cases = [
        ("the production model itself", model, model),
        ("a candidate 0.005 below production", blur(auc - MAX_DROP / 2, 11), model),
        (
            f"a candidate between the floor and production's AUC - {MAX_DROP}",
            blur(between, 12),
            model,
        ),
        ("a candidate better than production", model, blur(auc - 0.05, 13)),
        (
            "a candidate under the floor, above a weaker production",
            blur(MIN_AUC - 0.02, 14),
            weak_production,
        ),
        (
            "a retrain on fresh data",
            training.build_pipeline("logistic").fit(*training.split_features(fresh)),
            model,
        ),
        (
            "a model trained on shuffled labels",
            training.build_pipeline("logistic").fit(*training.split_features(shuffled)),
            model,
        ),
    ]
    measured = [
        (what, c, p, shared.holdout_auc(c, holdout), shared.holdout_auc(p, holdout))
        for what, c, p in cases
    ]
    return holdout, measured


def _outcome_of(function: Callable[..., object], what: str, *args: object) -> Outcome:
    outcome = function(*args)
    if not isinstance(outcome, Outcome):
        raise TypeError(
            f"on {what} your function returned {type(outcome).__name__}, not an Outcome"
        )
    return outcome


def _check_tables(module: ModuleType, seed: int) -> str | None:
    clean = data.make_applications(3_000, seed=fresh_seed(seed, 1))
    for what, table in (
        ("a clean table", clean),
        ("a clean table with values on the edges of their ranges", on_the_edges(clean)),
    ):
        outcome = _outcome_of(module.check_table, what, table.copy())
        if not outcome.passed:
            return f"your data check fails {what}: {outcome.reason}"
    for what, table, words in corruptions(clean, fresh_seed(seed, 2)):
        outcome = _outcome_of(module.check_table, what, table)
        if outcome.passed:
            return f"your data check passes a table with {what}"
        reason = str(outcome.reason).lower()
        if not any(word.lower() in reason for word in words):
            return (
                f"your data check fails a table with {what}, but its reason "
                f"{outcome.reason!r} does not say what is wrong"
            )
    return None


def _check(module: ModuleType, seed: int) -> tuple[bool, str]:
    problem = _check_tables(module, seed)
    if problem:
        return False, problem
    holdout, cases = gate_cases(seed)
    for what, candidate, production, auc, production_auc in cases:
        due = auc >= MIN_AUC and auc >= production_auc - MAX_DROP
        verdict = _outcome_of(module.quality_gate, what, candidate, production, holdout.copy())
        if bool(verdict.passed) != due:
            return False, (
                f"your gate {'passes' if verdict.passed else 'stops'} {what} (ROC AUC {auc:.3f}, "
                f"production's {production_auc:.3f}); the rule (ROC AUC >= {MIN_AUC} and at "
                f"most {MAX_DROP} below production) {'passes' if due else 'stops'} it"
            )
    return True, (
        f"a clean table and one on the edges of the ranges pass, {CORRUPTIONS} corrupted"
        f" tables fail with a reason; the gate decides {len(cases)} candidates as the "
        "rule does"
    )


def _reference() -> ModuleType:
    from workshop_lib.labs.reference import lab07_cicd

    return lab07_cicd


register(
    Lab(
        id="07",
        file="lab07_cicd.py",
        prompt="Write check_table(frame) -> Outcome (no value outside the schema's range, no "
        "missing value, no repeated application id; a failure's reason says which) and "
        "quality_gate(candidate, production, holdout) -> Outcome "
        f"(ROC AUC >= {MIN_AUC} and at most {MAX_DROP} below production).",
        hint="schema.NUMERIC lists each numeric feature with .minimum and .maximum; "
        "frame[schema.FEATURES].isna().any(axis=None); frame[schema.ID_COLUMN].duplicated().any(); "
        "the gate scores holdout[schema.FEATURES] with both models and compares roc_auc_score",
        checker=_check,
        reference=_reference,
    )
)
