"""Exercises of 00_start_here: reading the shipped data."""

from __future__ import annotations

from workshop_lib import data
from workshop_lib.exercises.core import Exercise, close_to, register


def _sample_context() -> dict:
    return {"sample": data.load_sample("reference_sample.csv")}


def _solution_default_rate(sample):
    return sample["defaulted"].mean()


def _check_default_rate(answer, sample) -> tuple[bool, str]:
    if not 0 <= float(answer) <= 1:
        return False, "a rate is a share between 0 and 1, not a count or a percentage"
    return close_to(answer, sample["defaulted"].mean(), rel=1e-6, what="default rate")


register(
    Exercise(
        id="00.1",
        prompt="What share of the applications in the reference sample defaulted?",
        hint="the label column is `defaulted` (0 or 1): the mean of a 0/1 column is a share",
        checker=_check_default_rate,
        solution=_solution_default_rate,
        example_context=_sample_context,
        wrong_answer=lambda sample: int(sample["defaulted"].sum()),
    )
)
