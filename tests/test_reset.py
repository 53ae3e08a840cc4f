"""`make reset`: stray servers stopped, generated folders deleted, nothing under git touched."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import httpx
import psutil
import pytest
import redis
from helpers import require_in_ci

from workshop_lib import paths
from workshop_lib.streaming.redis_queue import start_local_redis
from workshop_lib.support import reset, servers

HTTP_SERVER = [sys.executable, "-m", "http.server", "{port}", "--bind", "{host}"]


@pytest.fixture
def pid_dir(tmp_path, monkeypatch):
    folder = tmp_path / "servers"
    monkeypatch.setattr(servers, "PID_DIR", folder)
    return folder


def test_a_running_server_leaves_a_record_that_stop_removes(pid_dir, tmp_path):
    with servers.start_server(HTTP_SERVER, name="http", health_path="/", cwd=tmp_path) as server:
        record = json.loads(server.pid_file.read_text())
        started = psutil.Process(server.process.pid).create_time()
        assert record == {"pid": server.process.pid, "command": server.command, "started": started}
    assert list(pid_dir.iterdir()) == []


def test_reset_stops_a_server_whose_handle_was_lost(pid_dir, tmp_path):
    server = servers.start_server(HTTP_SERVER, name="http", health_path="/", cwd=tmp_path)
    servers._RUNNING.remove(server)  # as if the notebook that started it had crashed
    stopped = reset.stop_stray_servers(pid_dir)
    assert stopped == [f"http-{server.port} (pid {server.process.pid})"]
    server.process.wait(5)
    with pytest.raises(httpx.ConnectError):
        httpx.get(server.url, timeout=1)
    assert list(pid_dir.iterdir()) == []


def test_reset_stops_a_stray_redis_server(pid_dir, tmp_path):
    require_in_ci("redis-server")
    local = start_local_redis(tmp_path / "redis")
    assert redis.Redis.from_url(local.url).ping()
    assert list((tmp_path / "redis").glob("redis-*.log"))  # its files stay in its folder
    servers._RUNNING.remove(local.server)  # as if the notebook that started it had crashed
    stopped = reset.stop_stray_servers(pid_dir)
    assert stopped == [f"redis-{local.server.port} (pid {local.server.process.pid})"]
    local.server.process.wait(5)
    with pytest.raises(redis.ConnectionError):
        redis.Redis.from_url(local.url, socket_connect_timeout=1).ping()
    assert list(pid_dir.iterdir()) == []
    assert list((tmp_path / "redis").glob("*.rdb")) == []  # it kept nothing on disk


def test_a_stale_record_never_kills_an_unrelated_process(pid_dir):
    pid_dir.mkdir()
    stale = pid_dir / "api-1234.json"
    record = {"pid": os.getpid(), "command": ["uvicorn", "apps.api:app"], "started": 1.0}
    stale.write_text(json.dumps(record))  # our pid, reused: the start time differs
    assert reset.stop_stray_servers(pid_dir) == []
    assert not stale.exists()  # this test process is still alive to see it


def test_reset_deletes_only_the_folders_it_is_given(tmp_path, pid_dir, monkeypatch):
    monkeypatch.setattr(paths, "HOME", tmp_path)  # reset() names folders relative to it
    generated, kept = tmp_path / "runtime", tmp_path / "notebooks"
    for folder in (generated, kept):
        (folder / "sub").mkdir(parents=True)
        (folder / "sub" / "file.txt").write_text("x")
    assert reset.reset(folders=(generated,)) == ["deleted runtime/"]
    assert not generated.exists() and (kept / "sub" / "file.txt").exists()
    assert reset.reset(folders=(generated,)) == []


def test_generated_folders_are_ignored_by_git():
    """So deleting them (and creating them) never changes `git status`."""
    if not (paths.PROJECT_ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    for folder in reset.GENERATED:
        relative = folder.relative_to(paths.PROJECT_ROOT)
        ignored = subprocess.run(
            ["git", "check-ignore", "-q", f"{relative}/x"], cwd=paths.PROJECT_ROOT
        )
        assert ignored.returncode == 0, f"{relative}/ is not git-ignored"
