"""Write the conda environments with exactly the pins of requirements.lock.

- `environment.yml` (conda users): the lock, then workshop_lib itself (`-e .`).
- `binder/environment.yml` (repo2docker, Binder): the lock only. repo2docker caches the step that
  installs the environment while the file is unchanged; `-e .` would copy the whole repository
  into that step and make every commit reinstall it (about 2.5 GB). `binder/postBuild`
  installs workshop_lib instead.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EDITABLE = '    - "-e ."  # workshop_lib itself (conda runs pip beside this file)\n'
HEADER = """\
# Generated from requirements.lock by `make lock` (tools/write_environment.py): do not edit.
{usage}
name: model-deployment-workbook
channels:
  - conda-forge
dependencies:
  - python=3.11
  - pip
  - pip:
"""
USAGE = {
    "environment.yml": (
        "# conda env create -f environment.yml && conda activate model-deployment-workbook"
    ),
    "binder/environment.yml": (
        "# repo2docker (Binder) installs this; binder/postBuild then installs workshop_lib.\n"
        "# No `-e .` here: it would defeat repo2docker's cache of this step."
    ),
}


def locked_requirements(lock: Path) -> list[str]:
    """The requirement lines of a pip-compile style lock file, comments dropped."""
    lines = (line.split("#", 1)[0].strip() for line in lock.read_text().splitlines())
    return [line for line in lines if line and not line.startswith("-")]


def environment_text(name: str, requirements: list[str]) -> str:
    """The text of one generated environment file (`environment.yml` or its binder twin)."""
    body = "".join(f'    - "{requirement}"\n' for requirement in requirements)
    if name == "environment.yml":
        body += EDITABLE
    return HEADER.format(usage=USAGE[name]) + body


def main() -> None:
    requirements = locked_requirements(ROOT / "requirements.lock")
    for name in USAGE:
        (ROOT / name).write_text(environment_text(name, requirements))
        print(f"{name}: {len(requirements)} pinned packages")


if __name__ == "__main__":
    main()
