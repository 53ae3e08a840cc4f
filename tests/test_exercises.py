"""Every exercise's reference solution passes its checker, and a typical mistake fails it."""

from __future__ import annotations

import pytest

from workshop_lib.exercises import EXERCISES, check, solution


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_solution_passes_and_mistake_fails(exercise_id):
    exercise = EXERCISES[exercise_id]
    context = exercise.example_context()
    result = check(exercise_id, exercise.solution(**context), **context)
    assert result.passed is True, result
    if exercise.wrong_answer is not None:
        mistake = check(exercise_id, exercise.wrong_answer(**context), **context)
        assert mistake.passed is False, mistake
        assert "Hint" in repr(mistake)


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_unanswered_shows_prompt_and_hint(exercise_id):
    result = check(exercise_id, None)
    assert result.passed is None
    assert "Not answered yet" in repr(result) and "Hint" in repr(result)


def test_solution_prints_code(capsys):
    solution(sorted(EXERCISES)[0])
    assert "def " in capsys.readouterr().out


def test_unknown_exercise_is_named():
    with pytest.raises(KeyError, match="no exercise 'nope'"):
        check("nope", 1)
