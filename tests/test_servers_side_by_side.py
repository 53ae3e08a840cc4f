"""Servers started side by side (``wait=False``), then waited for: real processes."""

from __future__ import annotations

import sys

import httpx
import pytest

from workshop_lib.support import servers, startup

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


BUSY_THEN_SERVE = [
    sys.executable, "-c",
    "import time, runpy, sys\n"
    "end = time.monotonic() + 3\n"
    "while time.monotonic() < end: pass  # a slow start: importing, loading a model\n"
    "sys.argv = ['http.server', sys.argv[1], '--bind', sys.argv[2]]\n"
    "runpy.run_module('http.server', run_name='__main__')",
    "{port}", "{host}",
]  # fmt: skip


def test_a_server_still_busy_starting_is_waited_for_past_its_timeout(tmp_path):
    server = servers.start_server(
        BUSY_THEN_SERVE, name="slow-start", health_path="/", cwd=tmp_path, timeout=1.5, wait=False
    )
    try:
        server.wait_until_healthy(timeout=1.5)
        assert httpx.get(f"{server.url}/").status_code == 200
    finally:
        server.stop()


def test_an_idle_server_is_given_up_after_its_timeout():
    command = [sys.executable, "-c", "import time; time.sleep(120)"]
    server = servers.start_server(command, name="idle", wait=False)
    with pytest.raises(servers.ServerStartError, match="no CPU to speak of") as caught:
        server.wait_until_healthy(timeout=1.5)
    assert "not healthy" in str(caught.value) and not server.is_running()


def test_a_server_busy_for_ever_is_given_up_at_the_longest_wait():
    command = [sys.executable, "-c", "while True: pass"]
    server = servers.start_server(command, name="spinning", wait=False)
    with pytest.raises(servers.ServerStartError, match="still busy") as caught:
        server.wait_until_healthy(timeout=1)
    assert f"{startup.LONGEST_WAIT} x its timeout of 1 s" in str(caught.value)
    assert not server.is_running()


def test_waiting_for_several_stops_them_all_when_one_fails(tmp_path):
    crashing = [sys.executable, "-c", "import sys; sys.exit(4)"]
    starting = [
        servers.start_server(HTTP_SERVER, name="http", health_path="/", cwd=tmp_path, wait=False),
        servers.start_server(crashing, name="crashy", wait=False),
        servers.start_server(HTTP_SERVER, name="http", health_path="/", cwd=tmp_path, wait=False),
    ]
    with pytest.raises(servers.ServerStartError, match="exited with code 4"):
        servers.wait_all_healthy(starting, timeout=30)
    assert not any(server.is_running() for server in starting)
    assert not [server for server in starting if server in servers.running_servers()]
