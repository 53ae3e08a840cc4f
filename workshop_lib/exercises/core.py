"""Self-checking exercises: a checker says what is right or wrong and hints, never answers.

The learner passes only an answer: every checker builds its own data (fresh random cases, a
throw-away registry), so an answer cannot be checked against a context the learner made up.
"""

from __future__ import annotations

import inspect
import math
import secrets
import sys
import textwrap
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
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


class AnswerRefused(Exception):
    """The answer fails a hidden case in a way the checker cannot go on from (it raised, or
    returned what is not a number); the message says on which case and what it did."""


def call_answer(answer: Callable[..., Any], where: str, *arguments: Any) -> Any:
    """``answer(*arguments)``; if it raises, an ``AnswerRefused`` that names the case."""
    try:
        return answer(*arguments)
    except (Exception, SystemExit) as error:  # whatever the learner's code raised: the verdict
        raise AnswerRefused(
            f"{where}, your function raised {type(error).__name__}: {error}"
        ) from error


class OptionMiss(str):
    """A failure message that says which of a few options was wrong (it counts as a guess)."""


@dataclass(frozen=True)
class Exercise:
    """One "Try it" task: its checker, a hint and a reference solution.

    ``checker(answer, seed)`` draws its hidden cases from ``seed`` and returns
    ``(passed, message)``; a failure message says what the answer did on a case, never the
    answer. ``solution()`` returns a correct answer; ``wrong_answer()`` a plausible mistake.
    ``max_wrong_tries`` (for answers with few options) limits how many wrong options
    (messages of type ``OptionMiss``) are named; after that the checker says to reread
    ``section`` instead, so the options cannot be tried one by one.
    """

    id: str
    prompt: str
    hint: str
    checker: Callable[[Any, int], tuple[bool, str]]
    solution: Callable[[], Any]
    wrong_answer: Callable[[], Any] | None = None
    max_wrong_tries: int | None = None
    section: str = ""


EXERCISES: dict[str, Exercise] = {}
_WRONG_TRIES: dict[str, int] = {}


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


def check(exercise_id: str, answer: Any = None, **context: Any) -> CheckResult:
    """Check an answer on fresh hidden cases; no answer, ``None`` or ``...`` means "not answered
    yet" (the result shows the question)."""
    exercise = _find(exercise_id)
    if context:
        names = ", ".join(f"{name}=" for name in sorted(context))
        raise TypeError(
            f"check({exercise_id!r}, answer) takes only your answer, not {names}: the checker "
            "builds its own data, so pass nothing else"
        )
    if answer is None or answer is Ellipsis:
        return CheckResult(exercise_id, None, exercise.prompt, exercise.hint)
    return grade(exercise_id, answer, secrets.randbelow(2**31))


def grade(exercise_id: str, answer: Any, seed: int) -> CheckResult:
    """Check ``answer`` on the hidden cases drawn from ``seed`` (the tests fix the seed)."""
    exercise = _find(exercise_id)
    try:
        passed, message = exercise.checker(answer, seed)
    except AnswerRefused as error:
        passed, message = False, str(error)
    except (Exception, SystemExit) as error:  # the learner's code may raise anything
        what = f"{type(error).__name__}: {error}"
        if raised_in_learner_code(error):
            passed, message = False, f"your answer raised {what} on the checker's hidden cases"
        else:
            passed, message = False, f"the answer could not be checked ({what})"
    if passed:
        _WRONG_TRIES.pop(exercise_id, None)
    elif isinstance(message, OptionMiss) and exercise.max_wrong_tries is not None:
        _WRONG_TRIES[exercise_id] = _WRONG_TRIES.get(exercise_id, 0) + 1
        if _WRONG_TRIES[exercise_id] > exercise.max_wrong_tries:
            message = (
                f"not right yet, and after {exercise.max_wrong_tries} wrong choices the checker "
                f"no longer says which part is wrong: reread {exercise.section}, then try again"
            )
    return CheckResult(exercise_id, passed, message, exercise.hint)


def raised_in_learner_code(error: BaseException) -> bool:
    """Whether ``error``'s traceback passes through code outside the workbook's package and
    outside the installed libraries: a notebook cell or a learner's file."""
    ours = {
        Path(root).resolve() for root in (Path(__file__).parents[1], sys.prefix, sys.base_prefix)
    }
    for frame, _ in traceback.walk_tb(error.__traceback__):
        file = Path(frame.f_code.co_filename).resolve()
        if not any(file.is_relative_to(root) for root in ours):
            return True
    return False


def hint(exercise_id: str) -> str:
    """The hint of an exercise."""
    return _find(exercise_id).hint


def solution(exercise_id: str) -> None:
    """Print the reference solution's code: look only after you have tried."""
    source = textwrap.dedent(inspect.getsource(_find(exercise_id).solution))
    print(f"Solution to {exercise_id}:\n\n{source}")


def needs_function(answer: Any, signature: str) -> str | None:
    """A failure message when ``answer`` is not a function, else None."""
    if callable(answer):
        return None
    return f"pass your function {signature} itself, not {type(answer).__name__} {answer!r}"


def as_number(value: Any, what: str) -> float:
    """``value`` as a float, or an ``AnswerRefused`` saying what the learner's function returned."""
    if value is None:
        raise AnswerRefused(f"your function returned None for {what}: write its body and return")
    if isinstance(value, bool):
        raise AnswerRefused(f"your function returned {value} (a bool) for {what}, not a number")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise AnswerRefused(
            f"for {what}, your function returned {type(value).__name__} {value!r}, not a number"
        ) from None


def close_to(
    answer: float, expected: float, rel: float = 0.01, what: str = "value"
) -> tuple[bool, str]:
    """A checker step: is a number within ``rel`` of the expected one (says which way off)."""
    answer = as_number(answer, what)
    if math.isclose(answer, expected, rel_tol=rel, abs_tol=1e-12):
        return True, f"{what} = {answer:.4g}"
    direction = "too high" if answer > expected else "too low"
    return False, f"your {what} ({answer:.4g}) is {direction} (tolerance {rel:.2%})"
