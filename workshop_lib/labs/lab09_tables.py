"""Lab 09's tables and models, made once per seed: what a release must stop, and what it must ship.

Every candidate is trained the hint's way (a logistic pipeline), so its holdout ROC AUC is the
same number for every right answer, and each table is searched for (by how many labels are
misled) until that AUC lands in a band a little inside or a little outside a limit of the gate.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from workshop_lib import data, schema, training
from workshop_lib.labs import shared
from workshop_lib.labs.core import fresh_seed

MIN_AUC, MAX_DROP, MARGIN = 0.70, 0.01, 0.012
PAST = 0.0005, 0.0045  # the weaker candidate: this far past the allowed drop (least, most)
INSIDE = 0.0002, 0.0020  # the candidate that must ship: this far inside it
ROWS, PRODUCTION_ROWS = 3_000, 1_500  # production learnt from fewer rows: good data beats it
EARLIER = 3  # versions in the registry before the release: the next one is 1.3.0
SPURIOUS_RATE = 0.17  # the misled rows' default rate, about the data's own


@dataclass(frozen=True)
class Stopped:
    """A table a release must not ship, and whether the data check alone must stop it."""

    what: str
    table: pd.DataFrame
    by_data_check: bool


@dataclass(frozen=True)
class Tables:
    """What one seed's check feeds a release."""

    threshold: float  # production's, drawn per seed
    holdout: pd.DataFrame  # ordered so that its first rows flatter the weaker candidate
    stopped: list[Stopped]  # in order
    blind_good: pd.DataFrame  # good data, judged on a holdout with shuffled outcomes
    weaker: pd.DataFrame  # past the allowed drop: stopped by production, shipped past a weak one
    within: pd.DataFrame  # new data a little below production, inside the tolerance: ships
    within_auc: float
    production_auc: float
    weak_production: Pipeline  # a production well under the floor
    strong_newer: Pipeline  # the first registry's production, registered after it, never promoted
    floor_production: Pipeline  # a production just above the floor
    under_floor: pd.DataFrame  # a candidate just under the floor, within the drop of it
    under_floor_auc: float


def _misled(good: pd.DataFrame, fraction: float, seed: int) -> pd.DataFrame:
    """``good`` with the labels of ``fraction`` of its rows replaced by a pattern the holdout
    lacks (the most credit lines default): a candidate fits it, scores well on this table and
    worse on the holdout."""
    table = good.copy()
    rows = np.random.default_rng(seed).permutation(len(table))[: int(fraction * len(table))]
    lines = table.loc[rows, "num_credit_lines"]
    misled = (lines > lines.quantile(1 - SPURIOUS_RATE)).to_numpy()
    table.loc[rows, schema.TARGET_COLUMN] = misled.astype(table[schema.TARGET_COLUMN].dtype)
    return table


def _fit(table: pd.DataFrame) -> Pipeline:
    """A candidate trained on ``table`` the hint's way."""
    return training.build_pipeline("logistic").fit(*training.split_features(table))


def _candidate_auc(table: pd.DataFrame, holdout: pd.DataFrame) -> float:
    """The holdout ROC AUC of a candidate trained on ``table`` the hint's way."""
    return shared.holdout_auc(_fit(table), holdout)


def _good_table(seed: int, floor: float, holdout: pd.DataFrame) -> pd.DataFrame:
    """Fresh applications whose candidate (trained the hint's way) clearly passes the gate."""
    for offset in range(3, 30):
        good = data.make_applications(ROWS, seed=fresh_seed(seed, 100 + offset), first_id=910_001)
        if _candidate_auc(good, holdout) >= floor:
            return good
    raise RuntimeError("no fresh table trains a candidate that clearly passes")


def _worsened(
    good: pd.DataFrame,
    holdout: pd.DataFrame,
    band: tuple[float, float],
    spoil: Callable[[float], pd.DataFrame],
    also: Callable[[pd.DataFrame, Pipeline], bool] = lambda table, model: True,
) -> tuple[pd.DataFrame, Pipeline, float]:
    """A ``spoil(fraction)`` of ``good`` whose candidate's holdout ROC AUC lies inside ``band``
    and which meets ``also``, found by bisection (more spoilt labels: a lower AUC); with that
    candidate and its AUC."""
    low, high = 0.0, 0.9
    for _ in range(16):
        fraction = (low + high) / 2
        table = spoil(fraction)
        model = _fit(table)
        auc = shared.holdout_auc(model, holdout)
        if band[0] < auc < band[1] and also(table, model):
            return table, model, auc
        if auc >= (band[0] + band[1]) / 2:
            low = fraction
        else:
            high = fraction
    raise RuntimeError(f"no table's candidate lands between {band[0]:.3f} and {band[1]:.3f}")


def _flattering_first(holdout: pd.DataFrame, flattered: Pipeline, other: Pipeline) -> pd.DataFrame:
    """``holdout`` reordered so that its first rows are those on which ``flattered`` ranks
    better than ``other`` (a gate on the first rows ships it; a whole-holdout AUC is the same)."""

    def ranks(model: Pipeline) -> np.ndarray:
        return (
            pd.Series(model.predict_proba(holdout[schema.FEATURES])[:, 1]).rank(pct=True).to_numpy()
        )

    sign = 2 * holdout[schema.TARGET_COLUMN].to_numpy() - 1
    advantage = (ranks(flattered) - ranks(other)) * sign
    return holdout.iloc[np.argsort(-advantage, kind="stable")].reset_index(drop=True)


def _weaker(
    good: pd.DataFrame,
    holdout: pd.DataFrame,
    production: Pipeline,
    production_auc: float,
    seed: int,
) -> tuple[pd.DataFrame, Pipeline]:
    """A misled table whose candidate lands just beyond the allowed drop (a tolerance of 0.015
    ships it), above the floor (a gate that ignores production ships it), and clearly passes
    when scored on its own table (a gate on the wrong table ships it)."""
    limit = production_auc - MAX_DROP
    band = (limit - PAST[1], limit - PAST[0])

    def fits_itself(table: pd.DataFrame, model: Pipeline) -> bool:
        in_sample = shared.holdout_auc(model, table)
        production_in_sample = shared.holdout_auc(production, table)
        return in_sample >= max(MIN_AUC, production_in_sample - MAX_DROP) + MARGIN

    if band[0] < MIN_AUC + MARGIN:
        raise RuntimeError(f"production ({production_auc:.3f}) is too close to the floor")
    table, model, _ = _worsened(
        good, holdout, band, lambda f: _misled(good, f, fresh_seed(seed, 5)), fits_itself
    )
    return table, model


def _out_of_range(good: pd.DataFrame, rng: np.random.Generator) -> list[Stopped]:
    """``good`` with a few values just outside a range, for every numeric column, above and
    below (a range check that skips a column or a side ships one), and repeated ids."""
    tables = []
    for feature in schema.NUMERIC:
        step = 1 if feature.integer else 0.01
        for side, value in (("above", feature.maximum + step), ("below", feature.minimum - step)):
            if feature.name == "age" and side == "above":
                value = 150
            table = good.copy()
            table.loc[rng.choice(ROWS, 5, replace=False), feature.name] = value
            tables.append(Stopped(f"{feature.name} of {value:g} ({side} its range)", table, True))
    repeated = good.copy()
    rows = rng.choice(ROWS, 20, replace=False)
    repeated.loc[rows[10:], schema.ID_COLUMN] = repeated.loc[rows[:10], schema.ID_COLUMN].to_numpy()
    tables.append(Stopped("10 application ids given twice", repeated, True))
    return tables


@functools.cache
def tables(seed: int) -> Tables:
    """Production's threshold, the holdout, the tables that must not ship, and the new data."""
    rng = np.random.default_rng(fresh_seed(seed, 4))
    threshold = round(float(rng.uniform(0.2, 0.3)), 3)
    _, production = shared.trained_model(fresh_seed(seed, 1), PRODUCTION_ROWS, threshold, EARLIER)
    holdout = data.make_applications(ROWS, seed=fresh_seed(seed, 2), first_id=900_001)
    production_auc = shared.holdout_auc(production.model, holdout)
    good = _good_table(seed, production_auc - MAX_DROP / 2, holdout)
    weaker, weaker_model = _weaker(good, holdout, production.model, production_auc, seed)
    within, _, within_auc = _worsened(
        good,
        holdout,
        (production_auc - MAX_DROP + INSIDE[0], production_auc - MAX_DROP + INSIDE[1]),
        lambda f: _misled(good, f, fresh_seed(seed, 9)),
    )
    shuffled = good.assign(
        **{schema.TARGET_COLUMN: rng.permutation(good[schema.TARGET_COLUMN].to_numpy())}
    )
    _, floor_production, floor_auc = _worsened(
        good,
        holdout,
        (MIN_AUC + 0.001, MIN_AUC + 0.005),
        lambda f: _misled(good, f, fresh_seed(seed, 11)),
    )
    under_floor, _, under_floor_auc = _worsened(
        good,
        holdout,
        (floor_auc - MAX_DROP + 0.001, MIN_AUC - 0.0015),
        lambda f: _misled(good, f, fresh_seed(seed, 10)),
    )
    _, weak_production, _ = _worsened(
        good,
        holdout,
        (MIN_AUC - 0.10, MIN_AUC - 0.06),
        lambda f: _misled(good, f, fresh_seed(seed, 12)),
    )
    holey = good.astype({"credit_score": "float64"})
    holey.loc[rng.choice(ROWS, 30, replace=False), "credit_score"] = np.nan
    no_category = good.astype({"purpose": object})
    no_category.loc[rng.choice(ROWS, 30, replace=False), "purpose"] = None
    broken_join = _misled(good, 1.0, fresh_seed(seed, 6))
    stopped = [
        Stopped(
            f"a weaker candidate (ROC AUC more than {MAX_DROP} below production's, "
            "and above the floor)",
            weaker,
            False,
        ),
        Stopped(
            "labels from a broken join (every applicant with many credit lines marked as "
            "defaulted: a candidate learns it perfectly on the table itself and scores "
            f"{_candidate_auc(broken_join, holdout):.2f} on the holdout)",
            broken_join,
            False,
        ),
        Stopped("missing credit scores", holey, True),
        Stopped("missing loan purposes", no_category, True),
        Stopped("shuffled labels", shuffled, False),
        *_out_of_range(good, rng),
    ]
    return Tables(
        threshold=threshold,
        holdout=_flattering_first(holdout, weaker_model, production.model),
        stopped=stopped,
        blind_good=good,
        weaker=weaker,
        within=within,
        within_auc=within_auc,
        production_auc=production_auc,
        weak_production=weak_production,
        strong_newer=production.model,
        floor_production=floor_production,
        under_floor=under_floor,
        under_floor_auc=under_floor_auc,
    )
