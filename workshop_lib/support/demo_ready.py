"""Prepare every chapter before a live class: ``python -m workshop_lib.support.demo_ready``.

Trains the default model if none serves, then runs every notebook top to bottom (as *Run All*
would) into ``runtime/executed/``, so each chapter's artefacts exist (the predictions database,
prediction logs, exported models, reports, the figures chapter 09 gathers) and every notebook
is known to work on this machine today. The notebooks in ``notebooks/`` are not modified.
Prints each notebook's time and peak memory and exits 1 if any notebook failed; when all
succeed, records the figures in ``docs/notebook_times.json`` and regenerates README's table,
notebook 00's table and the instructor guide's headings from it (``--no-record``: print only).
"""

from __future__ import annotations

import argparse
import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from workshop_lib import paths
from workshop_lib.default_model import ensure_default_model
from workshop_lib.support import notebook_times

NOTEBOOKS_DIR = paths.PROJECT_ROOT / "notebooks"
ANSI_COLOURS = re.compile(r"\x1b\[[0-9;]*m")  # a traceback's colours, not for a terminal table
NOTEBOOKS = "[0-9][0-9]*_*.ipynb"  # all 14: 00 to 09 with 02b, 06b, 07b and 08b
EXECUTED_DIR = paths.RUNTIME_DIR / "executed"


# Appended to the executed copy: the kernel's peak resident memory, in MiB (a notebook stays
# under 1 GiB; Binder gives a whole session about 2 GB).
PEAK_MEMORY_CELL = (
    "import resource, sys\n"
    "peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
    "print(peak / (2**20 if sys.platform == 'darwin' else 2**10))"
)


@dataclass(frozen=True)
class NotebookRun:
    name: str
    seconds: float
    peak_mib: float | None = None
    error: str | None = None


def kernel_log_path(path: Path, out_dir: Path) -> Path:
    """Where the kernel's own messages (its stderr) go while ``path`` runs."""
    return out_dir / f"{path.stem}.kernel.log"


def run_notebook(path: Path, out_dir: Path = EXECUTED_DIR, timeout: int = 300) -> NotebookRun:
    """Execute one notebook (working directory: ``notebooks/``) and save the executed copy."""
    notebook = nbformat.read(path, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(PEAK_MEMORY_CELL))
    where = {"metadata": {"path": path.parent}}
    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    error = None
    # IPC sockets: over TCP without keys the kernel prints a warning on every start. What the
    # kernel process writes to its stderr (libraries' C++ logs) goes to a file, not the table.
    with (
        tempfile.TemporaryDirectory(prefix="kernel-") as sockets,
        kernel_log_path(path, out_dir).open("w") as kernel_log,
    ):
        kernel = KernelManager(kernel_name="python3", transport="ipc", ip=f"{sockets}/kernel")
        client = NotebookClient(notebook, km=kernel, timeout=timeout, resources=where)
        try:
            client.execute(stderr=kernel_log)
        except CellExecutionError as failure:
            error = ANSI_COLOURS.sub("", str(failure)).strip().splitlines()[-1]
    seconds = time.perf_counter() - started
    nbformat.write(notebook, out_dir / path.name)
    outputs = notebook.cells[-1].get("outputs", [])
    peak = float(outputs[0]["text"]) if outputs and "text" in outputs[0] else None
    return NotebookRun(path.stem, seconds, peak, error)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every numbered notebook")
    parser.add_argument("--no-record", action="store_true", help="print the figures, write no file")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    ensure_default_model()
    runs = []
    for path in args.notebooks or sorted(NOTEBOOKS_DIR.glob(NOTEBOOKS)):
        run = run_notebook(path)
        runs.append(run)
        outcome = f"FAILED: {run.error}" if run.error else "ok"
        memory = f"{run.peak_mib:5.0f} MiB" if run.peak_mib is not None else "    ? MiB"
        print(f"{run.name:<34} {run.seconds:6.1f} s  {memory}  {outcome}")
    print(
        f"all chapters prepared in {time.perf_counter() - started:.0f} s; executed copies and "
        f"each kernel's messages (NN.kernel.log) in {EXECUTED_DIR.relative_to(paths.HOME)}/"
    )
    if any(run.error for run in runs):
        return 1
    if not args.no_record:
        notebook_times.record((run.name, run.seconds, run.peak_mib) for run in runs)
        for changed in notebook_times.stale_files(notebook_times.load(), write=True):
            print(f"{changed.relative_to(paths.PROJECT_ROOT)}: figures updated")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
