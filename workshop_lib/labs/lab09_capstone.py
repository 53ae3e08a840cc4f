"""Lab 09: the capstone release, on a fresh registry: check, train, gate, register, promote.

The production model's threshold is drawn per check (neither 0.5 nor the training default),
and on every seed the release meets a table whose candidate lands between the floor and
production's ROC AUC (a gate that compares the candidate with itself, or ignores production,
ships it), a table whose labels follow a pattern the holdout lacks (a gate on any split of
the table itself ships it), tables that the data check must stop before anything is trained,
shuffled labels, the good data judged on a holdout with shuffled outcomes (a release that
gates on data of its own ships it), and good data, in that order; nothing but the good data
with the real holdout may register a version.
"""

from __future__ import annotations

import functools
from types import ModuleType

import numpy as np
import pandas as pd

from workshop_lib import data, schema, training
from workshop_lib.labs import shared
from workshop_lib.labs.core import Lab, fresh_seed, register
from workshop_lib.registry import Registry

MIN_AUC, MAX_DROP, MARGIN = 0.70, 0.01, 0.012
ROWS, PRODUCTION_ROWS = 3_000, 1_500  # production learnt from fewer rows: good data beats it
EARLIER = 3  # versions in the registry before the release: the next one is 1.3.0
SPURIOUS_RATE = 0.17  # the misled rows' default rate, about the data's own


def _misled(good: pd.DataFrame, fraction: float, seed: int) -> pd.DataFrame:
    """``good`` with the labels of ``fraction`` of its rows replaced by a pattern the holdout
    lacks (the most credit lines default): a candidate fits it, scores well on this table and
    worse on the holdout."""
    rng = np.random.default_rng(seed)
    table = good.copy()
    rows = rng.choice(len(table), int(fraction * len(table)), replace=False)
    lines = table.loc[rows, "num_credit_lines"]
    misled = (lines > lines.quantile(1 - SPURIOUS_RATE)).to_numpy()
    table.loc[rows, schema.TARGET_COLUMN] = misled.astype(table[schema.TARGET_COLUMN].dtype)
    return table


def _candidate_auc(table: pd.DataFrame, holdout: pd.DataFrame) -> float:
    """The holdout ROC AUC of a candidate trained on ``table`` the hint's way."""
    model = training.build_pipeline("logistic").fit(*training.split_features(table))
    return shared.holdout_auc(model, holdout)


def _good_table(seed: int, floor: float, holdout: pd.DataFrame) -> pd.DataFrame:
    """Fresh applications whose candidate (trained the hint's way) clearly passes the gate."""
    for offset in range(3, 30):
        good = data.make_applications(ROWS, seed=fresh_seed(seed, 100 + offset), first_id=910_001)
        if _candidate_auc(good, holdout) >= floor:
            return good
    raise RuntimeError("no fresh table trains a candidate that clearly passes")


@functools.cache
def tables(seed: int) -> tuple[float, pd.DataFrame, list[tuple[str, pd.DataFrame]], pd.DataFrame]:
    """Production's threshold, the holdout, the tables that must not ship, and good data.

    The "weaker" table is searched for: a candidate trained on it (the hint's way) scores a
    ROC AUC inside (floor, production's AUC - MAX_DROP) on the holdout with MARGIN to spare
    on both sides, and passes the gate by MARGIN when scored on its own training table (the
    table's misled labels fit it there), so a gate that looks at the wrong table ships it.
    """
    rng = np.random.default_rng(fresh_seed(seed, 4))
    threshold = round(float(rng.uniform(0.2, 0.3)), 3)
    _, production = shared.trained_model(fresh_seed(seed, 1), PRODUCTION_ROWS, threshold, EARLIER)
    holdout = data.make_applications(ROWS, seed=fresh_seed(seed, 2), first_id=900_001)
    production_auc = shared.holdout_auc(production.model, holdout)
    low, high = MIN_AUC + MARGIN, production_auc - MAX_DROP - MARGIN
    good = _good_table(seed, production_auc - MAX_DROP / 2, holdout)
    weaker = None
    for fraction in np.arange(0.2, 0.5, 0.025):
        table = _misled(good, float(fraction), fresh_seed(seed, 5))
        model = training.build_pipeline("logistic").fit(*training.split_features(table))
        if not low < shared.holdout_auc(model, holdout) < high:
            continue
        # scored on its own training table instead of the holdout, it clearly passes: a gate
        # that looks at the wrong table ships it
        in_sample = shared.holdout_auc(model, table)
        production_in_sample = shared.holdout_auc(production.model, table)
        if in_sample >= max(MIN_AUC, production_in_sample - MAX_DROP) + MARGIN:
            weaker = table
            break
    if weaker is None:
        raise RuntimeError(f"no misled table lands between {low:.3f} and {high:.3f}")
    shuffled = good.assign(
        **{schema.TARGET_COLUMN: rng.permutation(good[schema.TARGET_COLUMN].to_numpy())}
    )
    holey = good.astype({"credit_score": "float64"})
    holey.loc[rng.choice(ROWS, 30, replace=False), "credit_score"] = np.nan
    no_category = good.astype({"purpose": object})
    no_category.loc[rng.choice(ROWS, 30, replace=False), "purpose"] = None
    beyond = good.copy()
    beyond.loc[rng.choice(ROWS, 30, replace=False), "age"] = 150
    above = []  # every other numeric column above its range (a range check that skips one)
    for feature in schema.NUMERIC[1:]:
        table = good.copy()
        value = feature.maximum + (1 if feature.integer else 0.01)
        table.loc[rng.choice(ROWS, 5, replace=False), feature.name] = value
        above.append((f"{feature.name} of {value:g} (above its range)", table))
    broken_join = _misled(good, 1.0, fresh_seed(seed, 6))
    stopped = [
        ("a weaker candidate (ROC AUC between the floor and production's)", weaker),
        (
            "labels from a broken join (every applicant with many credit lines marked as "
            "defaulted: a candidate learns it perfectly on the table itself and scores "
            f"{_candidate_auc(broken_join, holdout):.2f} on the holdout)",
            broken_join,
        ),
        ("missing credit scores", holey),
        ("missing loan purposes", no_category),
        ("ages of 150", beyond),
        ("shuffled labels", shuffled),
        *above,
    ]
    return threshold, holdout, stopped, good


class _Raised(Exception):
    """The learner's release raised on one table: the message says which and what."""


def _release(
    module: ModuleType, what: str, table: pd.DataFrame, holdout: pd.DataFrame, registry: Registry
) -> object:
    try:
        return module.release(table.copy(), holdout.copy(), registry)
    except Exception as error:  # the learner's code may raise anything: say where it did
        trained = " (was it trained before the table was checked?)" if "NaN" in str(error) else ""
        raise _Raised(
            f"on a table with {what} your release raised {type(error).__name__}: {error}{trained}"
        ) from error


def _check(module: ModuleType, seed: int) -> tuple[bool, str]:
    try:
        return _check_release(module, seed)
    except _Raised as error:
        return False, str(error)


def _check_release(module: ModuleType, seed: int) -> tuple[bool, str]:
    threshold, holdout, stopped, good = tables(seed)
    registry, production = shared.trained_model(
        fresh_seed(seed, 1), PRODUCTION_ROWS, threshold, EARLIER
    )
    serving = production.version
    for what, table in stopped:
        versions = registry.versions()
        answer = _release(module, what, table, holdout, registry)
        if registry.stage() != serving:
            return False, (
                f"a table with {what} replaced production: {registry.stage()} serves now, "
                f"not {serving}"
            )
        if len(registry.versions()) != len(versions):
            return False, (
                f"on a table with {what} your release registered version(s) "
                f"{sorted(set(registry.versions()) - set(versions))} though nothing may ship: "
                "register only after the data check and the gate passed"
            )
        if answer != serving:
            return False, (
                f"on a table with {what} your release returned {answer!r}, but {serving} "
                "serves: return registry.stage()"
            )
    # the same good data, judged on a holdout whose outcomes were shuffled: no model ranks
    # them (ROC AUC about 0.5, under the floor), so a release that gates on the holdout it is
    # given stops; one that gates on data of its own (a split, a sample it made) ships
    labels = np.random.default_rng(fresh_seed(seed, 8)).permutation(holdout[schema.TARGET_COLUMN])
    blind = holdout.assign(**{schema.TARGET_COLUMN: labels})
    versions = registry.versions()
    what = "good data judged on a holdout whose outcomes no model can rank (ROC AUC about 0.5)"
    answer = _release(module, what, good, blind, registry)
    if registry.stage() != serving or len(registry.versions()) != len(versions):
        return False, (
            f"{what}: your release registered or shipped a version ({registry.stage()} serves "
            f"now): gate the candidate on the holdout it is given, not on data of its own"
        )
    if answer != serving:
        return False, (
            f"{what}: your release returned {answer!r}, but {serving} serves: "
            "return registry.stage()"
        )
    versions = registry.versions()
    answer = _release(module, "good new data", good, holdout, registry)
    now = registry.stage()
    if now == serving:
        return False, f"good new data did not ship: {serving} still serves"
    if answer != now:
        return False, f"good new data shipped as {now}, but your release returned {answer!r}"
    if now in versions:
        return False, (
            f"good new data: {now} serves, a version that was in the registry before your "
            "release ran: promote the version registry.register() returned"
        )
    shipped = registry.load()
    if shipped.threshold != threshold:
        return False, (
            f"the new version's threshold is {shipped.threshold}, production's was {threshold}: "
            "keep production's threshold (threshold=production.threshold)"
        )
    if shipped.metadata["data_fingerprint"] != data.fingerprint(good):
        return False, "the new version's data_fingerprint is not data.fingerprint(table)"
    auc = shared.holdout_auc(shipped.model, holdout)
    return True, (
        f"good data shipped as {now} (ROC AUC {auc:.3f}, threshold {threshold} kept); "
        f"{len(stopped)} other tables stopped with production and the registry untouched"
    )


def _reference() -> ModuleType:
    from workshop_lib.labs.reference import lab09_capstone

    return lab09_capstone


register(
    Lab(
        id="09",
        file="lab09_capstone.py",
        prompt="Write release(table, holdout, registry) -> the version serving afterwards: check "
        "the table, train a candidate, gate it against production, register and promote it only "
        "if it passes.",
        hint="reuse your lab 07 check_table and quality_gate (import or copy them); train with "
        "training.build_pipeline('logistic').fit(...); registry.load() is production; "
        "registry.register(...) then registry.promote(version); return registry.stage()",
        checker=_check,
        reference=_reference,
    )
)
