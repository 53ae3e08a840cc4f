"""Run every catalogued lab answer on 20 seeds: one pytest process per lab and kind of answer.

A chunk is one lab's wrong answers or its right answers (18 chunks), so a process trains the
lab's per-seed set-up once for all of them. Workers take chunks from one queue, largest first;
each chunk's output goes to ``runtime/lab-answers/`` and its last line is printed when it ends
(all of it, at the end, when it failed). A chunk passes only if every answer of its lab and
kind passed. When all do, ``tools.lab_answers_record`` records it for this exact code.

``make lab-answers`` runs two workers, one per core. ``.ci/run`` runs the catalogue beside the
one-core contention run (``--beside-contention``), so that no core waits: while nbval runs every
notebook pinned to core 0, a worker pinned to core 1 takes chunks; when nbval is done, a second
worker joins on core 0. (The busy-core run is ``make contention``'s other half; beside a worker
it would add about 15 minutes: each run's notebooks need about 15 core-minutes, the catalogue
about 52, and CI has 90 minutes for everything, ``make test``'s 25 included.)

    python -m tools.lab_answers [--beside-contention]
"""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass

from tools import contention, lab_answers_record
from workshop_lib.labs import LABS
from workshop_lib.support.claims import CONTENTION_VARIABLE

ROOT = lab_answers_record.ROOT
ANSWERS = ROOT / "tests" / "lab_answers"
LOGS = ROOT / "runtime" / "lab-answers"
TESTS = {
    "wrong": "test_wrong_answer_is_refused_on_every_seed",
    "right": "test_right_answer_is_accepted_on_every_seed",
}


@dataclass(frozen=True)
class Chunk:
    """The wrong or the right answers of one lab."""

    lab_id: str
    kind: str

    @property
    def name(self) -> str:
        return f"lab{self.lab_id}-{self.kind}"

    def answers(self) -> int:
        return len(list((ANSWERS / f"lab{self.lab_id}").glob(f"{self.kind}_*.py")))

    def command(self) -> list[str]:
        test = f"tests/test_lab_answers.py::{TESTS[self.kind]}"
        return [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", test]


@dataclass(frozen=True)
class Outcome:
    chunk: Chunk
    core: int | None
    seconds: float
    passed: bool
    summary: str


def run_chunk(chunk: Chunk, core: int | None) -> Outcome:
    """Run ``chunk`` on 20 seeds (on ``core`` only, if given); passed means every answer did."""
    LOGS.mkdir(parents=True, exist_ok=True)
    log = LOGS / f"{chunk.name}.log"
    env = os.environ | {"LAB_ANSWER_SEEDS": str(lab_answers_record.SEEDS)}
    env |= {"LAB_ANSWER_LAB": chunk.lab_id}
    env.pop(CONTENTION_VARIABLE, None)
    started = time.perf_counter()
    with log.open("w") as output:
        code = subprocess.run(
            chunk.command() if core is None else contention.pinned(chunk.command(), core),
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=output,
        ).returncode
    text = log.read_text()
    last = (text.strip().splitlines() or ["(no output)"])[-1]
    counted, expected = re.search(r"(\d+) passed", last), chunk.answers()
    passed = code == 0 and counted is not None and int(counted[1]) == expected
    if not passed:
        last += f" (exit {code}; {expected} answers should have passed)"
    return Outcome(chunk, core, time.perf_counter() - started, passed, last)


def _work(pending: queue.Queue[Chunk], core: int | None, outcomes: list[Outcome]) -> None:
    while True:
        try:
            chunk = pending.get_nowait()
        except queue.Empty:
            return
        outcome = run_chunk(chunk, core)
        outcomes.append(outcome)
        print(f"lab answers [{chunk.name}, core {core}, {outcome.seconds:.0f} s] {outcome.summary}")


def _worker(
    pending: queue.Queue[Chunk], core: int | None, outcomes: list[Outcome]
) -> threading.Thread:
    thread = threading.Thread(target=_work, args=(pending, core, outcomes), name=f"core-{core}")
    thread.start()
    return thread


def main(arguments: list[str]) -> int:
    beside_contention = "--beside-contention" in arguments
    pending: queue.Queue[Chunk] = queue.Queue()
    chunks = [Chunk(lab_id, kind) for lab_id in LABS for kind in TESTS]
    for chunk in sorted(chunks, key=Chunk.answers, reverse=True):
        pending.put(chunk)
    outcomes: list[Outcome] = []
    started = time.perf_counter()
    contention_code = 0
    if beside_contention:
        workers = [_worker(pending, 1, outcomes)]
        contention_code = contention.run("one-core", ["notebooks"])
        workers.append(_worker(pending, 0, outcomes))
    else:
        workers = [_worker(pending, None, outcomes) for _ in range(2)]
    for thread in workers:
        thread.join()
    failed = [each.chunk.name for each in outcomes if not each.passed]
    for name in failed:
        print(f"--- {name}: {LOGS.relative_to(ROOT) / name}.log ---")
        print((LOGS / f"{name}.log").read_text())
    answers = sum(each.chunk.answers() for each in outcomes)
    print(
        f"lab answers: {len(outcomes)} chunks, {answers} answers on {lab_answers_record.SEEDS} "
        f"seeds, {len(failed)} chunks failed {failed}, "
        f"{time.perf_counter() - started:.0f} s in all"
    )
    if not failed and len(outcomes) == len(chunks):
        lab_answers_record.main()
    return 1 if failed or contention_code else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
