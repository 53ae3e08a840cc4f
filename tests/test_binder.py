"""Binder's image: what repo2docker (Binder's builder) would build from `binder/`.

`repo2docker --no-build --debug` prints the Dockerfile without a container engine. The image
itself is built, and notebooks 00 and 03 run in it, by the `binder` job of
`.github/workflows/ci.yml` (GitHub's runners have Docker).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tools.write_environment import locked_requirements
from workshop_lib import paths

ROOT = paths.PROJECT_ROOT
BINDER = ROOT / "binder"
REPO2DOCKER = Path(sys.executable).with_name("repo2docker")


def listed(apt_txt: Path) -> list[str]:
    """The package names of an apt.txt, comments and blank lines dropped."""
    lines = (line.partition("#")[0].strip() for line in apt_txt.read_text().splitlines())
    return [line for line in lines if line]


@pytest.fixture(scope="module")
def dockerfile(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The Dockerfile repo2docker writes for a copy of the repository (its files under git)."""
    copy = tmp_path_factory.mktemp("repository")
    tracked = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, tracked.split("\0")):
        source = ROOT / name
        if source.is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / name)
    printed = subprocess.run(
        [str(REPO2DOCKER), "--no-build", "--debug", "--user-id", "1000", "--user-name", "jovyan"]
        + [str(copy)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert printed.stdout.lstrip().startswith("FROM "), printed.stderr[-2000:]
    return printed.stdout


def test_the_image_starts_from_ubuntu_noble(dockerfile):
    """binder/apt.txt's names are Ubuntu 24.04's (checked on packages.ubuntu.com, noble)."""
    assert dockerfile.lstrip().splitlines()[0] == "FROM docker.io/library/buildpack-deps:24.04"


def test_apt_installs_exactly_binder_apt_txt_and_no_chromium(dockerfile):
    wanted = listed(BINDER / "apt.txt")
    assert set(wanted) == {
        "redis-server",
        "mosquitto",
        "mosquitto-clients",
        "prometheus",
        "nginx",
        "openjdk-17-jre-headless",
    }
    installs = re.findall(
        r"apt-get install --yes --no-install-recommends ([a-z0-9.+\- ]+) &&", dockerfile
    )
    assert installs == [" ".join(sorted(wanted))]  # one step, exactly binder/apt.txt
    assert "chromium" not in dockerfile
    assert "chromium" in listed(ROOT / "apt.txt")  # CI's list keeps it: the root files are not read


def test_the_environment_step_installs_the_lock_and_stays_cached(dockerfile):
    assert 'env update -p ${NB_PYTHON_PREFIX} --file "binder/environment.yml"' in dockerfile
    environment = yaml.safe_load((BINDER / "environment.yml").read_text())
    assert "python=3.11" in environment["dependencies"]
    pip_section = next(d["pip"] for d in environment["dependencies"] if isinstance(d, dict))
    assert pip_section == locked_requirements(ROOT / "requirements.lock")  # no `-e .`
    # only binder/environment.yml is copied before that step; the repository comes after, so a
    # commit that leaves the lock alone reuses the cached environment
    copied_first = dockerfile.index("COPY --chown=1000:1000 src/binder/environment.yml")
    environment_step = dockerfile.index("env update -p")
    whole_repository = dockerfile.index("COPY --chown=1000:1000 src/ ${REPO_DIR}/")
    assert copied_first < environment_step < whole_repository


def test_post_build_installs_the_package_the_settings_and_the_model(dockerfile):
    assert "RUN ./binder/postBuild" in dockerfile
    post_build = BINDER / "postBuild"
    assert post_build.stat().st_mode & 0o111, "binder/postBuild must be executable"
    commands = [
        line for line in post_build.read_text().splitlines() if line and not line.startswith("#")
    ]
    assert any(re.search(r"pip install .*--no-deps .*-e \.$", line) for line in commands)
    assert "python -m workshop_lib.default_model" in commands
    settings = "${NB_PYTHON_PREFIX}/share/jupyter/lab/settings/overrides.json"
    assert f"cp binder/jupyterlab/overrides.json {settings}" in " ".join(commands).replace('"', "")


def test_the_settings_override_is_valid_for_the_installed_jupyterlab():
    overrides = json.loads((BINDER / "jupyterlab" / "overrides.json").read_text())
    schemas = Path(sys.prefix) / "share" / "jupyter" / "lab" / "schemas"
    for plugin, values in overrides.items():
        package, _, name = plugin.rpartition(":")
        schema = json.loads((schemas / package / f"{name}.json").read_text())
        for key, value in values.items():
            declared = schema["properties"][key]
            allowed = [choice["const"] for choice in declared.get("oneOf", [])]
            if allowed:
                assert value in allowed, (plugin, key, allowed)
            else:
                assert isinstance(value, {"boolean": bool, "string": str}[declared["type"]])
    notification = overrides["@jupyterlab/apputils-extension:notification"]
    assert notification == {"fetchNews": "false", "checkForUpdates": False}


def test_github_builds_the_image_and_runs_two_notebooks_in_it_within_2_gb():
    job = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text())["jobs"]["binder"]
    commands = "\n".join(step.get("run", "") for step in job["steps"])
    assert "grep '^jupyter-repo2docker==' requirements.lock" in commands  # the pinned builder
    assert re.search(r"repo2docker --no-run .*--image-name (\S+) \.$", commands, re.M)
    run = re.search(r"docker run --rm --memory 2g .*\n\s+python -m pytest (.+)$", commands, re.M)
    assert run, commands
    notebooks = [word for word in run[1].split() if word.endswith(".ipynb")]
    assert notebooks == ["notebooks/00_start_here.ipynb", "notebooks/03_realtime_api.ipynb"]
    assert all((ROOT / notebook).exists() for notebook in notebooks)
