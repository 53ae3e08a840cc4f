"""The container image's start-up, as the image's user, without Docker.

``apps/Dockerfile`` is read for what it sets (its ``ENV`` values, ``USER`` and ``COPY``): the
code is copied outside the repository, the registry and the public key are placed where the
image expects them (under a throw-away root folder), and the service is started as uid 65534
with ``setpriv``, exactly as the image's command, then asked for a prediction.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from helpers import promoted_registry

from workshop_lib import paths, registry_keys
from workshop_lib.schema import EXAMPLE_APPLICATION
from workshop_lib.support.servers import free_port

pytestmark = pytest.mark.slow
DOCKERFILE = paths.PROJECT_ROOT / "apps" / "Dockerfile"


def image_settings() -> tuple[dict[str, str], str]:
    """The Dockerfile's ENV values and its USER."""
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    env: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("ENV "):
            env.update(re.findall(r"(\w+)=(\S+)", line))
    [user] = re.findall(r"^USER (\S+)$", text, re.MULTILINE)
    return env, user


def test_the_image_runs_as_nobody_and_verifies_with_a_public_key_only():
    env, user = image_settings()
    assert user == "65534:65534"
    assert env["WORKBOOK_REGISTRY_KEY_FILE"].startswith("/run/secrets/")
    assert env["WORKBOOK_REGISTRY_KEY_FILE"].endswith(".pub")


@pytest.fixture
def image_root(trained, small_frames) -> Iterator[Path]:
    """A folder laid out as the image: code in srv/app, the registry in srv/models, the public
    key in run/secrets, a log folder the service's user owns; nothing else is writable."""
    shutil.which("setpriv") or pytest.skip("setpriv (util-linux) is needed to switch users")
    root = Path(tempfile.mkdtemp(prefix="image-"))
    try:
        root.chmod(0o755)
        env, _ = image_settings()
        app = root / "srv" / "app"
        for package in ("workshop_lib", "apps"):  # the Dockerfile's COPY lines
            shutil.copytree(
                paths.PROJECT_ROOT / package,
                app / package,
                ignore=shutil.ignore_patterns("__pycache__"),
            )
        promoted_registry(root / env["MODEL_REGISTRY"].lstrip("/"), trained, small_frames)
        key = root / env["WORKBOOK_REGISTRY_KEY_FILE"].lstrip("/")
        key.parent.mkdir(parents=True)
        shutil.copy(registry_keys.public_key_path(), key)
        logs = root / Path(env["PREDICTION_LOG"]).parent.relative_to("/")
        logs.mkdir(parents=True)
        os.chown(logs, 65534, 65534)
        for folder in [root, *root.rglob("*")]:
            if folder.is_dir():
                folder.chmod(folder.stat().st_mode | 0o555)  # readable, as in an image layer
        yield root
    finally:
        shutil.rmtree(root)


def as_nobody(command: list[str]) -> list[str]:
    return ["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups", *command]


def python_for_nobody(root: Path) -> tuple[str, str]:
    """An interpreter uid 65534 can run, and the site-packages it needs on ``PYTHONPATH``.

    The virtualenv's own interpreter if that user can run it (in CI); else the system's Python
    3.11 with the virtualenv's libraries (here, where the interpreter is under /root)."""
    site = sysconfig.get_paths()["purelib"]
    for python in (sys.executable, "/usr/bin/python3.11"):
        probe = as_nobody([python, "-c", "import numpy"])
        if subprocess.run(probe, env={"PYTHONPATH": site}, capture_output=True).returncode == 0:
            return python, site
    pytest.fail("no Python 3.11 that uid 65534 can run")


def start(root: Path, port: int) -> subprocess.Popen:
    env, _ = image_settings()
    python, site = python_for_nobody(root)
    mapped = {
        name: str(root / value.lstrip("/")) if value.startswith("/") else value
        for name, value in env.items()
    }
    app = root / "srv" / "app"
    command = [python, "-m", "uvicorn", "apps.api:app", "--host", "127.0.0.1", "--port"]
    return subprocess.Popen(
        as_nobody([*command, str(port), "--workers", "1"]),
        cwd=app,
        env={
            **mapped,
            "PATH": "/usr/bin:/bin",
            "HOME": "/nonexistent",
            "PYTHONPATH": f"{app}:{site}",
            "ADMIN_TOKEN": "image-token",
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_the_image_starts_as_its_user_and_serves_a_prediction(image_root):
    port = free_port()
    service = start(image_root, port)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and service.poll() is None:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.5)
        assert service.poll() is None, service.communicate()[0][-3000:]
        reply = httpx.post(f"http://127.0.0.1:{port}/predict", json=EXAMPLE_APPLICATION)
        assert reply.status_code == 200, reply.text
        assert reply.json()["model_version"] == "1.0.0"
        assert 0 <= reply.json()["probability"] <= 1
    finally:
        service.terminate()
        output = service.communicate(timeout=30)[0]
    assert service.returncode in (0, -15), output[-3000:]
    written = list(image_root.rglob("*.ed25519"))
    assert written == [], "the service created a private key"


def test_without_the_key_the_image_refuses_to_start_and_says_how(image_root):
    env, _ = image_settings()
    (image_root / env["WORKBOOK_REGISTRY_KEY_FILE"].lstrip("/")).unlink()
    service = start(image_root, free_port())
    output = service.communicate(timeout=90)[0]
    assert service.returncode != 0
    assert "no registry key" in output and "WORKBOOK_REGISTRY_KEY_FILE" in output, output[-3000:]
    assert list(image_root.rglob("*.ed25519")) == []  # no key was made up
