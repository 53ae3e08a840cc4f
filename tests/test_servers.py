"""The background-server helper with real processes: health wait, failure log, clean stop."""

from __future__ import annotations

import socket
import sys

import httpx
import pytest

from workshop_lib.support import servers

HTTP_SERVER = [sys.executable, "-m", "http.server", "{port}", "--bind", "{host}"]


def test_free_port_is_bindable():
    port = servers.free_port()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))


def test_start_waits_until_healthy_and_stop_frees_the_port(tmp_path):
    with servers.start_server(HTTP_SERVER, name="http", health_path="/", cwd=tmp_path) as server:
        assert server.is_running()
        assert httpx.get(server.url + "/").status_code == 200
        assert server in servers.running_servers()
    assert not server.is_running()
    assert server not in servers.running_servers()
    with pytest.raises(httpx.ConnectError):
        httpx.get(server.url + "/", timeout=1)


def test_a_crashing_server_reports_its_log():
    command = [sys.executable, "-c", "import sys; print('boom: no model'); sys.exit(3)"]
    with pytest.raises(servers.ServerStartError, match="exited with code 3") as caught:
        servers.start_server(command, name="crashy", timeout=10)
    assert "boom: no model" in str(caught.value)


def test_a_server_that_never_gets_healthy_times_out_and_is_stopped(tmp_path):
    before = set(servers.running_servers())
    with pytest.raises(servers.ServerStartError, match="not healthy") as caught:
        servers.start_server(
            HTTP_SERVER, name="http", health_path="/missing", cwd=tmp_path, timeout=2
        )
    assert "404" in str(caught.value)
    assert set(servers.running_servers()) == before


def test_stop_all_stops_everything(tmp_path):
    started = [
        servers.start_server(HTTP_SERVER, name=f"http{i}", health_path="/", cwd=tmp_path)
        for i in range(2)
    ]
    servers.stop_all()
    assert not any(s.is_running() for s in started)


def test_browser_url_goes_through_the_jupyter_proxy_on_binder(tmp_path, monkeypatch):
    with servers.start_server(HTTP_SERVER, name="http", health_path="/", cwd=tmp_path) as server:
        assert server.browser_url("/docs") == f"{server.url}/docs"
        monkeypatch.setenv("JUPYTERHUB_SERVICE_PREFIX", "/user/ada/")
        assert server.browser_url("/docs") == f"/user/ada/proxy/{server.port}/docs"
