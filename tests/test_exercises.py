"""Every exercise: its reference solution passes on several hidden draws, its typical mistake
fails on each, and the learner cannot hand the checker a context of their own."""

from __future__ import annotations

import pandas as pd
import pytest

from workshop_lib.exercises import EXERCISES, check, solution
from workshop_lib.exercises.core import grade

SEEDS = {"01.2": range(1), "08.1": range(3), "09.2": range(1)}  # the slow ones
SLOW = {"09.2"}


def _params() -> list:
    params = []
    for exercise_id in sorted(EXERCISES):
        marks = [pytest.mark.slow] if exercise_id in SLOW else []
        params.append(pytest.param(exercise_id, marks=marks, id=exercise_id))
    return params


@pytest.mark.parametrize("exercise_id", _params())
def test_solution_passes_and_mistake_fails_on_every_draw(exercise_id):
    exercise = EXERCISES[exercise_id]
    for seed in SEEDS.get(exercise_id, range(5)):
        result = grade(exercise_id, exercise.solution(), seed)
        assert result.passed is True, (seed, result)
        if exercise.wrong_answer is not None:
            mistake = grade(exercise_id, exercise.wrong_answer(), seed)
            assert mistake.passed is False, (seed, mistake)
            assert "Hint" in repr(mistake) and "could not be checked" not in mistake.message


def test_the_hidden_cases_change_with_the_seed():
    from workshop_lib.exercises import ch02b_engines, ch05_streaming, ch09_scaling

    for cases in (ch02b_engines._cases, ch05_streaming._batch_cases, ch09_scaling._rollback_cases):
        assert cases(1) != cases(2)
        assert cases(1) == cases(1)


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_a_context_of_ones_own_is_refused(exercise_id):
    made_up = pd.DataFrame({"defaulted": [0, 1]})
    with pytest.raises(TypeError, match=r"takes only your answer, not sample=: the checker"):
        check(exercise_id, 0.5, sample=made_up)


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_unanswered_shows_prompt_and_hint(exercise_id):
    for result in (check(exercise_id, None), check(exercise_id)):
        assert result.passed is None
        assert "Not answered yet" in repr(result) and "Hint" in repr(result)


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_solution_prints_the_code_of_a_correct_answer(exercise_id, capsys):
    solution(exercise_id)
    printed = capsys.readouterr().out
    assert printed.startswith(f"Solution to {exercise_id}:") and "return" in printed


def test_unknown_exercise_is_named():
    with pytest.raises(KeyError, match="no exercise 'nope'"):
        check("nope", 1)
