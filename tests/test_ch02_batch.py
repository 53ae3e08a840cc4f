"""Exercise 02.1 wants the exact row count on partitions the notebook never showed."""

from __future__ import annotations

from workshop_lib.exercises import check
from workshop_lib.exercises.ch02_batch import _sizing_cases, _solution_rows_per_partition

NOTEBOOK_ANSWER = round(100 * 1_000_000 / 76)  # 100 MB at the notebook's 76 bytes per row


def test_the_hidden_partitions_differ_from_the_notebooks_day():
    cases = _sizing_cases(7)
    shapes = [(len(sample), sample.shape[1], target) for sample, target in cases]
    assert shapes != [(len(sample), sample.shape[1], t) for sample, t in _sizing_cases(8)]
    assert len({(len(sample), sample.shape[1], target) for sample, target in cases}) == len(cases)
    assert all(sample.shape[1] < 13 and len(sample) < 1_000_000 for sample, _ in cases)


def test_the_reference_passes_and_ceil_or_int_of_the_exact_value_too():
    assert check("02.1", _solution_rows_per_partition()).passed is True

    def truncated(sample, target_mb):
        return int(target_mb * 1e6 * len(sample) / sample.memory_usage(deep=True).sum())

    assert check("02.1", truncated).passed is True


def test_the_notebooks_value_a_constant_and_shallow_memory_fail():
    assert check("02.1", NOTEBOOK_ANSWER).passed is False
    assert check("02.1", lambda sample, target_mb: NOTEBOOK_ANSWER).passed is False
    assert check("02.1", lambda sample, target_mb: 1_000_000).passed is False

    def shallow(sample, target_mb):  # memory_usage() without deep=True misses the categories
        return round(target_mb * 1e6 * len(sample) / sample.memory_usage().sum())

    assert check("02.1", shallow).passed is False


def test_an_answer_off_by_one_percent_fails():
    exact = _solution_rows_per_partition()
    result = check("02.1", lambda sample, target_mb: exact(sample, target_mb) * 1.01)
    assert result.passed is False and "MB partitions" in result.message
