"""`make replicas` (apps/replicas.py): nginx and its replicas until Ctrl-C, then none left."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys

import httpx
import psutil
import pytest
from helpers import require_in_ci

pytestmark = pytest.mark.slow


def test_the_app_balances_over_its_replicas_and_ctrl_c_stops_them_all(tmp_path, registry):
    require_in_ci("nginx")
    assert registry.root == tmp_path / "models"  # the app's registry under WORKBOOK_HOME
    env = os.environ | {"WORKBOOK_HOME": str(tmp_path), "PYTHONUNBUFFERED": "1"}
    app = subprocess.Popen(
        [sys.executable, "-m", "apps.replicas", "--replicas", "2"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    lines: list[str] = []
    try:
        assert app.stdout is not None
        for line in app.stdout:
            lines.append(line)
            if line.startswith("Ctrl-C"):
                break
        pids = [int(pid) for pid in re.findall(r"\(pid (\d+)\)", "".join(lines))]
        (url,) = re.findall(r"nginx on (http://\S+)", "".join(lines))
        answers = [httpx.get(f"{url}/model", timeout=10) for _ in range(4)]
        app.send_signal(signal.SIGINT)
        app.wait(timeout=30)
    finally:
        if app.poll() is None:
            app.kill()
    assert len(pids) == 2, "".join(lines)
    assert {a.status_code for a in answers} == {200}
    assert {a.json()["version"] for a in answers} == {"1.0.0"}
    assert len({a.headers["X-Upstream"] for a in answers}) == 2  # both replicas answered
    assert not any(psutil.pid_exists(pid) for pid in pids)
    assert not (tmp_path / "runtime" / "replicas" / "nginx" / "nginx.pid").exists()
