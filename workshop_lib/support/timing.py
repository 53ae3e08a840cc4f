"""The one timing helper: run a call and say how long it took."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def timed(call: Callable[[], T]) -> tuple[T, float]:
    """Run ``call``; return its result and the seconds it took (``time.perf_counter``)."""
    started = time.perf_counter()
    result = call()
    return result, time.perf_counter() - started
