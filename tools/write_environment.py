"""Write environment.yml (conda, Binder) with exactly the pins of requirements.lock."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADER = """\
# Generated from requirements.lock by `make lock` (tools/write_environment.py): do not edit.
# conda env create -f environment.yml && conda activate model-deployment-workbook
name: model-deployment-workbook
channels:
  - conda-forge
dependencies:
  - python=3.11
  - pip
  - pip:
"""


def locked_requirements(lock: Path) -> list[str]:
    """The requirement lines of a pip-compile style lock file, comments dropped."""
    lines = (line.split("#", 1)[0].strip() for line in lock.read_text().splitlines())
    return [line for line in lines if line and not line.startswith("-")]


def main() -> None:
    requirements = locked_requirements(ROOT / "requirements.lock")
    body = "".join(f'    - "{requirement}"\n' for requirement in requirements)
    body += '    - "-e ."  # workshop_lib itself (conda runs pip beside this file)\n'
    (ROOT / "environment.yml").write_text(HEADER + body)
    print(f"environment.yml: {len(requirements)} pinned packages")


if __name__ == "__main__":
    main()
