"""Chapter 05 exercises: the batch window's trade-off between latency and throughput."""

from __future__ import annotations

import math
import random
from collections.abc import Callable

from workshop_lib.exercises.core import Exercise, register


def _batch_cases() -> list[tuple[float, float, int]]:
    """Random cases the notebook never showed, drawn so that each rule decides some of them.

    A third hold less than one event per window (the batch-of-one floor), a third more than
    the cap, and the rest fall in between with a fractional size (so rounding is wrong too).
    """
    rng = random.Random(5051)
    cases: list[tuple[float, float, int]] = []
    for index in range(30):
        window_s = rng.uniform(0.002, 0.2)
        max_batch = rng.randint(50, 800)
        if index % 3 == 0:
            per_window = rng.uniform(0.05, 0.9)
        elif index % 3 == 1:
            per_window = rng.uniform(1.2, 4.0) * max_batch
        else:
            per_window = rng.randint(2, max_batch - 2) + rng.uniform(0.2, 0.8)
        cases.append((per_window / window_s, window_s, max_batch))
    return cases


def _reference_batch_size(rate: float, window_s: float, max_batch: int) -> float:
    return min(max_batch, max(1.0, rate * window_s))


def _check_batch_size(answer: Callable[[float, float, int], float]) -> tuple[bool, str]:
    if not callable(answer):
        return False, f"pass your function itself, not {answer!r}"
    for rate, window_s, max_batch in _batch_cases():
        expected = _reference_batch_size(rate, window_s, max_batch)
        got = float(answer(rate, window_s, max_batch))
        if not math.isclose(got, expected, rel_tol=1e-6):
            return False, (
                f"at {rate:,.1f} events/s with a {window_s * 1_000:.2f} ms window and a cap of "
                f"{max_batch}, your function says {got:g} events per batch, which is "
                f"{'too many' if got > expected else 'too few'} (expected {expected:.3f})"
            )
    return True, "batch size = rate x window, never above the cap and never below one event"


def _batch_size_solution() -> Callable[[float, float, int], float]:
    def expected_batch_size(rate: float, window_s: float, max_batch: int) -> float:
        return min(max_batch, max(1, rate * window_s))

    return expected_batch_size


register(
    Exercise(
        id="05.1",
        prompt=(
            "Write expected_batch_size(rate, window_s, max_batch): how many events a batch holds, "
            "on average (a fraction is fine), when events arrive steadily at `rate` per second "
            "and the processor waits up to `window_s` after the first one, with at most "
            "`max_batch` per batch."
        ),
        hint="Events that arrive during one window share a batch; the cap wins when it is "
        "smaller, and a lonely event is still a batch of one.",
        checker=_check_batch_size,
        solution=_batch_size_solution,
        wrong_answer=lambda: lambda rate, window_s, max_batch: rate * window_s,
    )
)


def keeps_up(
    window_ms: float, rate: float, fixed_ms: float, per_event_ms: float, max_batch: int
) -> bool:
    """Whether batches collected for ``window_ms`` are scored faster than events arrive."""
    size = min(max_batch, max(1.0, rate * window_ms / 1_000))
    return size / (fixed_ms + per_event_ms * size) * 1_000 >= rate


def _check_window(answer: float, **context) -> tuple[bool, str]:
    windows = context["windows"]
    expected = _window_solution(**context)
    if answer not in windows:
        return False, f"{answer!r} is not one of the windows to choose from: {windows}"
    if not keeps_up(answer, **{k: v for k, v in context.items() if k != "windows"}):
        return False, f"with a {answer:g} ms window the batches are too small to keep up"
    if answer != expected:
        return False, f"{answer:g} ms keeps up, but a smaller window also does (lower latency)"
    return True, f"{answer:g} ms: the shortest wait whose batches still amortise the fixed cost"


def _window_solution(
    windows: list[float], rate: float, fixed_ms: float, per_event_ms: float, max_batch: int
) -> float:
    for window_ms in sorted(windows):
        size = min(max_batch, max(1, rate * window_ms / 1_000))
        events_per_s = size / (fixed_ms + per_event_ms * size) * 1_000
        if events_per_s >= rate:
            return window_ms
    raise ValueError("no window keeps up: the processor needs more capacity")


def _window_context() -> dict:
    return {
        "windows": [1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0],
        "rate": 4_000.0,
        "fixed_ms": 8.0,
        "per_event_ms": 0.04,
        "max_batch": 500,
    }


register(
    Exercise(
        id="05.2",
        prompt=(
            "A batch costs fixed_ms + per_event_ms x size (you measured both). Which of "
            "`windows` (ms) is the smallest that still keeps up with `rate` events/s? "
            "Answer one number from the list."
        ),
        hint="For each window, batch size = rate x window (capped); the processor keeps up "
        "when size / batch cost >= rate. Smaller windows mean lower latency.",
        checker=_check_window,
        solution=_window_solution,
        example_context=_window_context,
        wrong_answer=lambda **context: min(context["windows"]),
    )
)
