"""The pinned environment: the lock, environment.yml and pyproject.toml agree."""

from __future__ import annotations

import re
import tomllib
from importlib.metadata import version

import pytest
import yaml
from packaging.requirements import Requirement

from tools.write_environment import USAGE, environment_text, locked_requirements
from workshop_lib import paths

ROOT = paths.PROJECT_ROOT


def lock_pins() -> dict[str, set[str]]:
    pins: dict[str, set[str]] = {}
    for line in locked_requirements(ROOT / "requirements.lock"):
        requirement = Requirement(line)
        (specifier,) = requirement.specifier
        assert specifier.operator == "==", f"{line} is not an exact pin"
        pins.setdefault(requirement.name.lower(), set()).add(specifier.version)
    return pins


def test_environment_yml_installs_exactly_the_lock():
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert "python=3.11" in environment["dependencies"]
    pip_section = next(d["pip"] for d in environment["dependencies"] if isinstance(d, dict))
    assert [p for p in pip_section if p != "-e ."] == locked_requirements(
        ROOT / "requirements.lock"
    )


@pytest.mark.parametrize("name", sorted(USAGE))
def test_both_environment_files_are_what_make_lock_writes(name):
    """environment.yml (conda) and binder/environment.yml (Binder): the lock, regenerated."""
    requirements = locked_requirements(ROOT / "requirements.lock")
    assert (ROOT / name).read_text() == environment_text(name, requirements), "run make lock"
    pip_section = next(
        d["pip"]
        for d in yaml.safe_load((ROOT / name).read_text())["dependencies"]
        if isinstance(d, dict)
    )
    assert ("-e ." in pip_section) == (name == "environment.yml")  # Binder installs it in postBuild


def test_every_direct_dependency_is_pinned_within_its_range():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = lock_pins()
    direct = project["dependencies"] + project["optional-dependencies"]["dev"]
    for line in direct:
        requirement = Requirement(line)
        name = requirement.name.lower()
        assert name in pins, f"{name} is not in requirements.lock: run make lock"
        for pinned in pins[name]:
            assert requirement.specifier.contains(pinned), f"{name}=={pinned} outside {line}"


def test_pandas_stays_below_3_for_evidently():
    assert all(int(v.split(".")[0]) < 3 for v in lock_pins()["pandas"])


@pytest.mark.parametrize("package", ["pandas", "scikit-learn", "evidently", "fastapi", "dask"])
def test_installed_versions_are_the_locked_ones(package):
    assert version(package) in lock_pins()[package]


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test$", ci, re.MULTILINE)
    assert "make test" in (ROOT / "README.md").read_text()
    assert "make test" in (ROOT / ".github" / "workflows" / "ci.yml").read_text()
