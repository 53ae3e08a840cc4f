"""Chapter 05 exercises: the batch window's trade-off between latency and throughput."""

from __future__ import annotations

import math
import random
from collections.abc import Callable

from workshop_lib.exercises.core import Exercise, as_number, needs_function, register


def _batch_cases(seed: int) -> list[tuple[float, float, int]]:
    """Random cases the notebook never showed, drawn so that each rule decides some of them.

    A third hold less than one event per window (the batch-of-one floor), a third more than
    the cap, and the rest fall in between with a fractional size (so rounding is wrong too).
    """
    rng = random.Random(seed)
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


def _check_batch_size(answer: Callable[[float, float, int], float], seed: int) -> tuple[bool, str]:
    if (
        problem := needs_function(answer, "expected_batch_size(rate, window_s, max_batch)")
    ) is not None:
        return False, problem
    for rate, window_s, max_batch in _batch_cases(seed):
        expected = _reference_batch_size(rate, window_s, max_batch)
        got = as_number(answer(rate, window_s, max_batch), f"{rate:,.1f} events/s")
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


Window = Callable[[list[float], float, float, float, int], float | None]


def _throughput(window_ms: float, rate: float, fixed_ms: float, per_event_ms: float, cap: int):
    """Events per second that batches collected for ``window_ms`` are scored at."""
    size = min(cap, max(1.0, rate * window_ms / 1_000))
    return size / (fixed_ms + per_event_ms * size) * 1_000


# (fixed_ms, per_event_ms, window_ms, rate): batches of that window score exactly `rate` events/s
EXACTLY_KEEPING_UP = [
    (2.0, 0.5, 4.0, 1_000.0),
    (3.0, 0.25, 6.0, 2_000.0),
    (1.0, 0.125, 2.0, 4_000.0),
]


def _window_cases(seed: int) -> list[tuple[list[float], float, float, float, int]]:
    """Window lists (the first in descending order, the others shuffled); the answer is in the
    middle, the smallest, or no window at all (in the second case only because of the cap);
    in the last case the smallest window holds less than one event (a batch of one keeps up).

    No window's throughput is within 0.5 % of the rate, so the answer is never a near tie.
    """
    rng = random.Random(seed)
    cases: list[tuple[list[float], float, float, float, int]] = []
    while len(cases) < 6:
        windows = sorted(rng.sample([0.5, 1, 2, 5, 10, 20, 50, 100, 200], rng.randint(4, 7)))
        fixed_ms, per_event_ms = rng.uniform(1, 15), rng.uniform(0.005, 0.1)
        cap = rng.choice([100, 250, 500, 1_000])
        kind = len(cases) % 3  # 0: a middle window, 1: none keeps up, 2: any
        if kind == 1:
            rate = (
                rng.uniform(1.05, 2) * 1_000 / per_event_ms * cap / (cap + fixed_ms / per_event_ms)
            )
        else:
            rate = rng.uniform(100, 0.9 * 1_000 / per_event_ms)
        rates = [_throughput(w, rate, fixed_ms, per_event_ms, cap) / rate for w in windows]
        if any(abs(r - 1) < 0.005 for r in rates):
            continue
        answer = _smallest(windows, rate, fixed_ms, per_event_ms, cap)
        if kind == 0 and answer in (None, windows[0], windows[-1]):
            continue
        uncapped = _smallest(windows, rate, fixed_ms, per_event_ms, 10**12)
        if len(cases) == 1 and uncapped is None:  # without the cap, a window would keep up
            continue
        if len(cases) == 0:
            windows.reverse()  # a larger window that keeps up comes first: order matters
        else:
            rng.shuffle(windows)
        cases.append((windows, rate, fixed_ms, per_event_ms, cap))
    # a quiet hour: less than one event per window, and a batch of one keeps up
    windows = sorted(rng.sample([1, 2, 5, 10, 20, 50, 100, 200], 4) + [0.5])
    fixed_ms, per_event_ms = rng.uniform(1, 15), rng.uniform(0.005, 0.1)
    rate = rng.uniform(0.3, 0.9) * 1_000 / (fixed_ms + per_event_ms)
    rng.shuffle(windows)
    cases.append((windows, rate, fixed_ms, per_event_ms, rng.choice([100, 250, 500, 1_000])))
    # a window whose batches keep up exactly: every number a binary fraction, so any order of
    # the arithmetic scores exactly `rate` events/s, and "keeps up" must include it
    fixed_ms, per_event_ms, exact_ms, rate = rng.choice(EXACTLY_KEEPING_UP)
    windows = [exact_ms / 4, exact_ms / 2, exact_ms, exact_ms * 2, exact_ms * 4]
    rng.shuffle(windows)
    cases.append((windows, rate, fixed_ms, per_event_ms, 1_000))
    return cases


def _smallest(windows, rate, fixed_ms, per_event_ms, cap) -> float | None:
    keeping_up = [w for w in windows if _throughput(w, rate, fixed_ms, per_event_ms, cap) >= rate]
    return min(keeping_up) if keeping_up else None


def _check_window(answer: Window, seed: int) -> tuple[bool, str]:
    signature = "smallest_window(windows, rate, fixed_ms, per_event_ms, max_batch)"
    if (problem := needs_function(answer, signature)) is not None:
        return False, problem
    for windows, rate, fixed_ms, per_event_ms, cap in _window_cases(seed):
        got = answer(list(windows), rate, fixed_ms, per_event_ms, cap)
        expected = _smallest(windows, rate, fixed_ms, per_event_ms, cap)
        if got == expected:
            continue
        where = (
            f"for windows {windows} ms at {rate:,.0f} events/s, a batch costing {fixed_ms:.2f} + "
            f"{per_event_ms:.3f} x size ms, at most {cap} per batch, your function says {got!r}"
        )
        if got is None:
            return False, f"{where}, but a window of the list keeps up"
        if got not in windows:
            return False, f"{where}: not one of the windows"
        speed = _throughput(got, rate, fixed_ms, per_event_ms, cap)
        if speed < rate:
            return False, f"{where}: its batches are scored at {speed:,.0f} events/s, too slow"
        if (
            expected is not None
            and _throughput(expected, rate, fixed_ms, per_event_ms, cap) == rate
        ):
            return False, (
                f"{where}: it keeps up, but so does {expected:g} ms, exactly: its batches score "
                f"{rate:,.0f} events/s, as many as arrive (keeping up includes equal)"
            )
        return False, f"{where}: it keeps up, but a smaller window of the list also does"
    return True, "the shortest wait whose batches amortise the fixed cost, or None"


def _window_solution() -> Window:
    def smallest_window(windows, rate, fixed_ms, per_event_ms, max_batch):
        for window_ms in sorted(windows):
            size = min(max_batch, max(1, rate * window_ms / 1_000))
            events_per_s = size / (fixed_ms + per_event_ms * size) * 1_000
            if events_per_s >= rate:
                return window_ms
        return None  # no window keeps up: the processor needs more capacity

    return smallest_window


register(
    Exercise(
        id="05.2",
        prompt=(
            "Write smallest_window(windows, rate, fixed_ms, per_event_ms, max_batch): a batch "
            "costs fixed_ms + per_event_ms x size; return the smallest of `windows` (ms) whose "
            "batches keep up with `rate` events/s, or None when none does."
        ),
        hint="For each window, batch size = rate x window (capped, at least 1); the processor "
        "keeps up when size / batch cost >= rate. Try the windows from the smallest up.",
        checker=_check_window,
        solution=_window_solution,
        wrong_answer=lambda: lambda windows, rate, fixed_ms, per_event_ms, max_batch: max(windows),
    )
)
