"""Run every notebook the way a shared machine runs it: beside a busy core, then on one core.

Binder's CPUs are shared, and a learner's laptop has other work to do. This runs nbval on the
notebooks (or the paths given) twice: with a plain Python busy loop keeping one core busy, then
with the whole test run pinned to one core (``taskset -c 0``). ``WORKBOOK_CONTENTION=1`` lets a
claim whose condition does not hold be explained instead of checked (``support/claims.py``); any
other failure, a cell past nbval's limit included, fails the run. Prints each run's wall time.

    python -m tools.contention [busy|one-core|both] [pytest arguments, default: notebooks]
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

from workshop_lib.support.claims import CONTENTION_VARIABLE

BUSY_LOOP = "while True:\n    pass"
MODES = ("busy", "one-core")


def pinned(command: list[str], core: int) -> list[str]:
    """``command`` run on ``core`` only (``taskset``; exits naming the package if it is missing)."""
    taskset = shutil.which("taskset")
    if taskset is None:
        sys.exit("taskset is missing: install util-linux (apt-get install util-linux)")
    return [taskset, "-c", str(core), *command]


def run(mode: str, targets: list[str]) -> int:
    """One nbval run under ``mode``; returns pytest's exit code."""
    env = os.environ | {CONTENTION_VARIABLE: "1"}
    command = [sys.executable, "-m", "pytest", *targets]
    busy = None
    if mode == "busy":
        busy = subprocess.Popen([sys.executable, "-c", BUSY_LOOP])
    else:
        command = pinned(command, 0)
    started = time.perf_counter()
    try:
        code = subprocess.run(command, env=env, check=False).returncode
    finally:
        if busy is not None:
            busy.kill()
            busy.wait()
    print(f"contention run '{mode}': exit {code} after {time.perf_counter() - started:.0f} s")
    return code


def main(arguments: list[str]) -> int:
    mode = arguments[0] if arguments and arguments[0] in (*MODES, "both") else "both"
    targets = [a for a in arguments if a not in (*MODES, "both")] or ["notebooks"]
    codes = [run(each, targets) for each in (MODES if mode == "both" else (mode,))]
    return max(codes)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
