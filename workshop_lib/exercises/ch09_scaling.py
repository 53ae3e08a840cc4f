"""Exercises of 09_best_practices_and_scaling: capacity planning, the capstone release, and
when to roll a release back."""

from __future__ import annotations

import math
import numbers
import random
import tempfile
from collections.abc import Callable
from fractions import Fraction

import numpy as np

from workshop_lib import data
from workshop_lib.cicd import data_checks, pipeline
from workshop_lib.default_model import train_and_register
from workshop_lib.exercises.core import Exercise, needs_function, register
from workshop_lib.registry import Registry


def whole_number(value: object) -> int | None:
    """``value`` as an int if it is an integral number (5, numpy.int64(5), 5.0), else None.

    Booleans, strings, fractions, NaN and infinities are not whole numbers of workers.
    """
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        return None
    if isinstance(value, numbers.Integral):
        return int(value)
    number = float(value)
    return int(number) if number.is_integer() else None


def _capacity_cases(seed: int) -> list[tuple[float, float, float]]:
    """(peak, per worker, headroom): one exact fit (whole numbers of workers, computed exactly
    in floats), one small fraction over a whole number of workers, one large fraction, and a
    peak just over a whole number of workers before the headroom is added."""
    rng = random.Random(seed)
    per_worker = float(rng.choice([125, 200, 250, 400, 500]))
    headroom = rng.choice([0.25, 1.0])  # peak * (1 + headroom) / per_worker is exact
    exact_peak = per_worker * rng.randint(2, 30) / (1 + headroom)
    cases = [(exact_peak, per_worker, headroom)]
    for fraction in (rng.uniform(0.05, 0.3), rng.uniform(0.6, 0.95)):
        per = rng.uniform(80, 600)
        room = rng.choice([0.2, 0.3, 0.5])
        cases.append(((rng.randint(1, 40) + fraction) * per / (1 + room), per, room))
    # just over a whole number of workers before the headroom: rounding up first, then adding
    # the headroom, asks for one worker too many
    per_worker = float(rng.choice([125, 200, 250, 400, 500]))
    cases.append(((rng.randint(2, 30) + 0.05) * per_worker, per_worker, 0.25))
    return cases


def _workers(peak: float, per_worker: float, headroom: float) -> int:
    return math.ceil(
        Fraction(peak) * (1 + Fraction(headroom)) / Fraction(per_worker) - Fraction(1, 10**9)
    )


def _check_capacity(answer: Callable[[float, float, float], int], seed: int) -> tuple[bool, str]:
    signature = "workers_needed(peak_requests_per_s, per_worker_requests_per_s, headroom)"
    if (problem := needs_function(answer, signature)) is not None:
        return False, problem
    for peak, per_worker, headroom in _capacity_cases(seed):
        got = answer(peak, per_worker, headroom)
        where = (
            f"for a peak of {peak:,.1f} requests/s, {per_worker:,.1f} per worker and "
            f"{headroom:.0%} headroom"
        )
        whole = whole_number(got)
        if whole is None:
            return False, f"{where} your function returns {got!r}, not a whole number of workers"
        expected = _workers(peak, per_worker, headroom)
        if whole < expected:
            return False, (
                f"{where} your function says {whole}: they serve {whole * per_worker:,.0f} "
                f"requests/s, less than the peak plus headroom ({peak * (1 + headroom):,.0f})"
            )
        if whole > expected:
            return False, f"{where} your function says {whole}: {whole - 1} would also do"
    return True, "the peak plus headroom over one worker's rate, rounded up, on four hidden plans"


def _solution_capacity() -> Callable[[float, float, float], int]:
    def workers_needed(peak_requests_per_s, per_worker_requests_per_s, headroom):
        needed = peak_requests_per_s * (1 + headroom) / per_worker_requests_per_s
        return math.ceil(needed)

    return workers_needed


register(
    Exercise(
        id="09.1",
        prompt=(
            "Capacity planning: write workers_needed(peak_requests_per_s, "
            "per_worker_requests_per_s, headroom) -> int: how many workers, each serving "
            "`per_worker_requests_per_s`, carry the peak plus `headroom` on top of it (0.3 = 30% "
            "more than the peak)."
        ),
        hint="the peak plus its headroom, divided by one worker's rate, rounded up (math.ceil)",
        checker=_check_capacity,
        solution=_solution_capacity,
        wrong_answer=lambda: (
            lambda peak, per_worker, headroom: int(peak * (1 + headroom) / per_worker) + 1
        ),
    )
)


def _check_release(answer: Callable, seed: int) -> tuple[bool, str]:
    if (problem := needs_function(answer, "ship(table, holdout, registry)")) is not None:
        return False, problem
    rng = np.random.default_rng(seed)
    holdout_seed, data_seed = (int(s) for s in rng.integers(1, 1_000_000, 2))
    with tempfile.TemporaryDirectory(prefix="exercise-09-2-") as folder:
        registry = Registry(f"{folder}/models")
        train_and_register(registry, "logistic")
        holdout = data.make_applications(10_000, seed=holdout_seed, first_id=900_001)
        new_data = data.make_applications(
            20_000, seed=data_seed, first_id=910_001, start="2025-03-01"
        )
        return _run_release(answer, registry, holdout, new_data)


def _run_release(answer: Callable, registry: Registry, holdout, new_data) -> tuple[bool, str]:
    before = registry.stage()
    shipped = answer(new_data, holdout, registry)
    if not isinstance(shipped, dict) or set(shipped) != {"version", "stopped_at"}:
        return False, f"return a dict with keys 'version' and 'stopped_at', not {shipped!r}"
    serving = registry.stage()
    if serving == before:
        return False, f"good new data should give a new production version; still {before}"
    if shipped != {"version": serving, "stopped_at": None}:
        return False, (f"good data: {serving} now serves, but your function returned {shipped!r}")
    # the same good data, judged on a holdout whose outcomes were shuffled: no model ranks
    # them, so a ship() that gates on the holdout it is given stops at the gates
    blind = data_checks.corrupt(holdout, "shuffle_labels")
    judged = answer(new_data, blind, registry)
    if registry.stage() != serving:
        return False, (
            "good data judged on a holdout whose outcomes no model can rank reached production "
            f"({registry.stage()} replaced {serving}): gate on the holdout you are given"
        )
    if judged != {"version": serving, "stopped_at": "gates"}:
        return False, (
            "good data judged on a holdout whose outcomes no model can rank: the gates stopped "
            f"it and {serving} still serves, but your function returned {judged!r}"
        )
    # a candidate registered and never promoted: the newest version is not what serves
    current = registry.load()
    registry.register(
        current.model,
        metrics=current.metadata["metrics"],
        data_fingerprint=current.metadata["data_fingerprint"],
        kind=current.metadata["kind"],
        threshold=current.threshold,
        notes="a candidate registered and never promoted",
    )
    shuffled = data_checks.corrupt(new_data, "shuffle_labels")
    stopped = answer(shuffled, holdout, registry)
    if registry.stage() != serving:
        return False, f"shuffled labels reached production: {registry.stage()} replaced {serving}"
    if stopped != {"version": serving, "stopped_at": "gates"}:
        return False, (
            f"shuffled labels: {serving} still serves and the gates stopped the candidate, but "
            f"your function returned {stopped!r}"
        )
    return True, (
        f"good data shipped as {serving}; judged on a blind holdout, and with shuffled labels, "
        "it stopped at the gates"
    )


def _solution_release() -> Callable:
    def ship(table, holdout, registry):
        report = pipeline.run_pipeline(table, holdout, registry=registry, kind="logistic")
        return {"version": registry.stage(), "stopped_at": report.stopped_at}

    return ship


register(
    Exercise(
        id="09.2",
        prompt=(
            "Capstone: write `ship(table, holdout, registry)` that takes a new training table "
            "through the CI/CD pipeline (a logistic model, like production) and returns "
            "{'version': what serves afterwards, 'stopped_at': the stage that stopped it, or "
            "None}."
        ),
        hint=(
            "pipeline.run_pipeline(table, holdout, registry=registry, kind='logistic') returns "
            "a report with .stopped_at; what serves afterwards is registry.stage(), whether "
            "or not the candidate was promoted"
        ),
        checker=_check_release,
        solution=_solution_release,
        wrong_answer=lambda: (
            lambda table, holdout, registry: {
                "version": pipeline.run_pipeline(
                    table, holdout, registry=registry, kind="logistic"
                ).version,
                "stopped_at": None,
            }
        ),
    )
)


# -- 09.3: roll back on evidence, not on drift -----------------------------------------------
Rollback = Callable[[dict, float, int], bool]

_ROLLBACK_KINDS = (
    # what the evidence shows, drifted share, drop / tolerance, SLO met, tolerances, labels
    ("inputs drifted, the new version ranks a bit worse", (0.3, 0.9), (0.2, 0.8), True, (0.01,), 3),
    ("nothing drifted, the new version ranks worse", (0.0, 0.1), (1.5, 6.0), True, (0.01,), 3),
    ("nothing drifted, the new version breaks its SLO", (0.0, 0.1), (-1, 0.5), False, (0.01,), 3),
    ("inputs drifted, the new version ranks worse", (0.3, 0.9), (1.2, 4.0), True, (0.02,), 3),
    ("a drop just inside the tolerance", (0.0, 0.2), (0.75, 0.9), True, (0.03,), 3),
    ("a drop just beyond the tolerance", (0.0, 0.2), (1.1, 1.5), True, (0.005,), 3),
    ("inputs drifted, the new version is better but slow", (0.3, 0.9), (-3, -1), False, (0.01,), 3),
    ("a large drop on too few labelled outcomes", (0.0, 0.3), (2.0, 5.0), True, (0.01,), 0.5),
    ("too few labelled outcomes, and the SLO is broken", (0.0, 0.3), (-1, 1), False, (0.01,), 0.5),
    (
        "nothing drifted, the new version ranks clearly better",
        (0.0, 0.1),
        (-6, -2),
        True,
        (0.01,),
        3,
    ),
    ("exactly min_labelled outcomes, a large drop", (0.0, 0.2), (2.0, 5.0), True, (0.01,), 1),
)


def _rollback_cases(seed: int) -> list[tuple[str, dict, float, int]]:
    """Releases drawn afresh: drift with and without harm, drops either side of the tolerance
    (never within 10 % of it), broken SLOs, too few labels, a clearly better new version,
    exactly `min_labelled` labels and a drop of exactly the tolerance. The drop just inside a
    tolerance of 0.03 is larger than the drop just beyond one of 0.005, so no fixed tolerance
    passes."""
    rng = random.Random(seed)
    min_labelled = rng.choice([500, 1_000, 2_000])
    cases = []
    for what, drifted, harm, slo_met, tolerances, labels in _ROLLBACK_KINDS:
        tolerance = rng.choice(tolerances)
        previous = round(rng.uniform(0.72, 0.86), 5)
        release = {
            "drifted_share": round(rng.uniform(*drifted), 3),
            "new_auc": round(previous - tolerance * rng.uniform(*harm), 5),
            "previous_auc": previous,
            "labelled_rows": round(min_labelled * labels * rng.uniform(0.4, 1.6))
            if labels != 1
            else min_labelled,  # "at least min_labelled" includes it
            "slo_met": slo_met,
        }
        cases.append((what, release, tolerance, min_labelled))
    # a drop of exactly the tolerance is not "more than" it; binary fractions (1/64 and
    # multiples of 1/32) make every way of computing the drop exact
    previous, tolerance = rng.choice([0.75, 0.78125, 0.8125, 0.84375]), 0.015625
    exact = {
        "drifted_share": round(rng.uniform(0.0, 0.2), 3),
        "new_auc": previous - tolerance,
        "previous_auc": previous,
        "labelled_rows": 3 * min_labelled,
        "slo_met": True,
    }
    cases.append(("a drop of exactly the tolerance", exact, tolerance, min_labelled))
    return cases


def _rolls_back(release: dict, tolerance: float, min_labelled: int) -> bool:
    if not release["slo_met"]:
        return True
    enough = release["labelled_rows"] >= min_labelled
    return enough and release["new_auc"] < release["previous_auc"] - tolerance


def _check_rollback(answer: Rollback, seed: int) -> tuple[bool, str]:
    signature = "should_roll_back(release, tolerance, min_labelled)"
    if (problem := needs_function(answer, signature)) is not None:
        return False, problem
    for what, release, tolerance, min_labelled in _rollback_cases(seed):
        expected = _rolls_back(release, tolerance, min_labelled)
        verdict = answer(dict(release), tolerance, min_labelled)
        if not isinstance(verdict, bool | np.bool_):
            return False, f"return True or False, not {type(verdict).__name__} {verdict!r}"
        if bool(verdict) != expected:
            return False, (
                f"{what} ({release}, tolerance {tolerance}, min_labelled {min_labelled}): "
                f"your function says {'roll back' if verdict else 'keep it'}"
            )
    return (
        True,
        f"right on {len(_ROLLBACK_KINDS) + 1} hidden releases: evidence, not drift, rolls back",
    )


def _solution_rollback() -> Rollback:
    def should_roll_back(release, tolerance, min_labelled):
        if not release["slo_met"]:
            return True  # a broken SLO needs no labels
        if release["labelled_rows"] < min_labelled:
            return False  # too few outcomes: a ROC AUC gap is still noise, keep and wait
        # Drift alone is a reason to investigate and retrain, not to go back: the previous
        # version would see the same applicants.
        return release["new_auc"] < release["previous_auc"] - tolerance

    return should_roll_back


register(
    Exercise(
        id="09.3",
        prompt=(
            "Rollback rule: write `should_roll_back(release, tolerance, min_labelled)` -> bool. "
            "`release` holds drifted_share, new_auc, previous_auc (ROC AUC on the same labelled "
            "outcomes), labelled_rows and slo_met. Roll back when the SLO is broken, or when "
            "at least `min_labelled` outcomes are labelled and the new version's ROC AUC is "
            "more than `tolerance` below the previous one's."
        ),
        hint=(
            "what does drift tell you about the previous version? It would see the same "
            "applicants: drift calls for an investigation and a retrain, not a rollback. And a "
            "ROC AUC on a few hundred rows is mostly noise."
        ),
        checker=_check_rollback,
        solution=_solution_rollback,
        wrong_answer=lambda: (
            lambda release, tolerance, min_labelled: (
                release["new_auc"] < release["previous_auc"] - tolerance or not release["slo_met"]
            )
        ),
    )
)
