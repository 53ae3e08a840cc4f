"""Where a processor dies on purpose, for the crash drills (``drills``) and the worker's fault flag.

It sits apart from ``drills`` because the processor strikes the plan while ``drills`` runs
processors: each imports this module, neither imports the other.
"""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass
from typing import Literal

import numpy as np

from workshop_lib.streaming.events import SimulatedCrash

CrashPhase = Literal["after_score", "after_write"]


@dataclass(frozen=True)
class CrashPlan:
    """Where a processor dies on purpose: during its ``batch``-th batch, at ``phase``.

    ``after_score``: predictions computed, nothing written. ``after_write``: predictions
    written, not acknowledged (the case that re-delivers events already stored). ``hard``
    kills the whole process with SIGKILL instead of ending the processor's thread.
    """

    batch: int
    phase: CrashPhase
    hard: bool = False

    @classmethod
    def random(cls, seed: int, max_batch: int, hard: bool = False) -> CrashPlan:
        """A seeded random crash point within the first ``max_batch`` batches."""
        rng = np.random.default_rng(seed)
        phases: tuple[CrashPhase, CrashPhase] = ("after_score", "after_write")
        phase = phases[int(rng.integers(2))]
        return cls(int(rng.integers(1, max_batch + 1)), phase, hard)

    def strike(self, batch: int, phase: str) -> None:
        if batch != self.batch or phase != self.phase:
            return
        if self.hard:
            os.kill(os.getpid(), signal.SIGKILL)
        raise SimulatedCrash(f"simulated crash in batch {batch}, {phase}")
