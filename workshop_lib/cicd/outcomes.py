"""The one verdict type of chapter 07: what a data check, a model gate or a pipeline stage says.

Every check answers the same four things: its name, pass or fail, why, and what it measured.
A pipeline stage that runs several checks (data validation, the gates) keeps their verdicts in
``outcomes``, so a failed stage shows exactly which check stopped it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Outcome:
    """The verdict of one data check, model gate or pipeline stage: pass/fail, why, measured."""

    name: str
    passed: bool
    reason: str
    details: dict[str, Any] = field(default_factory=dict)
    outcomes: tuple[Outcome, ...] = ()  # the checks a stage ran, in order
    skipped: bool = False  # a stage that was asked not to run (it counts as passed)

    @property
    def mark(self) -> str:
        """``PASS``, ``FAIL`` or ``SKIP``."""
        return "SKIP" if self.skipped else ("PASS" if self.passed else "FAIL")

    def outcome(self, name: str) -> Outcome:
        """One of the checks this stage ran, by name."""
        for outcome in self.outcomes:
            if outcome.name == name:
                return outcome
        ran = [outcome.name for outcome in self.outcomes]
        raise KeyError(f"{self.name} ran no check {name!r}; it ran {ran}")

    def __str__(self) -> str:
        lines = [f"{self.mark}  {self.name}: {self.reason}", *map(str, self.outcomes)]
        return "\n      ".join(lines)


def summarise(name: str, outcomes: Sequence[Outcome], what: str) -> Outcome:
    """One stage's verdict over several checks: it passes when every check passed."""
    failed = [outcome.name for outcome in outcomes if not outcome.passed]
    reason = (
        f"{len(failed)} of {len(outcomes)} failed: {', '.join(failed)}"
        if failed
        else f"all {len(outcomes)} {what} passed"
    )
    return Outcome(name, not failed, reason, outcomes=tuple(outcomes))
