"""Exercises of chapter 04 (the Streamlit front end), as functions checked on fresh cases."""

from __future__ import annotations

import math
import random
from collections.abc import Callable

from workshop_lib.exercises.core import Exercise, needs_function, register


# 04.1: how many batch calls a CSV upload takes --------------------------------------------------
def _calls_cases(seed: int) -> list[tuple[int, int]]:
    """Remainders under and over half a call, an exact multiple, a file smaller than half a
    call, and an empty file (no call): round() and max(1, ...) fail on every draw."""
    rng = random.Random(seed)
    max_rows = rng.choice([100, 250, 500, 1_000, 2_000])
    half = max_rows // 2
    return [
        (max_rows * rng.randint(2, 40) + rng.randint(1, half - 1), max_rows),
        (max_rows * rng.randint(2, 40) + rng.randint(half + 1, max_rows - 1), max_rows),
        (max_rows * rng.randint(2, 40), max_rows),
        (rng.randint(1, half - 1), max_rows),
        (0, max_rows),
    ]


def _calls_checker(answer: Callable[[int, int], int], seed: int) -> tuple[bool, str]:
    if (problem := needs_function(answer, "calls_needed(rows, max_rows)")) is not None:
        return False, problem
    for rows, max_rows in _calls_cases(seed):
        got, expected = answer(rows, max_rows), math.ceil(rows / max_rows)
        where = f"a {rows:,}-row CSV and {max_rows:,} rows per call"
        if isinstance(got, bool) or not isinstance(got, int | float) or got != int(got):
            return False, f"for {where} your function says {got!r}: calls are a whole number"
        if got < expected:
            return False, f"for {where} your function says {got}: they cannot carry every row"
        if got > expected:
            return False, f"for {where} your function says {got}: one call fewer carries them all"
    return True, "round up: the last call carries the rows left over (and none is empty)"


def _calls_solution() -> Callable[[int, int], int]:
    def calls_needed(rows, max_rows):
        return math.ceil(rows / max_rows)

    return calls_needed


register(
    Exercise(
        id="04.1",
        prompt="Write calls_needed(rows, max_rows): how many /predict/batch calls, each of at "
        "most `max_rows` rows, a `rows`-row CSV takes.",
        hint="The last call carries the rows left over: round up, not down.",
        checker=_calls_checker,
        solution=_calls_solution,
        wrong_answer=lambda: lambda rows, max_rows: rows // max_rows + 1,
    )
)


# 04.2: the address of an app behind the Jupyter proxy -------------------------------------------
def _proxy_cases(seed: int) -> list[tuple[str, int]]:
    rng = random.Random(seed)
    users = ["ada", "grace", "alan", "katherine", "edsger"]
    cases = []
    for slash in ("/", "", "/"):
        prefix = f"/user/{rng.choice(users)}-{rng.randint(1, 9_999)}{slash}"
        cases.append((prefix, rng.randint(8_000, 9_999)))
    return cases


def _proxy_checker(answer: Callable[[str, int], str], seed: int) -> tuple[bool, str]:
    if (problem := needs_function(answer, "proxied_path(prefix, port)")) is not None:
        return False, problem
    for prefix, port in _proxy_cases(seed):
        got = answer(prefix, port)
        expected = f"{prefix.rstrip('/')}/proxy/{port}/"
        if not isinstance(got, str):
            return False, f"for prefix {prefix!r} your function returns {got!r}, not a path"
        if got == expected:
            continue
        where = f"for prefix {prefix!r} and port {port} your function says {got!r}"
        if got == expected.rstrip("/"):
            return False, (
                f"{where}: end it with a slash; without it the browser resolves the app's "
                "relative links (its scripts and styles) one folder up, outside the proxy"
            )
        if "proxy" not in got:
            return False, f"{where}: the path must go through the Jupyter server's proxy"
        if not got.startswith(prefix.rstrip("/") + "/"):
            return False, f"{where}: the path starts with the prefix (one slash between parts)"
        return False, f"{where}: not the proxied path of that port"
    return True, "<prefix>/proxy/<port>/, whether or not the prefix ends with a slash"


def _proxy_solution() -> Callable[[str, int], str]:
    def proxied_path(prefix, port):
        return f"{prefix.rstrip('/')}/proxy/{port}/"

    return proxied_path


register(
    Exercise(
        id="04.2",
        prompt=(
            "Write proxied_path(prefix, port): on Binder, JUPYTERHUB_SERVICE_PREFIX is `prefix`; "
            "return the path that opens the app listening on `port`."
        ),
        hint="jupyter-server-proxy serves <prefix>/proxy/<port>/; a prefix may or may not end "
        "with a slash",
        checker=_proxy_checker,
        solution=_proxy_solution,
        wrong_answer=lambda: lambda prefix, port: f"{prefix}proxy/{port}/",
    )
)
