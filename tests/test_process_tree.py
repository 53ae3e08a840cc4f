"""``run_sampled`` counts the memory of a command's children too, and stops a runaway tree."""

from __future__ import annotations

import sys
import time

import psutil
import pytest

from workshop_lib.support.process_tree import run_sampled

# A parent that starts a child holding 300 MB for a second, then prints what it did.
PARENT = """
import subprocess, sys
child = "import time; block = bytearray(300 * 1024 * 1024); time.sleep(1.0)"
subprocess.run([sys.executable, "-c", child], check=True)
print("child done")
"""


def test_the_peak_counts_the_grandchild_memory():
    run = run_sampled([sys.executable, "-c", PARENT])
    assert run.returncode == 0 and "child done" in run.output
    assert run.peak_processes >= 2
    assert run.peak_tree_mb >= 300  # the parent alone holds a few tens of MB
    assert run.seconds >= 1.0


SLEEPER = """
import pathlib, subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
pathlib.Path(sys.argv[1]).write_text(str(child.pid))
time.sleep(60)
"""


def test_a_command_past_its_timeout_is_killed_with_its_children(tmp_path):
    pid_file = tmp_path / "child.pid"
    with pytest.raises(TimeoutError, match="ran past 3 s"):
        run_sampled([sys.executable, "-c", SLEEPER, str(pid_file)], timeout=3)
    child = int(pid_file.read_text())
    deadline = time.monotonic() + 5  # SIGKILL is immediate; the reaping may take a moment
    while running(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not running(child)


def running(pid: int) -> bool:
    return psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
