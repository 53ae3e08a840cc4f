"""Servers started side by side (``wait=False``), then waited for: real processes."""

from __future__ import annotations

import sys

import httpx
import pytest

from workshop_lib.support import servers

HTTP_SERVER = [sys.executable, "-m", "http.server", "{port}", "--bind", "{host}"]


def test_servers_started_without_waiting_answer_once_waited_for(tmp_path):
    starting = [
        servers.start_server(HTTP_SERVER, name=f"http-{n}", health_path="/", cwd=tmp_path,
                             wait=False)
        for n in range(2)
    ]  # fmt: skip
    try:
        ready = [server.wait_until_healthy(timeout=30) for server in starting]
        assert all(httpx.get(f"{server.url}/").status_code == 200 for server in ready)
    finally:
        for server in starting:
            server.stop()
    assert not any(server.is_running() for server in starting)


def test_one_that_crashes_is_reported_when_waited_for_and_stopped():
    command = [sys.executable, "-c", "import sys; print('boom: no model'); sys.exit(3)"]
    server = servers.start_server(command, name="crashy-later", timeout=10, wait=False)
    with pytest.raises(servers.ServerStartError, match="exited with code 3") as caught:
        server.wait_until_healthy(timeout=10)
    assert "boom: no model" in str(caught.value)
    assert server not in servers.running_servers() and not server.is_running()
