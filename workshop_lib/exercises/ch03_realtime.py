"""Exercises of chapter 03 (the real-time API)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from pydantic import ValidationError

from workshop_lib.exercises.core import Exercise, close_to, register
from workshop_lib.realtime.api_contract import BatchRequest
from workshop_lib.schema import EXAMPLE_APPLICATION

_EXAMPLE = EXAMPLE_APPLICATION


# 03.1: a p99 function, run on latencies the notebook never measured ---------------------------
def _hidden_latencies_s() -> list[np.ndarray]:
    """Latency samples in seconds with long tails, of several sizes (not the notebook's)."""
    rng = np.random.default_rng()
    return [
        rng.lognormal(mean=np.log(0.004), sigma=sigma, size=size)
        for sigma, size in ((0.3, 200), (0.8, 1_000), (1.2, 57))
    ]


def _p99_checker(answer: Callable[[np.ndarray], float]) -> tuple[bool, str]:
    if not callable(answer):
        return False, f"pass your function itself (p99_ms), not {answer!r}"
    for sample in _hidden_latencies_s():
        expected = float(np.percentile(sample, 99)) * 1_000
        got = answer(sample.copy())
        if got is None:
            return False, "p99_ms returns None: write its body (and return the value)"
        passed, message = close_to(got, expected, rel=0.001, what="p99 (ms)")
        if not passed:
            return False, f"on {len(sample)} fresh latencies (seconds): {message}"
    return True, "p99 in ms on three fresh samples: the slowest 1 % start there"


def _p99_solution() -> Callable[[np.ndarray], float]:
    def p99_ms(latencies_s: np.ndarray) -> float:
        return float(np.percentile(latencies_s, 99)) * 1_000

    return p99_ms


register(
    Exercise(
        id="03.1",
        prompt="Write p99_ms(latencies_s): the 99th-percentile latency in ms of latencies in s.",
        hint="One call of np.percentile with 99, then seconds to milliseconds (x 1000).",
        checker=_p99_checker,
        solution=_p99_solution,
        wrong_answer=lambda: lambda latencies_s: float(np.mean(latencies_s)) * 1_000,
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
