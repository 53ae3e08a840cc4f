"""One source for minutes and run times: README, notebook 00 and the guide agree with it."""

from __future__ import annotations

import json
import re
import shutil

import pytest

from workshop_lib import paths
from workshop_lib.support import notebook_times

NOTEBOOKS = sorted(p.stem for p in (paths.PROJECT_ROOT / "notebooks").glob("[0-9][0-9]*.ipynb"))


def test_every_notebook_has_its_figures():
    times = notebook_times.load()
    assert list(times) == NOTEBOOKS  # all 14, in order
    for name, timing in times.items():
        assert 5 <= timing.minutes <= 60 and timing.run_s > 0, name


def test_readme_notebook_00_and_the_guide_agree_with_the_file():
    stale = notebook_times.stale_files(notebook_times.load(), write=False)
    assert stale == [], "run: python -m workshop_lib.support.notebook_times"


def test_each_notebook_states_the_same_minutes():
    for name, timing in notebook_times.load().items():
        text = (paths.PROJECT_ROOT / "notebooks" / f"{name}.ipynb").read_text()
        stated = re.search(r"\*\*Time:\*\* (?:about )?(\d+) min", text)
        assert stated and int(stated[1]) == timing.minutes, name
        assert not re.search(r"runs in ~\d+ s", text), f"{name}: a run time outside the one source"


def test_a_changed_figure_shows_up_as_a_stale_file(tmp_path, monkeypatch):
    """What `make demo-ready` records moves the README and guide figures, minutes stay."""
    copy = tmp_path / "notebook_times.json"
    shutil.copy(notebook_times.TIMES_FILE, copy)
    notebook_times.record([("02b_batch_engines", 121.0, 812.4)], copy)
    recorded = notebook_times.load(copy)
    assert recorded["02b_batch_engines"].run_s == 121.0
    assert recorded["02b_batch_engines"].peak_mib == 812
    assert (
        recorded["02b_batch_engines"].minutes == notebook_times.load()["02b_batch_engines"].minutes
    )
    assert json.loads(copy.read_text())["measured"]["by"] == "make demo-ready"
    readme = notebook_times.readme_text(recorded, notebook_times.README.read_text())
    assert re.search(r"^\| 02b \| .* \| 25 \| ~120 s \|$", readme, re.M)
    guide = notebook_times.guide_text(recorded, notebook_times.GUIDE.read_text())
    assert "### 02b · Batch engines (25 min, runs in ~120 s)" in guide
    with pytest.raises(KeyError, match="99_unknown"):
        notebook_times.record([("99_unknown", 1.0, None)], copy)


@pytest.mark.parametrize(("seconds", "printed"), [(0.4, "~5 s"), (12.4, "~10 s"), (57.6, "~60 s")])
def test_run_times_are_printed_to_the_nearest_five_seconds(seconds, printed):
    assert notebook_times.run_time(seconds) == printed


def test_a_renamed_heading_is_an_error_not_a_silent_skip():
    guide = notebook_times.GUIDE.read_text().replace("### 07b · ", "### 07b - ")
    with pytest.raises(ValueError, match="07b_data_and_experiments in the instructor guide"):
        notebook_times.guide_text(notebook_times.load(), guide)
