"""Exercises of chapter 03 (the real-time API)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from pydantic import ValidationError

from workshop_lib.exercises.core import (
    Exercise,
    as_number,
    call_answer,
    close_to,
    needs_function,
    register,
)
from workshop_lib.realtime.api_contract import BatchRequest
from workshop_lib.schema import EXAMPLE_APPLICATION

_EXAMPLE = EXAMPLE_APPLICATION


# 03.1: a p99 function, run on latencies the notebook never measured ---------------------------
def _hidden_latencies_s(seed: int) -> list[np.ndarray]:
    """Latency samples in seconds with long tails, of several sizes (not the notebook's)."""
    rng = np.random.default_rng(seed)
    return [
        rng.lognormal(mean=np.log(0.004), sigma=sigma, size=size)
        for sigma, size in ((0.3, 200), (0.8, 1_000), (1.2, 57))
    ]


def _p99_checker(answer: Callable[[np.ndarray], float], seed: int) -> tuple[bool, str]:
    if (problem := needs_function(answer, "p99_ms(latencies_s)")) is not None:
        return False, problem
    for sample in _hidden_latencies_s(seed):
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
def _batch_checker(answer: dict, seed: int) -> tuple[bool, str]:
    if not isinstance(answer, dict):
        return False, f"the body is a dict (JSON object), not {type(answer).__name__}"
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
        prompt="Build the JSON body (a dict) of a /predict/batch call holding two different "
        "applications.",
        hint='The body is {"applications": [...]}, each item a full application like EXAMPLE.',
        checker=_batch_checker,
        solution=_batch_solution,
        wrong_answer=lambda: {"applications": [_EXAMPLE, _EXAMPLE | {"loan_amount": -1}]},
    )
)


# 03.3: Little's law, as a function -------------------------------------------------------------
def _little_cases(seed: int) -> list[tuple[int, float]]:
    """(in flight, mean latency in ms): a fast server, a busy one, and a slow one answering a
    few requests per second whose exact answer has a fraction between 0.2 and 0.8 (so a
    floor or a rounding to whole requests is out by far more than the tolerance)."""
    rng = np.random.default_rng(seed)
    slow_in_flight = int(rng.integers(2, 9))
    slow_throughput = int(rng.integers(2, 12)) + float(rng.uniform(0.2, 0.8))
    return [
        (int(rng.integers(1, 8)), float(rng.uniform(0.5, 5))),
        (int(rng.integers(10, 200)), float(rng.uniform(20, 400))),
        (slow_in_flight, 1_000 * slow_in_flight / slow_throughput),
    ]


def _little_checker(answer: Callable[[int, float], float], seed: int) -> tuple[bool, str]:
    if (problem := needs_function(answer, "throughput(in_flight, mean_latency_ms)")) is not None:
        return False, problem
    for in_flight, latency_ms in _little_cases(seed):
        where = f"{in_flight} requests in flight at a mean latency of {latency_ms:.1f} ms"
        got = as_number(call_answer(answer, f"with {where}", in_flight, latency_ms), where)
        passed, message = close_to(got, in_flight / (latency_ms / 1_000), 0.001, "requests/s")
        if not passed:
            return False, f"with {where}: {message}"
    return True, "throughput = requests in flight / time each spends in the system (seconds)"


def _little_solution() -> Callable[[int, float], float]:
    def throughput(in_flight, mean_latency_ms):
        return in_flight / (mean_latency_ms / 1_000)  # Little's law: L = throughput x W

    return throughput


register(
    Exercise(
        id="03.3",
        prompt=(
            "Write throughput(in_flight, mean_latency_ms): with `in_flight` requests always in "
            "flight and a mean latency of `mean_latency_ms`, how many requests per second does "
            "the server answer?"
        ),
        hint="Little's law: in flight = throughput x time in the system (use seconds).",
        checker=_little_checker,
        solution=_little_solution,
        wrong_answer=lambda: lambda in_flight, mean_latency_ms: 1_000 / mean_latency_ms,
    )
)
