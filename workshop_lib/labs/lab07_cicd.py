"""Lab 07: a data check and a quality gate, run on clean data and on unseen corruptions.

Every kind of corruption is present on every seed (each numeric column above its maximum and
below its minimum, an infinite number, a hole in each feature, numeric and categorical, one
repeated id; every other table with a single bad row), and the gate meets candidates on both
sides of each rule: the floor, and "at most MAX_DROP below production" (candidates blurred to
a chosen ROC AUC, so the case exists whatever the seed). The holdout's first rows are those
production ranks worst (a gate on its head errs); two candidates 0.0005 either side of the
allowed drop meet the holdout in 16 orders each (a gate on a sample of it sees other rows each
time, and errs on some order: a random half is right with odds of about 0.57 each time); and
a last case hands the production model again with a second holdout (a production score cached
from the first errs).
"""

from __future__ import annotations

import copy
import functools
import math
import re
from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd

from workshop_lib import data, schema, training
from workshop_lib.cicd.outcomes import Outcome
from workshop_lib.labs import shared
from workshop_lib.labs.core import Lab, Refusal, fresh_seed, register

MIN_AUC, MAX_DROP = 0.70, 0.01
ORDERS = 16  # orders of the holdout's rows each near-limit candidate meets
# words a failed check's reason uses for each kind of problem (or the column's own name)
SAYS = {
    "range": ("range", "outside", "above", "below", "min", "max", "bound", "limit", "invalid"),
    "missing": ("missing", "null", "nan", "na ", "none", "empty", "hole"),
    "ids": ("id", "duplicate", "repeat", "unique"),
}
TABLE_ROWS = 1_000  # rows of the clean table and of each corrupted copy
CORRUPTIONS = 2 * len(schema.NUMERIC) + len(schema.FEATURES) + 2  # tables corruptions() makes


def corruptions(frame: pd.DataFrame, seed: int) -> list[tuple[str, pd.DataFrame, tuple[str, ...]]]:
    """Broken copies of ``frame``: (what, table, words its reason may use), every kind each time.

    Each numeric column above its maximum and below its minimum, an infinite number, a hole in
    every feature (NaN in a number, None in a category), and one repeated application id.
    Every other table has a single bad row (a check that counts "more than one" misses it), the
    others 2 to 19.
    """
    rng = np.random.default_rng(seed)
    broken: list[tuple[str, pd.DataFrame, tuple[str, ...]]] = []

    def rows() -> np.ndarray:
        size = 1 if len(broken) % 2 == 0 else int(rng.integers(2, 20))
        return rng.choice(len(frame), size=size, replace=False)

    for feature in schema.NUMERIC:
        gap = 1 if feature.integer else 0.01
        for side, value in (("above", feature.maximum + gap), ("below", feature.minimum - gap)):
            table, where = frame.copy(), rows()
            table.loc[where, feature.name] = int(value) if feature.integer else value
            what = f"{feature.name} = {value:g} ({side} its range) in {len(where)} row(s)"
            broken.append((what, table, (feature.name, *SAYS["range"])))
    # an infinite number: neither missing nor, to a check that skips what it cannot compare, out
    # of range; it is above every maximum
    feature = next(f for f in schema.NUMERIC if not f.integer)
    table, where = frame.copy(), rows()
    table.loc[where, feature.name] = np.inf
    what = f"{feature.name} = inf (above its range) in {len(where)} row(s)"
    broken.append((what, table, (feature.name, "inf", *SAYS["range"])))
    for column in schema.FEATURES:
        table, where = frame.copy(), rows()
        numeric = column in schema.NUMERIC_FEATURES
        table[column] = table[column].astype("float64" if numeric else object)
        table.loc[where, column] = np.nan if numeric else None
        what = f"{len(where)} missing value(s) of {column}"
        broken.append((what, table, (column, *SAYS["missing"])))
    table, row = frame.copy(), int(rng.integers(1, len(frame)))
    table.loc[row, schema.ID_COLUMN] = int(frame[schema.ID_COLUMN].iloc[0])  # once, not row 0
    broken.append((f"1 repeated application id (row {row})", table, SAYS["ids"]))
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

    Blurred copies of the production model sit at chosen ROC AUCs: 0.005 and 0.009 below
    production (within the allowed drop: pass; "0.01" read as 1 % stops the second), 0.015
    below (stop; a gate that rounds to two decimals passes it), between the floor and
    production's AUC minus the drop (a gate that ignores production passes it), above
    production (arguments swapped), and candidates under and over the floor against a
    production that is itself under it (a floor tested on production's AUC errs on both), and
    just past each limit: 0.012 below production, 0.695 above a weaker production, and 0.697
    within the drop of a production at 0.705 (a floor tested on the better of the two errs).
    """
    _, production = shared.trained_model(fresh_seed(seed, 3))
    model = production.model
    holdout = _worst_first(
        data.make_applications(4_000, seed=fresh_seed(seed, 5), first_id=800_001), model
    )
    auc = shared.holdout_auc(model, holdout)
    if auc < MIN_AUC + MAX_DROP + 0.02:
        raise RuntimeError(f"the lab's production model scores only {auc:.3f}")  # never seen

    def blur(target: float, offset: int, within: float = 0.001) -> shared.Blurred:
        return shared.blurred_to(model, holdout, target, fresh_seed(seed, offset), within)

    fresh = data.make_applications(4_000, seed=fresh_seed(seed, 4))
    labels = np.random.default_rng(seed).permutation(fresh[schema.TARGET_COLUMN])
    shuffled = fresh.assign(**{schema.TARGET_COLUMN: labels})
    between = round((MIN_AUC + auc - MAX_DROP) / 2, 3)
    weak_production = blur(round(MIN_AUC - 0.04, 3), 10)
    # a production at n.3 hundredths and a candidate at (n - 1.2): 0.015 apart, yet rounded
    # to two decimals they are 0.01 apart, so a gate that rounds first passes it
    hundredths = math.floor(auc * 100) - 1
    cases = [
        ("the production model itself", model, model),
        ("a candidate 0.005 below production", blur(round(auc - MAX_DROP / 2, 3), 11), model),
        (
            f"a candidate between the floor and production's AUC - {MAX_DROP}",
            blur(between, 12),
            model,
        ),
        ("a candidate better than production", model, blur(round(auc - 0.05, 3), 13)),
        (
            "a candidate under the floor, above a weaker production",
            blur(round(MIN_AUC - 0.02, 3), 14),
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
        # 0.0093 below: inside the drop, but beyond 1 % of production's AUC (0.99 x production)
        ("a candidate 0.009 below production", blur(auc - 0.0093, 15, within=0.0002), model),
        (
            "a candidate 0.015 below production (0.01 apart when rounded to 2 decimals)",
            blur((hundredths - 1.2) / 100, 16, within=0.0005),
            blur((hundredths + 0.3) / 100, 17, within=0.0005),
        ),
        (
            "a candidate above the floor, replacing a production under it",
            blur(0.72, 18),
            weak_production,
        ),
        # just past the limits: a tolerance of 0.015, or a floor of 0.68 or 0.69, lets them by
        ("a candidate 0.012 below production", blur(auc - 0.012, 19, within=0.0003), model),
        (
            "a candidate at 0.695, under the floor, above a weaker production",
            blur(0.695, 20, within=0.0015),
            weak_production,
        ),
        (
            "a candidate at 0.697, under the floor, 0.008 below a production at 0.705",
            blur(0.697, 21, within=0.0005),
            blur(0.705, 22, within=0.0005),
        ),
    ]
    measured = [
        (what, c, p, shared.holdout_auc(c, holdout), shared.holdout_auc(p, holdout))
        for what, c, p in cases
    ]
    return holdout, measured


def _worst_first(holdout: pd.DataFrame, model: Any) -> pd.DataFrame:
    """``holdout`` with the rows ``model`` ranks worst first (defaults it scores low, repaid
    loans it scores high): its ROC AUC is unchanged, on its first rows it is far below 0.5."""
    rank = pd.Series(model.predict_proba(holdout[schema.FEATURES])[:, 1]).rank(pct=True)
    defaulted = holdout[schema.TARGET_COLUMN].to_numpy() == 1
    badness = np.where(defaulted, 1 - rank.to_numpy(), rank.to_numpy())
    return holdout.iloc[np.argsort(-badness, kind="stable")].reset_index(drop=True)


@functools.cache
def second_holdout(seed: int) -> tuple[pd.DataFrame, float]:
    """Another holdout on which the production model scores 0.03 lower than on the first (some
    outcomes shuffled), still above the floor, and that score: made once per seed."""
    _, cases = gate_cases(seed)
    production, first_auc = cases[0][2], cases[0][4]  # the production model itself, its AUC
    target = max(MIN_AUC + 0.02, first_auc - 0.03)
    fresh = data.make_applications(4_000, seed=fresh_seed(seed, 6), first_id=900_001)
    rng = np.random.default_rng(fresh_seed(seed, 7))
    rows, shuffled = rng.permutation(len(fresh)), rng.permutation(fresh[schema.TARGET_COLUMN])
    labels = fresh[schema.TARGET_COLUMN].to_numpy().copy()
    for count in range(0, len(fresh), 20):
        labels[rows[:count]] = shuffled[rows[:count]]
        second = fresh.assign(**{schema.TARGET_COLUMN: labels})
        auc = shared.holdout_auc(production, second)
        if auc <= target:
            return second, auc
    raise RuntimeError("no share of shuffled outcomes lowers the score enough")  # never seen


@functools.cache
def near_the_limit(seed: int) -> list[tuple[str, shared.Blurred, float, float]]:
    """Two candidates 0.0003 to 0.0007 inside and past the allowed drop (what, candidate, its
    ROC AUC and production's on the whole holdout), made once per seed."""
    holdout, cases = gate_cases(seed)
    production, auc = cases[0][2], cases[0][4]  # the production model itself, its AUC
    near = []
    for offset, drop in ((23, MAX_DROP - 0.0005), (24, MAX_DROP + 0.0005)):
        candidate = shared.blurred_to(
            production, holdout, auc - drop, fresh_seed(seed, offset), within=0.0002
        )
        candidate_auc = shared.holdout_auc(candidate, holdout)
        what = f"a candidate {auc - candidate_auc:.4f} below production"
        near.append((what, candidate, candidate_auc, auc))
    return near


def _shuffled_problem(module: ModuleType, seed: int) -> str:
    """Whether the gate decides the near-limit candidates alike whatever the order of the
    holdout's rows ("" when it does): a gate measuring on part of the holdout (its head, a
    sample) sees other rows each time and errs on some order."""
    holdout, cases = gate_cases(seed)
    production = cases[0][2]
    rng = np.random.default_rng(fresh_seed(seed, 25))
    for what, candidate, auc, production_auc in near_the_limit(seed):
        due = auc >= MIN_AUC and auc >= production_auc - MAX_DROP
        for turn in range(ORDERS):
            shuffled = holdout.sample(frac=1, random_state=int(rng.integers(2**31)))
            verdict = _outcome_of(module.quality_gate, what, candidate, production, shuffled)
            if bool(verdict.passed) != due:
                return (
                    f"your gate {'passes' if verdict.passed else 'stops'} {what} (ROC AUC "
                    f"{auc:.4f}, production's {production_auc:.4f}, on the whole holdout) when "
                    f"the holdout's rows come in another order (order {turn + 1} of {ORDERS}); "
                    f"the rule {'passes' if due else 'stops'} it in any order: measure on the "
                    "whole holdout, not on part of it"
                )
    return ""


def _outcome_of(function: Callable[..., object], what: str, *args: object) -> Outcome:
    outcome = function(*args)
    if not isinstance(outcome, Outcome):
        raise Refusal(f"on {what} your function returned {type(outcome).__name__}, not an Outcome")
    return outcome


@functools.cache
def _tables(
    seed: int,
) -> tuple[list[tuple[str, pd.DataFrame]], list[tuple[str, pd.DataFrame, tuple[str, ...]]]]:
    """The clean tables and the corrupted ones of a check, made once per seed (each check is
    handed copies)."""
    clean = data.make_applications(TABLE_ROWS, seed=fresh_seed(seed, 1))
    valid = [
        ("a clean table", clean),
        ("a clean table with values on the edges of their ranges", on_the_edges(clean)),
    ]
    return valid, corruptions(clean, fresh_seed(seed, 2))


def _check_tables(module: ModuleType, seed: int) -> str | None:
    valid, broken = _tables(seed)
    for what, table in valid:
        outcome = _outcome_of(module.check_table, what, table.copy())
        if not outcome.passed:
            return f"your data check fails {what}: {outcome.reason}"
    for what, table, words in broken:
        given = table.copy()
        outcome = _outcome_of(module.check_table, what, given)
        if not given.equals(table):
            return (
                f"your data check changed the table it was handed ({what}: {len(table):,} rows "
                f"went in, {len(given):,} are left, or values changed): a check reads the "
                "table, it does not clean it"
            )
        if outcome.passed:
            return f"your data check passes a table with {what}"
        reason = str(outcome.reason).lower()
        if not any(word.lower() in reason for word in words):
            return (
                f"your data check fails a table with {what}, but its reason "
                f"{outcome.reason!r} does not say what is wrong"
            )
        named = [c for c in schema.FEATURES if re.search(rf"\b{c}\b", reason) and c not in words]
        if named:
            return (
                f"your data check fails a table with {what}, but its reason "
                f"{outcome.reason!r} names {', '.join(named)}, which has nothing wrong in that "
                "table: name the column that is broken"
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
    problem = _shuffled_problem(module, seed)
    if problem:
        return False, problem
    production = cases[0][2]
    second, second_auc = second_holdout(seed)
    what = (
        f"a copy of the production model, with production, on a second holdout (both score "
        f"{second_auc:.3f} on it)"
    )
    twin = copy.deepcopy(production)
    if not _outcome_of(module.quality_gate, what, twin, production, second.copy()).passed:
        return False, (
            f"your gate stops {what}: a candidate equal to production always passes (is a score "
            "kept from an earlier call, on another holdout?)"
        )
    return True, (
        f"a clean table and one on the edges of the ranges pass, {CORRUPTIONS} corrupted"
        f" tables fail with a reason; the gate decides {len(cases)} candidates as the "
        "rule does, and again on a second holdout"
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
