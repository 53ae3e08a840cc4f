"""`make lab` opens the whole workbook (apps/, the labs) at notebook 00, with no news pop-up.

The settings come from binder/jupyterlab/overrides.json, the file Binder's image uses too.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import time

import httpx
import pytest

from workshop_lib import paths
from workshop_lib.support.servers import free_port

pytestmark = pytest.mark.slow


def lab_command() -> list[str]:
    """The jupyter command `make lab` runs (read from the Makefile, not copied here)."""
    printed = subprocess.run(
        ["make", "-s", "-n", "-W", "requirements.lock", "lab"],
        cwd=paths.PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    joined = printed.replace("\\\n", " ")
    line = next(line for line in joined.splitlines() if "jupyter lab" in line)
    return shlex.split(line)


def test_lab_roots_at_the_repository_opens_notebook_00_and_fetches_no_news(tmp_path):
    command = lab_command()
    assert "--LabApp.news_url=None" in command
    port, token = free_port(), "test-token"
    argv = [
        *[part for part in command if part != "--allow-root"],
        "--no-browser",
        "--allow-root",
        f"--ServerApp.port={port}",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.runtime_dir={tmp_path}",
        f"--LabApp.user_settings_dir={tmp_path / 'user-settings'}",  # no settings of this machine
    ]
    process = subprocess.Popen(
        argv, cwd=paths.PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base, headers = f"http://127.0.0.1:{port}", {"Authorization": f"token {token}"}
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                root = httpx.get(f"{base}/api/contents", headers=headers, timeout=5)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.5)
        names = {item["name"] for item in root.json()["content"]}
        assert {"apps", "notebooks", "workshop_lib"} <= names  # the whole workbook is visible
        landing = httpx.get(base + "/", headers=headers, follow_redirects=False, timeout=10)
        assert (
            landing.headers["location"]
            .rstrip("?")
            .endswith("/lab/tree/notebooks/00_start_here.ipynb")
        )
        page = httpx.get(f"{base}/lab", headers=headers, timeout=10).text
        assert re.search(r'"news":\s*\{\s*"disabled":\s*true', page)
        # the setting behind the "official Jupyter news" question: Never, so it is not asked
        notification = httpx.get(
            f"{base}/lab/api/settings/@jupyterlab/apputils-extension:notification",
            headers=headers,
            timeout=10,
        ).json()
        defaults = notification["schema"]["properties"]  # what an override changes
        assert defaults["fetchNews"]["default"] == "false"
        assert defaults["checkForUpdates"]["default"] is False
        assert not {"fetchNews", "checkForUpdates"} & set(notification["settings"])
    finally:
        process.terminate()
        process.wait(20)
