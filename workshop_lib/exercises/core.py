"""Self-checking exercises: a checker says what is right or wrong and hints, never answers."""

from __future__ import annotations

import inspect
import math
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class CheckResult:
    """The verdict on one answer. ``passed`` is None while the exercise is not attempted."""

    exercise: str
    passed: bool | None
    message: str
    hint: str = ""

    def __repr__(self) -> str:
        mark = {True: "✅ Correct", False: "❌ Not yet", None: "✏️  Not answered yet"}
        text = f"{mark[self.passed]} [{self.exercise}]: {self.message}"
        if self.passed is not True and self.hint:
            text += f"\n   Hint: {self.hint}"
        return text

    def __bool__(self) -> bool:
        return bool(self.passed)


@dataclass(frozen=True)
class Exercise:
    """One "Try it" task: its checker, a hint, a reference solution and a test context.

    ``checker(answer, **context)`` returns ``(passed, message)``; it must explain a failure
    without revealing the expected value. ``solution(**context)`` returns a correct answer.
    ``example_context()`` builds the context the tests use to check the solution and checker;
    ``wrong_answer(**context)`` returns a plausible mistake the checker must reject.
    """

    id: str
    prompt: str
    hint: str
    checker: Callable[..., tuple[bool, str]]
    solution: Callable[..., Any]
    example_context: Callable[[], dict[str, Any]] = field(default=dict)
    wrong_answer: Callable[..., Any] | None = None


EXERCISES: dict[str, Exercise] = {}


def register(exercise: Exercise) -> Exercise:
    """Add an exercise to the catalogue (ids are unique)."""
    if exercise.id in EXERCISES:
        raise ValueError(f"exercise {exercise.id!r} is registered twice")
    EXERCISES[exercise.id] = exercise
    return exercise


def _find(exercise_id: str) -> Exercise:
    if exercise_id not in EXERCISES:
        raise KeyError(f"no exercise {exercise_id!r}; known: {sorted(EXERCISES)}")
    return EXERCISES[exercise_id]


def check(exercise_id: str, answer: Any, **context: Any) -> CheckResult:
    """Check an answer; ``None`` or ``...`` means "not answered yet"."""
    exercise = _find(exercise_id)
    if answer is None or answer is Ellipsis:
        return CheckResult(exercise_id, None, exercise.prompt, exercise.hint)
    try:
        passed, message = exercise.checker(answer, **context)
    except (TypeError, ValueError, KeyError, AttributeError) as error:
        passed, message = (
            False,
            f"the answer could not be checked ({type(error).__name__}: {error})",
        )
    return CheckResult(exercise_id, passed, message, exercise.hint)


def hint(exercise_id: str) -> str:
    """The hint of an exercise."""
    return _find(exercise_id).hint


def solution(exercise_id: str) -> None:
    """Print the reference solution's code: look only after you have tried."""
    source = textwrap.dedent(inspect.getsource(_find(exercise_id).solution))
    print(f"Solution to {exercise_id}:\n\n{source}")


def close_to(
    answer: float, expected: float, rel: float = 0.01, what: str = "value"
) -> tuple[bool, str]:
    """A checker step: is a number within ``rel`` of the expected one, with a directional hint."""
    answer = float(answer)
    if math.isclose(answer, expected, rel_tol=rel, abs_tol=1e-12):
        return True, f"{what} = {answer:.4g}"
    direction = "too high" if answer > expected else "too low"
    return False, f"your {what} ({answer:.4g}) is {direction}"
