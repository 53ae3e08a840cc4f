"""Prepare every chapter before a live class: ``python -m workshop_lib.support.demo_ready``.

Trains the default model if none serves, then runs every notebook top to bottom (as *Run All*
would) into ``runtime/executed/``, so each chapter's artefacts exist (the predictions database,
prediction logs, exported models, reports, the figures chapter 09 gathers) and every notebook
is known to work on this machine today. The notebooks in ``notebooks/`` are not modified.
Prints each notebook's time and exits 1 if any notebook failed.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from workshop_lib import paths
from workshop_lib.default_model import ensure_default_model

NOTEBOOKS_DIR = paths.PROJECT_ROOT / "notebooks"
EXECUTED_DIR = paths.RUNTIME_DIR / "executed"


# Appended to the executed copy: the kernel's peak resident memory, in MiB (Binder gives 1 GiB).
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


def run_notebook(path: Path, out_dir: Path = EXECUTED_DIR, timeout: int = 300) -> NotebookRun:
    """Execute one notebook (working directory: ``notebooks/``) and save the executed copy."""
    notebook = nbformat.read(path, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(PEAK_MEMORY_CELL))
    where = {"metadata": {"path": path.parent}}
    client = NotebookClient(notebook, timeout=timeout, kernel_name="python3", resources=where)
    started = time.perf_counter()
    error = None
    try:
        client.execute()
    except CellExecutionError as failure:
        error = str(failure).strip().splitlines()[-1]
    seconds = time.perf_counter() - started
    out_dir.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, out_dir / path.name)
    outputs = notebook.cells[-1].get("outputs", [])
    peak = float(outputs[0]["text"]) if outputs and "text" in outputs[0] else None
    return NotebookRun(path.stem, seconds, peak, error)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every numbered notebook")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    ensure_default_model()
    runs = []
    for path in args.notebooks or sorted(NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb")):
        run = run_notebook(path)
        runs.append(run)
        outcome = f"FAILED: {run.error}" if run.error else "ok"
        memory = f"{run.peak_mib:5.0f} MiB" if run.peak_mib is not None else "    ? MiB"
        print(f"{run.name:<34} {run.seconds:6.1f} s  {memory}  {outcome}")
    print(
        f"all chapters prepared in {time.perf_counter() - started:.0f} s; executed copies in "
        f"{EXECUTED_DIR.relative_to(paths.HOME)}/"
    )
    return 1 if any(run.error for run in runs) else 0


if __name__ == "__main__":
    raise SystemExit(main())
