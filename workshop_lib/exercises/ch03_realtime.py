"""Exercises of chapter 03 (the real-time API)."""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import ValidationError

from workshop_lib.exercises.core import Exercise, close_to, register
from workshop_lib.realtime.api_contract import BatchRequest
from workshop_lib.schema import EXAMPLE_APPLICATION

_EXAMPLE = EXAMPLE_APPLICATION


# 03.1: the p99 of measured latencies ------------------------------------------------------------
def _p99_context() -> dict[str, Any]:
    rng = np.random.default_rng(3)
    return {"latencies_ms": rng.lognormal(mean=1.5, sigma=0.6, size=500)}


def _p99_checker(answer: float, latencies_ms: np.ndarray) -> tuple[bool, str]:
    return close_to(answer, float(np.percentile(latencies_ms, 99)), rel=0.001, what="p99")


def _p99_solution(latencies_ms: np.ndarray) -> float:
    return float(np.percentile(latencies_ms, 99))


register(
    Exercise(
        id="03.1",
        prompt="Compute the 99th-percentile latency (ms) of `latencies_ms`.",
        hint="One call of np.percentile with 99; the mean hides the slow tail.",
        checker=_p99_checker,
        solution=_p99_solution,
        example_context=_p99_context,
        wrong_answer=lambda latencies_ms: float(np.mean(latencies_ms)),
    )
)


# 03.2: a valid /predict/batch body --------------------------------------------------------------
def _batch_checker(answer: dict) -> tuple[bool, str]:
    try:
        body = BatchRequest.model_validate(answer)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(map(str, first["loc"])) or "body"
        return False, f"the API would answer 422: {where}: {first['msg']}"
    if len(body.applications) != 2:
        return False, f"the body holds {len(body.applications)} applications, not 2"
    if body.applications[0] == body.applications[1]:
        return False, "the two applications are identical"
    return True, "a valid body with two different applications"


def _batch_solution() -> dict:
    first = dict(_EXAMPLE)
    second = first | {"loan_amount": 30_000.0, "term": "60_months"}
    return {"applications": [first, second]}


register(
    Exercise(
        id="03.2",
        prompt="Build the JSON body (a dict) of a /predict/batch call holding two applications.",
        hint='The body is {"applications": [...]}, each item a full application like EXAMPLE.',
        checker=_batch_checker,
        solution=_batch_solution,
        wrong_answer=lambda: {"applications": [_EXAMPLE, _EXAMPLE | {"loan_amount": -1}]},
    )
)


# 03.3: Little's law -----------------------------------------------------------------------------
def _little_context() -> dict[str, Any]:
    return {"concurrency": 32, "mean_latency_ms": 80.0}


def _little_checker(answer: float, concurrency: int, mean_latency_ms: float) -> tuple[bool, str]:
    expected = concurrency / (mean_latency_ms / 1_000)
    return close_to(answer, expected, rel=0.01, what="throughput (requests/s)")


def _little_solution(concurrency: int, mean_latency_ms: float) -> float:
    return concurrency / (mean_latency_ms / 1_000)


register(
    Exercise(
        id="03.3",
        prompt=(
            "With `concurrency` requests always in flight and a mean latency of "
            "`mean_latency_ms`, how many requests per second does the server answer?"
        ),
        hint="Little's law: in flight = throughput x time in the system (use seconds).",
        checker=_little_checker,
        solution=_little_solution,
        example_context=_little_context,
        wrong_answer=lambda concurrency, mean_latency_ms: 1_000 / mean_latency_ms,
    )
)
