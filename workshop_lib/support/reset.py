"""Return the workbook to a clean state between classes: ``python -m workshop_lib.support.reset``.

Stops every server the workbook started that is still running (from any process: each one
leaves a small file in ``runtime/servers/``), then deletes the generated folders (``models/``
and ``runtime/``). Nothing under version control is touched.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
from pathlib import Path

import psutil

from workshop_lib import paths
from workshop_lib.support import servers

GENERATED = (paths.MODELS_DIR, paths.RUNTIME_DIR)


def stop_stray_servers(pid_dir: Path | None = None) -> list[str]:
    """Stop the servers recorded in ``pid_dir`` that are still the process that was recorded.

    A process is the recorded one when its start time matches: a pid the system has since
    given to another process is never signalled.
    """
    stopped = []
    for record_path in sorted((pid_dir or servers.PID_DIR).glob("*.json")):
        record = json.loads(record_path.read_text())
        try:
            process = psutil.Process(record["pid"])
            same_process = process.create_time() == record.get("started")
        except psutil.NoSuchProcess:
            same_process = False
        if same_process:
            os.killpg(record["pid"], signal.SIGTERM)
            psutil.wait_procs([process], timeout=10)
            stopped.append(f"{record_path.stem} (pid {record['pid']})")
        record_path.unlink()
    return stopped


def reset(folders: tuple[Path, ...] = GENERATED) -> list[str]:
    """Stop stray servers, delete the generated folders; return what was done, line by line."""
    done = [f"stopped {name}" for name in stop_stray_servers()]
    for folder in folders:
        if folder.exists():
            shutil.rmtree(folder)
            done.append(f"deleted {folder.relative_to(paths.HOME)}/")
    return done


def main() -> int:
    done = reset()
    print("\n".join(done) if done else "already clean: nothing to stop or delete")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
