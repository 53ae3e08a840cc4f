"""Exercises of 09_best_practices_and_scaling: capacity planning, and the capstone release."""

from __future__ import annotations

import math
import numbers
import tempfile
from collections.abc import Callable

from workshop_lib import data
from workshop_lib.cicd import data_checks, pipeline
from workshop_lib.default_model import train_and_register
from workshop_lib.exercises.core import Exercise, register
from workshop_lib.registry import Registry


def _capacity_context() -> dict:
    return {"peak_requests_per_s": 900.0, "per_worker_requests_per_s": 260.0, "headroom": 0.3}


def _solution_capacity(peak_requests_per_s, per_worker_requests_per_s, headroom):
    needed = peak_requests_per_s * (1 + headroom) / per_worker_requests_per_s
    return math.ceil(needed)


def _check_capacity(
    answer, peak_requests_per_s, per_worker_requests_per_s, headroom
) -> tuple[bool, str]:
    whole = isinstance(answer, numbers.Real) and float(answer).is_integer()
    if not whole or isinstance(answer, bool):
        return False, f"give a whole number of workers, not {type(answer).__name__} {answer!r}"
    answer = int(answer)
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
