"""Exercises of 09_best_practices_and_scaling: capacity planning, the capstone release, and
when to roll a release back."""

from __future__ import annotations

import math
import numbers
import tempfile
from collections.abc import Callable

import numpy as np

from workshop_lib import data
from workshop_lib.cicd import data_checks, pipeline
from workshop_lib.default_model import train_and_register
from workshop_lib.exercises.core import Exercise, register
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


def _capacity_context() -> dict:
    return {"peak_requests_per_s": 900.0, "per_worker_requests_per_s": 260.0, "headroom": 0.3}


def _solution_capacity(peak_requests_per_s, per_worker_requests_per_s, headroom):
    needed = peak_requests_per_s * (1 + headroom) / per_worker_requests_per_s
    return math.ceil(needed)


def _check_capacity(
    answer, peak_requests_per_s, per_worker_requests_per_s, headroom
) -> tuple[bool, str]:
    whole = whole_number(answer)
    if whole is None:
        return False, (
            "give a whole number of workers (an int such as 4, numpy's int64, or a float with "
            f"no fraction such as 4.0), not {type(answer).__name__} {answer!r}"
        )
    answer = whole
    expected = _solution_capacity(peak_requests_per_s, per_worker_requests_per_s, headroom)
    capacity = answer * per_worker_requests_per_s
    if answer < expected:
        return False, (
            f"{answer} workers serve {capacity:,.0f} requests/s: not enough for a peak of "
            f"{peak_requests_per_s:,.0f} with {headroom:.0%} headroom"
        )
    if answer > expected:
        return False, f"{answer} workers is more than needed: {answer - 1} would also do"
    return True, f"{answer} workers serve {capacity:,.0f} requests/s, enough with headroom"


register(
    Exercise(
        id="09.1",
        prompt=(
            "Capacity planning: how many workers (an int) serve `peak_requests_per_s` when one "
            "worker serves `per_worker_requests_per_s`, keeping `headroom` (0.3 = 30%) spare?"
        ),
        hint="the peak plus its headroom, divided by one worker's rate, rounded up (math.ceil)",
        checker=_check_capacity,
        solution=_solution_capacity,
        example_context=_capacity_context,
        wrong_answer=lambda peak_requests_per_s, per_worker_requests_per_s, headroom: math.ceil(
            peak_requests_per_s / per_worker_requests_per_s
        ),
    )
)


def _release_context() -> dict:
    """A throwaway registry with a logistic production model, fresh data and a holdout."""
    registry = Registry(tempfile.mkdtemp(prefix="ex09-") + "/models")
    train_and_register(registry, "logistic")
    holdout = data.make_applications(10_000, seed=92, first_id=900_001)
    new_data = data.make_applications(20_000, seed=93, first_id=910_001, start="2025-03-01")
    return {"registry": registry, "holdout": holdout, "new_data": new_data}


def _solution_release(registry, holdout, new_data):
    def ship(table, holdout, registry):
        report = pipeline.run_pipeline(table, holdout, registry=registry, kind="logistic")
        return {"version": registry.stage(), "stopped_at": report.stopped_at}

    return ship


def _check_release(answer: Callable, registry, holdout, new_data) -> tuple[bool, str]:
    before = registry.stage()
    shipped = answer(new_data, holdout, registry)
    if not isinstance(shipped, dict) or set(shipped) != {"version", "stopped_at"}:
        return False, f"return a dict with keys 'version' and 'stopped_at', not {shipped!r}"
    serving = registry.stage()
    if serving == before:
        return False, f"good new data should give a new production version; still {before}"
    if shipped != {"version": serving, "stopped_at": None}:
        return False, f"good data: expected {{'version': {serving!r}, 'stopped_at': None}}"
    shuffled = data_checks.corrupt(new_data, "shuffle_labels")
    stopped = answer(shuffled, holdout, registry)
    if registry.stage() != serving:
        return False, f"shuffled labels reached production: {registry.stage()} replaced {serving}"
    if stopped != {"version": serving, "stopped_at": "gates"}:
        return False, (
            f"shuffled labels: expected {{'version': {serving!r}, 'stopped_at': 'gates'}}, "
            f"got {stopped!r}"
        )
    return True, f"good data shipped as {serving}; shuffled labels stopped at the gates"


register(
    Exercise(
        id="09.2",
        prompt=(
            "Capstone: write `ship(table, holdout, registry)` that takes a new training table "
            "through the CI/CD pipeline and returns {'version': what serves afterwards, "
            "'stopped_at': the stage that stopped it, or None}."
        ),
        hint=(
            "pipeline.run_pipeline(...) returns a report with .stopped_at; what serves "
            "afterwards is registry.stage(), whether or not the candidate was promoted"
        ),
        checker=_check_release,
        solution=_solution_release,
        example_context=_release_context,
        wrong_answer=lambda registry, holdout, new_data: (
            lambda table, holdout, registry: {
                "version": pipeline.run_pipeline(table, holdout, registry=registry).version,
                "stopped_at": None,
            }
        ),
    )
)


# -- 09.3: roll back on evidence, not on drift -----------------------------------------------
ROLLBACK_CASES = (
    # (what the evidence shows, drifted share, new ROC AUC, previous ROC AUC, SLO met)
    ("inputs drifted, the new version ranks as well", 0.6, 0.801, 0.803, True),
    ("nothing drifted, the new version ranks worse", 0.0, 0.760, 0.801, True),
    ("nothing drifted, the new version breaks its SLO", 0.0, 0.802, 0.801, False),
    ("inputs drifted, the new version ranks worse", 0.5, 0.741, 0.790, True),
    ("a little noise either way", 0.1, 0.795, 0.800, True),
    ("inputs drifted and the new version is better", 0.4, 0.820, 0.790, True),
    ("inputs drifted and the new version is better but slow", 0.4, 0.820, 0.790, False),
)


def _rollback_context() -> dict:
    return {"tolerance": 0.01}


def _solution_rollback(tolerance):
    def should_roll_back(drifted_share, new_auc, previous_auc, slo_met):
        # Drift alone is a reason to investigate and retrain, not to go back: the previous
        # version would see the same applicants.
        return new_auc < previous_auc - tolerance or not slo_met

    return should_roll_back


def _check_rollback(answer: Callable, tolerance) -> tuple[bool, str]:
    rule = _solution_rollback(tolerance)
    for what, drifted, new_auc, previous_auc, slo_met in ROLLBACK_CASES:
        expected = rule(drifted, new_auc, previous_auc, slo_met)
        verdict = answer(drifted, new_auc, previous_auc, slo_met)
        if not isinstance(verdict, bool | np.bool_):
            return False, f"return True or False, not {type(verdict).__name__} {verdict!r}"
        if bool(verdict) != expected:
            return False, (
                f"{what} (drifted share {drifted:.0%}, ROC AUC {new_auc:.3f} vs the previous "
                f"version's {previous_auc:.3f}, SLO {'met' if slo_met else 'broken'}): "
                f"{'roll back' if expected else 'keep it'}, your function says "
                f"{'roll back' if verdict else 'keep it'}"
            )
    return True, f"right on all {len(ROLLBACK_CASES)} releases: evidence, not drift, rolls back"


register(
    Exercise(
        id="09.3",
        prompt=(
            "Rollback rule: write `should_roll_back(drifted_share, new_auc, previous_auc, "
            "slo_met)` -> bool: roll back when the new version ranks worse than the previous one "
            "on labelled outcomes (by more than `tolerance` ROC AUC) or breaks its SLO."
        ),
        hint=(
            "what does drift tell you about the previous version? It would see the same "
            "applicants: drift calls for an investigation and a retrain, not a rollback"
        ),
        checker=_check_rollback,
        solution=_solution_rollback,
        example_context=_rollback_context,
        wrong_answer=lambda tolerance: (
            lambda drifted_share, new_auc, previous_auc, slo_met: (
                drifted_share > 0.25 or new_auc < previous_auc - tolerance or not slo_met
            )
        ),
    )
)
