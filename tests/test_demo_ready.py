"""`make demo-ready` runs a notebook into a copy and reports its time and peak memory."""

from __future__ import annotations

import nbformat

from workshop_lib.support import demo_ready, notebook_times


def test_every_notebook_is_run_and_each_has_its_figures():
    names = [p.stem for p in sorted(demo_ready.NOTEBOOKS_DIR.glob(demo_ready.NOTEBOOKS))]
    assert len(names) == 14 and "02b_batch_engines" in names and "08b_drift_detection" in names
    assert names == list(notebook_times.load())  # what it measures has a place to go


def test_a_notebook_runs_into_a_copy_with_its_peak_memory(tmp_path, capfd):
    source = demo_ready.NOTEBOOKS_DIR / "00_start_here.ipynb"
    before = source.read_bytes()
    run = demo_ready.run_notebook(source, out_dir=tmp_path)
    assert run.error is None
    assert capfd.readouterr().err == ""  # the kernel says nothing on the terminal
    assert demo_ready.kernel_log_path(source, tmp_path).exists()  # its messages go here
    assert 30 < run.peak_mib < 1024, "a kernel uses tens of MiB at least, and must fit Binder"
    executed = nbformat.read(tmp_path / source.name, as_version=4)
    assert executed.cells[-1].source == demo_ready.PEAK_MEMORY_CELL
    assert source.read_bytes() == before  # the notebook itself is never modified


def test_a_failing_notebook_is_reported_not_raised(tmp_path):
    broken = tmp_path / "99_broken.ipynb"
    notebook = nbformat.v4.new_notebook()
    notebook.cells.append(nbformat.v4.new_code_cell("raise ValueError('no model in the registry')"))
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(notebook, broken)
    run = demo_ready.run_notebook(broken, out_dir=tmp_path / "out")
    assert run.error is not None and "no model in the registry" in run.error
    assert "\x1b" not in run.error  # no terminal colours in the printed table
    assert (tmp_path / "out" / broken.name).exists()
