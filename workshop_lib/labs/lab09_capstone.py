"""Lab 09: the capstone release, on a fresh registry: check, train, gate, register, promote.

The production model's threshold is drawn per check (neither 0.5 nor the training default).
The tables and models are made once per seed (``lab09_tables``). On every seed the release
meets, in this order:
- a table whose candidate lands just past the allowed drop below production (0.0005 to 0.0045
  past it) and above the floor: a gate that ignores production, compares the candidate with
  itself or allows a drop of 0.015 ships it; the holdout's first rows are those on which this
  candidate beats production, so a gate on the holdout's head ships it too;
- a table whose labels follow a pattern the holdout lacks (a gate on the table itself ships it);
- tables that the data check must stop before anything is trained (missing values, a value
  just above or below the range of each numeric column, repeated ids), and shuffled labels;
- good data judged on a holdout with shuffled outcomes (a gate on data of its own ships it);
- new data whose candidate is 0.0002 to 0.002 inside the tolerance: it must ship as the next
  minor version, a logistic model that keeps production's threshold (earlier versions have
  other thresholds) and records its ROC AUC on the whole holdout;
- on a registry whose production scores well under the floor (and a better version registered
  after it, with another threshold, was never promoted), the weaker candidate must ship (with
  production's threshold): a gate against a cached or the latest model, or a floor tested on
  production, stops it;
- on a registry whose production is just above the floor (and a newer version was never
  promoted), a candidate within the drop of it but just under the floor must stop (a lower
  floor, or one tested on production, ships it), and the release returns production's version,
  not the newest.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from workshop_lib import data, schema, training
from workshop_lib.labs import shared
from workshop_lib.labs.core import Lab, fresh_seed, register
from workshop_lib.labs.lab09_tables import EARLIER, MAX_DROP, MIN_AUC, PRODUCTION_ROWS, tables
from workshop_lib.registry import LoadedModel, Registry, bump_version

RECORDED_WITHIN = 1e-6  # a recorded metric is the measured one, not a rounded copy


class _Raised(Exception):
    """The learner's release raised on one table: the message says which and what."""


@contextlib.contextmanager
def _counted_fits() -> Iterator[list[int]]:
    """Counts ``Pipeline.fit`` calls while active (``[count]``): was anything trained?"""
    calls = [0]
    original = Pipeline.fit

    def counted(self: Pipeline, *args: object, **kwargs: object) -> Pipeline:
        calls[0] += 1
        return original(self, *args, **kwargs)

    Pipeline.fit = counted
    try:
        yield calls
    finally:
        Pipeline.fit = original


def _release(
    module: ModuleType, what: str, table: pd.DataFrame, holdout: pd.DataFrame, registry: Registry
) -> object:
    try:
        return module.release(table.copy(), holdout.copy(), registry)
    except Exception as error:  # the learner's code may raise anything: say where it did
        trained = " (was it trained before the table was checked?)" if "NaN" in str(error) else ""
        raise _Raised(
            f"on {what} your release raised {type(error).__name__}: {error}{trained}"
        ) from error


def _check(module: ModuleType, seed: int) -> tuple[bool, str]:
    try:
        return _check_release(module, seed)
    except _Raised as error:
        return False, str(error)


def _check_release(module: ModuleType, seed: int) -> tuple[bool, str]:
    made = tables(seed)
    holdout, threshold = made.holdout, made.threshold
    registry, production = shared.trained_model(
        fresh_seed(seed, 1), PRODUCTION_ROWS, threshold, EARLIER
    )
    for stopped in made.stopped:
        with _counted_fits() as fits:
            failure = _stays(
                module, f"a table with {stopped.what}", stopped.table, holdout, registry
            )
        if failure:
            return False, failure
        if stopped.by_data_check and fits[0]:
            return False, (
                f"on a table with {stopped.what} your release trained a model before its data "
                "check stopped the table: check the table first, and train only on one that "
                "passed"
            )
    # the same good data, judged on a holdout whose outcomes were shuffled: no model ranks
    # them (ROC AUC about 0.5, under the floor), so a release that gates on the holdout it is
    # given stops; one that gates on data of its own (a split, a sample it made) ships
    labels = np.random.default_rng(fresh_seed(seed, 8)).permutation(holdout[schema.TARGET_COLUMN])
    blind = holdout.assign(**{schema.TARGET_COLUMN: labels})
    what = "good data judged on a holdout whose outcomes no model can rank (ROC AUC about 0.5)"
    failure = _stays(
        module,
        what,
        made.blind_good,
        blind,
        registry,
        " (gate the candidate on the holdout it is given)",
    )
    if failure:
        return False, failure
    drop = made.production_auc - made.within_auc
    what = (
        f"new data on which a logistic model scores {made.within_auc:.3f}, {drop:.4f} below "
        f"production's {made.production_auc:.3f} (inside the {MAX_DROP} tolerance)"
    )
    failure = _ships(module, what, made.within, holdout, registry, threshold)
    if failure:
        return False, failure
    shipped = registry.stage()
    # a production well under the floor, with a better model registered after it and never
    # promoted: the weaker table's candidate beats production, so it ships
    weak = shared.copy_of(_beside_a_newer_version(seed, "weak_production"), "weak")
    weak_auc = shared.holdout_auc(made.weak_production, holdout)
    what = (
        f"a candidate {MAX_DROP}+ below the first registry's production, on a registry whose "
        f"production scores {weak_auc:.3f} (a better version registered after it was never "
        "promoted)"
    )
    why = (
        ": it beats production and the floor, so it ships (gate against the model that serves, "
        "loaded for this release, and test the floor on the candidate)"
    )
    failure = _ships(module, what, made.weaker, holdout, weak, threshold, why)
    if failure:
        return False, failure
    # a production just above the floor: a candidate within the drop of it but under the floor;
    # a version registered after production and never promoted is the newest, not what serves
    near = shared.copy_of(_beside_a_newer_version(seed, "floor_production"), "near-floor")
    floor_auc = shared.holdout_auc(made.floor_production, holdout)
    what = (
        f"a candidate of ROC AUC {made.under_floor_auc:.3f} (under the {MIN_AUC} floor) beside "
        f"a production model of {floor_auc:.3f}"
    )
    why = ": the floor applies to the candidate, whatever production scores"
    failure = _stays(module, what, made.under_floor, holdout, near, why)
    if failure:
        return False, failure
    return True, (
        f"new data within the tolerance shipped as {shipped} (ROC AUC {made.within_auc:.3f}, "
        f"threshold {threshold} kept); {len(made.stopped) + 2} other tables stopped with "
        "production and the registry untouched; a candidate beating a weak production shipped"
    )


@functools.cache
def _beside_a_newer_version(seed: int, production: str) -> Path:
    """A registry whose production is the model ``tables(seed)`` names ``production``, and a
    better model registered after it and never promoted, with a threshold that is not
    production's (a new version keeps production's): made once per seed, copied per check."""
    made = tables(seed)
    registry = shared.throwaway_registry(production)
    shared.register(
        registry, getattr(made, production), made.blind_good, "logistic", made.threshold
    )
    registry.register(
        made.strong_newer,
        metrics={},
        data_fingerprint=data.fingerprint(made.blind_good),
        kind="logistic",
        threshold=round(made.threshold + 0.05, 3),
    )
    return registry.root


def _ships(
    module: ModuleType,
    what: str,
    table: pd.DataFrame,
    holdout: pd.DataFrame,
    registry: Registry,
    threshold: float,
    why: str = "",
) -> str:
    """Why a release of ``table``, which must ship as the next minor version, was wrong ("" when
    it shipped right); ``why`` follows the message when it did not ship."""
    serving, versions = registry.stage(), registry.versions()
    expected = bump_version(registry.latest_version(), "minor")
    answer = _release(module, what, table, holdout, registry)
    now = registry.stage()
    if now == serving:
        return f"{what} did not ship: {serving} still serves{why}"
    if answer != now:
        return f"{what} shipped as {now}, but your release returned {answer!r}"
    if now in versions:
        return (
            f"{what}: {now} serves, a version that was in the registry before your "
            "release ran: promote the version registry.register() returned"
        )
    if now != expected:
        return (
            f"{what} shipped as {now}: new data is a minor release ({expected}, the registry's "
            "default bump), not a new major or a patch"
        )
    problem = _shipped_version(registry.load(), table, holdout, threshold)
    return f"{what}: {problem}" if problem else ""


def _shipped_version(
    shipped: LoadedModel, table: pd.DataFrame, holdout: pd.DataFrame, threshold: float
) -> str:
    """What is wrong with the new version's record ("" when nothing is)."""
    if shipped.threshold != threshold:
        return (
            f"the new version's threshold is {shipped.threshold}, production's was {threshold}: "
            "keep production's threshold (threshold=production.threshold)"
        )
    if shipped.metadata["data_fingerprint"] != data.fingerprint(table):
        return "the new version's data_fingerprint is not data.fingerprint(table)"
    if shipped.metadata["kind"] != "logistic":
        return f"the new version's kind is {shipped.metadata['kind']!r}: it is a 'logistic' model"
    seen = shared.rows_seen(shipped.model)
    other = [(step, rows) for step, rows in seen.items() if rows != len(table)]
    if other:
        step, rows = other[0]
        return (
            f"the new version's step {step} was fitted on {rows:,} rows, but the table has "
            f"{len(table):,}: train on all of it, and on nothing else"
        )
    return _recorded_metrics(shipped, holdout)


def _recorded_metrics(shipped: LoadedModel, holdout: pd.DataFrame) -> str:
    """Why the new version's recorded metrics are not what its model gives on the whole holdout
    at its threshold ("" when they are, each within ``RECORDED_WITHIN``): ROC AUC must be there,
    and any other measure training.evaluate names must be true too."""
    metrics = shipped.metadata["metrics"]
    recorded = metrics.get("roc_auc")
    if not isinstance(recorded, int | float):
        return (
            f"the new version's metrics hold no number for 'roc_auc' ({sorted(metrics)}): "
            "record what the gate measured, e.g. metrics=training.evaluate(candidate, holdout, "
            "threshold)"
        )
    measured = training.evaluate(shipped.model, holdout, shipped.threshold)
    for name in ["roc_auc", *sorted(set(metrics) & set(measured) - {"roc_auc"})]:
        value = metrics[name]
        if not isinstance(value, int | float) or abs(value - measured[name]) > RECORDED_WITHIN:
            shown = f"{value:.6f}" if isinstance(value, int | float) else repr(value)
            return (
                f"the new version records {name} {shown}, but its model gives "
                f"{measured[name]:.6f} on the whole holdout your release was given, at its "
                f"threshold {shipped.threshold} (allowed difference {RECORDED_WITHIN:g}): "
                "measure the candidate on all of it, and record that"
            )
    return ""


def _stays(
    module: ModuleType,
    what: str,
    table: pd.DataFrame,
    holdout: pd.DataFrame,
    registry: Registry,
    why: str = "",
) -> str:
    """Why a release of ``table``, which must not ship, was wrong ("" when it kept production,
    registered nothing and returned what serves); ``why`` follows the message when it shipped
    or registered a version."""
    serving, versions = registry.stage(), registry.versions()
    answer = _release(module, what, table, holdout, registry)
    now = registry.stage()
    if now != serving:
        return f"{what}: your release replaced production: {now} serves now, not {serving}{why}"
    if len(registry.versions()) != len(versions):
        return (
            f"{what}: your release registered version(s) "
            f"{sorted(set(registry.versions()) - set(versions))} though nothing may ship: "
            f"register only after the data check and the gate passed{why}"
        )
    if answer != serving:
        return (
            f"{what}: your release returned {answer!r}, but {serving} serves: "
            "return registry.stage()"
        )
    return ""


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
        "registry.register(..., metrics=training.evaluate(candidate, holdout, threshold)) then "
        "registry.promote(version); return registry.stage()",
        checker=_check,
        reference=_reference,
    )
)
