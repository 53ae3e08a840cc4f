"""Exercise of 00_start_here: the default rate of a table, as a function."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from workshop_lib import data
from workshop_lib.exercises.core import (
    Exercise,
    as_number,
    call_answer,
    needs_function,
    register,
)


def _hidden_tables(seed: int) -> list[pd.DataFrame]:
    """Tables of several sizes whose default rates differ widely (1 % to 60 %), and one in
    which nobody defaulted (a share of 0 has no row of 1s to count)."""
    rng = np.random.default_rng(seed)
    tables = []
    for rate in (rng.uniform(0.01, 0.05), rng.uniform(0.1, 0.3), rng.uniform(0.4, 0.6), 0.0):
        frame = data.make_applications(
            int(rng.integers(150, 1_500)), seed=int(rng.integers(1_000_000))
        )
        frame["defaulted"] = (rng.random(len(frame)) < rate).astype(frame["defaulted"].dtype)
        tables.append(frame)
    return tables


def _check_default_rate(answer: Callable[[pd.DataFrame], float], seed: int) -> tuple[bool, str]:
    if (problem := needs_function(answer, "default_rate(frame)")) is not None:
        return False, problem
    for frame in _hidden_tables(seed):
        expected = float(frame["defaulted"].mean())
        what = (
            f"a hidden table of {len(frame):,} applications, {frame['defaulted'].sum()} defaulted"
        )
        got = as_number(call_answer(answer, f"for {what}", frame.copy()), what)
        if not 0 <= got <= 1:
            return False, f"for {what} your function says {got:g}: a share is between 0 and 1"
        if not np.isclose(got, expected, rtol=1e-6, atol=1e-12):  # float32 is right too
            return False, f"for {what} your function says {got:.6g}, not their share"
    return True, "the share of defaults, right on four tables from no default to over 40 %"


def _solution_default_rate() -> Callable[[pd.DataFrame], float]:
    def default_rate(frame):
        return frame["defaulted"].mean()  # the mean of a 0/1 column is the share of 1s

    return default_rate


register(
    Exercise(
        id="00.1",
        prompt="Write default_rate(frame): the share (0 to 1) of applications in `frame` that "
        "defaulted.",
        hint="the label column is `defaulted` (0 or 1): the mean of a 0/1 column is a share",
        checker=_check_default_rate,
        solution=_solution_default_rate,
        wrong_answer=lambda: lambda frame: int(frame["defaulted"].sum()),
    )
)
