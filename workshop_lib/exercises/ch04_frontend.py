"""Exercises of chapter 04 (the Streamlit front end)."""

from __future__ import annotations

import math
from typing import Any

from workshop_lib.exercises.core import Exercise, register


# 04.1: how many batch calls a CSV upload takes --------------------------------------------------
def _calls_context() -> dict[str, Any]:
    return {"rows": 2_345, "max_rows": 1_000}


def _calls_checker(answer: int, rows: int, max_rows: int) -> tuple[bool, str]:
    expected = math.ceil(rows / max_rows)
    if int(answer) != answer:
        return False, "a number of requests is a whole number"
    if answer < expected:
        return False, f"{answer} calls of {max_rows} rows cannot carry {rows} rows"
    if answer > expected:
        return False, f"{answer} calls is more than needed"
    return True, f"{answer} calls of at most {max_rows} rows"


def _calls_solution(rows: int, max_rows: int) -> int:
    return math.ceil(rows / max_rows)


register(
    Exercise(
        id="04.1",
        prompt="How many /predict/batch calls (`max_rows` rows each) does a `rows`-row CSV take?",
        hint="The last call carries the rows left over: round up, not down.",
        checker=_calls_checker,
        solution=_calls_solution,
        example_context=_calls_context,
        wrong_answer=lambda rows, max_rows: rows // max_rows,
    )
)


# 04.2: the address of an app behind the Jupyter proxy -------------------------------------------
def _proxy_context() -> dict[str, Any]:
    return {"prefix": "/user/ada-123/", "port": 8501}


def _proxy_checker(answer: str, prefix: str, port: int) -> tuple[bool, str]:
    expected = f"{prefix.rstrip('/')}/proxy/{port}/"
    if answer.rstrip("/") == expected.rstrip("/"):
        return True, f"open {expected}"
    if "proxy" not in answer:
        return False, "the address must go through the Jupyter server's proxy"
    if str(port) not in answer:
        return False, "the address must name the app's port"
    return False, f"{answer!r} is not the proxied address"


def _proxy_solution(prefix: str, port: int) -> str:
    return f"{prefix.rstrip('/')}/proxy/{port}/"


register(
    Exercise(
        id="04.2",
        prompt=(
            "On Binder, JUPYTERHUB_SERVICE_PREFIX is `prefix`. Which path opens the app "
            "listening on `port`?"
        ),
        hint="jupyter-server-proxy serves <prefix>/proxy/<port>/.",
        checker=_proxy_checker,
        solution=_proxy_solution,
        example_context=_proxy_context,
        wrong_answer=lambda prefix, port: f"http://127.0.0.1:{port}/",
    )
)
