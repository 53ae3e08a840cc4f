"""DVC: the training table versioned like the code, walked through in a scratch repository.

Every step is the real ``dvc`` command line, run in a throw-away git repository under
``runtime/`` (the workbook's own git is never touched) with DVC's analytics off:

1. ``dvc init``, then ``dvc add`` the training table: git keeps a small ``.dvc`` pointer (the
   file's md5), DVC's cache keeps the bytes;
2. ``dvc push`` to a local remote, delete the table and the cache, ``dvc pull`` it back;
3. a second data version (a drifted month), and ``dvc diff`` between the two git commits;
4. a two-stage pipeline ``dvc.yaml`` (generate -> train): ``dvc repro`` runs both, runs nothing
   when nothing changed, and only ``train`` when only a training parameter changed;
   ``dvc metrics diff`` shows the ROC AUC change.

The train stage records the table's ``data.fingerprint``, the same fingerprint the registry stores
in a model's metadata, so a registered version points at exactly one DVC data version.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from workshop_lib import data, paths

DEFAULT_ROOT = paths.RUNTIME_DIR / "dvc-walkthrough"
TABLE = "data/train.parquet"
ENV = {
    "DVC_NO_ANALYTICS": "1",
    "GIT_AUTHOR_NAME": "Workbook",
    "GIT_AUTHOR_EMAIL": "workbook@example.invalid",
    "GIT_COMMITTER_NAME": "Workbook",
    "GIT_COMMITTER_EMAIL": "workbook@example.invalid",
}

GENERATE = """\
import sys, yaml
from workshop_lib import data
params = yaml.safe_load(open("params.yaml"))["generate"]
frame = data.make_applications(params["rows"], scenario=params["scenario"], seed=params["seed"])
frame.to_parquet("data/train.parquet", index=False)
"""
TRAIN = """\
import json, yaml
import pandas as pd
from workshop_lib import data, training
params = yaml.safe_load(open("params.yaml"))["train"]
frame = pd.read_parquet("data/train.parquet")
used = frame.head(params["rows_used"])
holdout = data.make_applications(2_000, seed=99, first_id=50_000_001)
result = training.train(used, holdout, params["kind"])
metrics = {"roc_auc": round(result.metrics["roc_auc"], 4), "train_rows": len(used)}
json.dump({**metrics, "data_fingerprint": data.fingerprint(frame)}, open("metrics.json", "w"))
"""


@dataclass
class Step:
    """One command of the walk-through and what it printed."""

    command: str
    output: str


@dataclass
class Walkthrough:
    """A scratch git + DVC repository and the commands run in it, in order."""

    root: Path
    steps: list[Step] = field(default_factory=list)

    def run(self, *command: str) -> str:
        """Run ``dvc ...`` or ``git ...`` in the scratch repository; what it printed."""
        done = self._call(command)
        return (done.stdout + done.stderr).strip()

    def json(self, *command: str) -> Any:
        """Run a command that prints JSON (``--json``) on its standard output and parse it."""
        return json.loads(self._call(command).stdout or "{}")

    def _call(self, command: tuple[str, ...]) -> subprocess.CompletedProcess[str]:
        program = [str(Path(sys.executable).with_name("dvc"))] if command[0] == "dvc" else ["git"]
        done = subprocess.run(
            [*program, *command[1:]],
            cwd=self.root,
            env={**os.environ, **ENV},
            capture_output=True,
            text=True,
        )
        output = (done.stdout + done.stderr).strip()
        if done.returncode != 0:
            raise RuntimeError(f"`{' '.join(command)}` failed ({done.returncode}):\n{output}")
        self.steps.append(Step(" ".join(command), output))
        return done

    def commit(self, message: str) -> None:
        self.run("git", "add", "-A")
        self.run("git", "commit", "-q", "-m", message)

    def md5(self, pointer: str) -> str:
        """The md5 DVC recorded for a tracked file, read from its ``.dvc`` pointer."""
        return yaml.safe_load((self.root / pointer).read_text())["outs"][0]["md5"]


def write_table(root: Path, rows: int, scenario: str, seed: int) -> str:
    """Write the training table; return the ``data.fingerprint`` of the file as it reads back."""
    frame = data.make_applications(rows, scenario=scenario, seed=seed)
    (root / "data").mkdir(exist_ok=True)
    frame.to_parquet(root / TABLE, index=False)
    return table_fingerprint(root)


def table_fingerprint(root: Path) -> str:
    """The ``data.fingerprint`` of the training table on disk (what training reads)."""
    return data.fingerprint(pd.read_parquet(root / TABLE))


def versioned_data(walk: Walkthrough, rows: int) -> dict[str, Any]:
    """Steps 1-3: track, push, pull back after deleting, a second version, and the diff."""
    walk.run("git", "init", "-q")
    walk.run("dvc", "init", "-q")
    walk.run("dvc", "config", "core.analytics", "false")
    remote = walk.root.parent / f"{walk.root.name}-remote"
    walk.run("dvc", "remote", "add", "-d", "local", str(remote))
    first = write_table(walk.root, rows, "reference", seed=1)
    walk.run("dvc", "add", TABLE)
    walk.commit("training data: January (reference)")
    first_md5 = walk.md5(f"{TABLE}.dvc")
    walk.run("dvc", "push")
    (walk.root / TABLE).unlink()
    shutil.rmtree(walk.root / ".dvc" / "cache")
    walk.run("dvc", "pull")
    pulled = table_fingerprint(walk.root)
    second = write_table(walk.root, rows, "data_drift", seed=2)
    walk.run("dvc", "add", TABLE)
    walk.commit("training data: February (drifted)")
    return {
        "versions": {"January": (first_md5, first), "February": (walk.md5(f"{TABLE}.dvc"), second)},
        "pulled_back_identical": pulled == first,
        "diff": walk.json("dvc", "diff", "--json", "HEAD~1"),
    }


def two_stage_pipeline(walk: Walkthrough, rows: int) -> dict[str, Any]:
    """Step 4: ``dvc.yaml`` with generate -> train, reproduced three times, and the metrics diff."""
    walk.run("dvc", "remove", f"{TABLE}.dvc")  # the pipeline produces the table from now on
    (walk.root / "generate.py").write_text(GENERATE)
    (walk.root / "train.py").write_text(TRAIN)
    params = {
        "generate": {"rows": rows, "scenario": "reference", "seed": 1},
        "train": {"kind": "logistic", "rows_used": rows},
    }
    (walk.root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    python = sys.executable
    stages = {
        "stages": {
            "generate": {
                "cmd": f"{python} generate.py",
                "deps": ["generate.py"],
                "params": ["generate"],
                "outs": [TABLE],
            },
            "train": {
                "cmd": f"{python} train.py",
                "deps": ["train.py", TABLE],
                "params": ["train"],
                "metrics": [{"metrics.json": {"cache": False}}],
            },
        }
    }
    (walk.root / "dvc.yaml").write_text(yaml.safe_dump(stages, sort_keys=False))
    first = ran_stages(walk.run("dvc", "repro"))
    walk.commit("pipeline: generate -> train")
    again = ran_stages(walk.run("dvc", "repro"))
    params["train"]["rows_used"] = rows // 10
    (walk.root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    changed = ran_stages(walk.run("dvc", "repro"))
    metrics = json.loads((walk.root / "metrics.json").read_text())
    lock = yaml.safe_load((walk.root / "dvc.lock").read_text())
    return {
        "repro_first": first,
        "repro_unchanged": again,
        "repro_after_train_param": changed,
        "metrics_diff": walk.json("dvc", "metrics", "diff", "--json"),
        "data_fingerprint": metrics["data_fingerprint"],
        "generated_md5": lock["stages"]["generate"]["outs"][0]["md5"],
    }


def ran_stages(output: str) -> list[str]:
    """The stages ``dvc repro`` actually ran, from its output ("Running stage 'train':")."""
    return [
        line.split("'")[1] for line in output.splitlines() if line.startswith("Running stage '")
    ]


def run_walkthrough(root: Path = DEFAULT_ROOT, rows: int = 5_000) -> tuple[Walkthrough, dict]:
    """The whole walk-through in a fresh scratch repository at ``root``; its findings."""
    for folder in (root, root.parent / f"{root.name}-remote"):
        shutil.rmtree(folder, ignore_errors=True)
    root.mkdir(parents=True)
    walk = Walkthrough(root)
    findings = {**versioned_data(walk, rows), **two_stage_pipeline(walk, rows)}
    return walk, findings


# DVC's reminders ("To track the changes with git, run: ...") and its progress spinner: noise
# in a notebook, where the walk-through already did what they suggest.
_HINTS = (
    "To track the changes",
    "To enable auto staging",
    "Use `dvc push`",
    "git add ",
    "dvc config core.autostage",
)


def _essential(output: str) -> str:
    lines = [re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", line).rstrip() for line in output.splitlines()]
    kept = [line for line in lines if line.strip() and not line.strip().startswith(_HINTS)]
    return "\n".join(line for line in kept if not line.lstrip().startswith(("⠋", "⠙", "⠹")))


def show(walk: Walkthrough, last: int | None = None) -> str:
    """The commands and what they printed (without DVC's reminders), as in a terminal."""
    shown = []
    for step in walk.steps[-last if last else 0 :]:
        output = _essential(step.output)
        shown.append(f"$ {step.command}" + (f"\n{textwrap.indent(output, '  ')}" if output else ""))
    return "\n".join(shown)
