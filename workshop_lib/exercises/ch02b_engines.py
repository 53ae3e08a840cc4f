"""Exercise of 02b_batch_engines: which engine finishes a day first, start-up included."""

from __future__ import annotations

import random
from collections.abc import Callable

from workshop_lib.exercises.core import Exercise, needs_function, register

Engines = dict[str, tuple[float, float]]  # name -> (start-up seconds, rows per second)


def _finish_seconds(rows: int, engine: tuple[float, float]) -> float:
    start_up, rows_per_second = engine
    return start_up + rows / rows_per_second


def _reference(rows: int, engines: Engines) -> str:
    return min(engines, key=lambda name: _finish_seconds(rows, engines[name]))


def _cases(seed: int) -> list[tuple[int, Engines]]:
    """Fixed cases both ways round, then random ones drawn afresh from ``seed``."""
    one_machine = {"pandas": (3.0, 40_000.0), "dask": (4.0, 75_000.0), "spark": (20.0, 70_000.0)}
    cluster = {"dask threads": (4.0, 75_000.0), "spark, 50 workers": (60.0, 3_000_000.0)}
    cases = [(200_000, one_machine), (1_000, one_machine), (200_000, cluster)]
    cases.append((500_000_000, cluster))
    rng = random.Random(seed)
    for _ in range(40):
        names = rng.sample(["pandas", "dask", "spark", "polars", "ray"], rng.randint(2, 4))
        engines = {n: (rng.uniform(0.5, 60), rng.uniform(1e4, 5e6)) for n in names}
        rows = int(10 ** rng.uniform(3, 9))
        finish = sorted(_finish_seconds(rows, e) for e in engines.values())
        if finish[1] - finish[0] > 1e-6 * finish[0]:  # no near-ties: one right answer
            cases.append((rows, engines))
    return cases


def _check_fastest(answer: Callable[[int, Engines], str], seed: int) -> tuple[bool, str]:
    if (problem := needs_function(answer, "fastest_engine(rows, engines)")) is not None:
        return False, problem
    for rows, engines in _cases(seed):
        got, expected = answer(rows, dict(engines)), _reference(rows, engines)
        if got != expected:
            table = ", ".join(
                f"{n}: {s:.0f} s start-up, {r:,.0f} rows/s" for n, (s, r) in engines.items()
            )
            return False, (
                f"for {rows:,} rows with {table}, your function says {got!r}, "
                f"{_finish(rows, engines, got)}"
            )
    return True, "start-up + rows / rate picks the engine; big days favour the fast per-row one"


def _finish(rows: int, engines: Engines, name: object) -> str:
    if name not in engines:
        return "which is not one of the engines"
    return f"which finishes after {_finish_seconds(rows, engines[name]):,.1f} s: another is sooner"


def _solution() -> Callable[[int, Engines], str]:
    def fastest_engine(rows: int, engines: Engines) -> str:
        return min(engines, key=lambda name: engines[name][0] + rows / engines[name][1])

    return fastest_engine


register(
    Exercise(
        id="02b.1",
        prompt=(
            "Write fastest_engine(rows, engines): `engines` maps a name to (start_up_s, "
            "rows_per_s); return the name of the engine that finishes `rows` rows first."
        ),
        hint="a job takes about start-up + rows / rows per second; min(..., key=...) picks one",
        checker=_check_fastest,
        solution=_solution,
        wrong_answer=lambda: lambda rows, engines: max(engines, key=lambda n: engines[n][1]),
    )
)
