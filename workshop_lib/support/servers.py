"""Start a server in the background, wait until it is healthy, and always stop it.

``uvicorn.run`` cannot run inside a notebook (the kernel's event loop is already running), so
every server the workbook needs is a subprocess on a free port. A server started here is
stopped by ``stop()``, by a ``with`` block, at interpreter exit, and (on Linux) by the kernel
itself when the kernel process dies, so no class leaves stray servers behind.
"""

from __future__ import annotations

import atexit
import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil

from workshop_lib import paths
from workshop_lib.support.startup import StartupDeadline

LOG_DIR = paths.RUNTIME_DIR / "logs"
# One small JSON file per running server, so that `make reset` can stop strays from any process.
PID_DIR = paths.RUNTIME_DIR / "servers"
METRICS_DIR = paths.RUNTIME_DIR / "metrics"  # several workers' shared Prometheus counts
MULTIPROC_ENV_VAR = "PROMETHEUS_MULTIPROC_DIR"  # read by prometheus-client in each worker
# uvicorn's parser with limits on request heads (workshop_lib/realtime/http_limits.py)
HEAD_LIMITED_PROTOCOL = "workshop_lib.realtime.http_limits:HeadLimitedProtocol"
_RUNNING: list[BackgroundServer] = []


class ServerStartError(RuntimeError):
    """A server exited or did not become healthy in time; the message ends with its log."""


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that nothing listens on right now, chosen by the operating system."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def _die_with_parent() -> None:
    """In the child: ask Linux to send SIGTERM when the process that started us dies."""
    if sys.platform.startswith("linux"):
        pr_set_pdeathsig = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def proxy_prefix() -> str | None:
    """The Jupyter server-proxy prefix on Binder/JupyterHub, or None when running locally."""
    prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX")
    return f"{prefix.rstrip('/')}/proxy" if prefix else None


@dataclass
class BackgroundServer:
    """A running server process: its URL, its log, and how to stop it."""

    name: str
    command: list[str]
    host: str
    port: int
    log_path: Path
    process: subprocess.Popen = field(repr=False)
    health_path: str | None = field(default="/health", repr=False)

    @property
    def pid_file(self) -> Path:
        return PID_DIR / f"{self.name}-{self.port}.json"

    @property
    def url(self) -> str:
        """The address to call from Python on this machine."""
        return f"http://{self.host}:{self.port}"

    def browser_url(self, path: str = "/") -> str:
        """The address to open in a browser: through the Jupyter proxy on Binder."""
        prefix = proxy_prefix()
        return f"{prefix}/{self.port}{path}" if prefix else f"{self.url}{path}"

    def is_running(self) -> bool:
        return self.process.poll() is None

    def wait_until_healthy(self, timeout: float = 60.0) -> BackgroundServer:
        """Return once the server answers (for one started with ``wait=False``); a server that
        fails to is stopped and ``ServerStartError`` shows the end of its log.

        ``timeout`` (s) is how long it may stay idle without answering: one still busy starting
        on a crowded CPU gets longer (``support/startup.py``).
        """
        try:
            _wait_until_healthy(self, self.health_path, timeout)
        except ServerStartError:
            self.stop()
            raise
        return self

    def log_tail(self, lines: int = 30) -> str:
        """The last lines the server wrote to its log."""
        if not self.log_path.exists():
            return "(no log written)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self, timeout: float = 10.0) -> int | None:
        """Stop the server and everything it started; return its exit code.

        SIGTERM first (uvicorn shuts down cleanly and exits with -15), SIGKILL if it lingers.
        """
        if self in _RUNNING:
            _RUNNING.remove(self)
        self.pid_file.unlink(missing_ok=True)
        if self.process.poll() is None:
            _signal_group(self.process, signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                _signal_group(self.process, signal.SIGKILL)
                self.process.wait(timeout)
        return self.process.returncode

    def __enter__(self) -> BackgroundServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __str__(self) -> str:
        state = "running" if self.is_running() else f"stopped ({self.process.returncode})"
        return f"{self.name} at {self.url} [pid {self.process.pid}, {state}]"


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    try:
        os.killpg(process.pid, signum)
    except ProcessLookupError:
        return


def start_server(
    command: list[str],
    *,
    name: str,
    health_path: str | None = "/health",
    host: str = "127.0.0.1",
    port: int | None = None,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    log_dir: Path | None = None,
    timeout: float = 60.0,
    wait: bool = True,
) -> BackgroundServer:
    """Run ``command`` in the background and return once ``health_path`` answers 200.

    With ``health_path=None`` (a server that speaks no HTTP, such as an MQTT broker) it returns
    once the port accepts TCP connections. With ``wait=False`` it returns at once: start several
    servers, then call each one's ``wait_until_healthy`` (they start side by side).

    ``{host}`` and ``{port}`` in the command are filled in (a free port unless one is given).
    Its output goes to ``<log_dir>/<name>-<port>.log`` (``log_dir`` is ``LOG_DIR`` unless given).
    On failure the process is stopped and ``ServerStartError`` shows the end of its log.
    """
    port = port or free_port(host)
    argv = [part.format(host=host, port=port) for part in command]
    log_dir = log_dir or LOG_DIR
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            argv,
            cwd=cwd or paths.PROJECT_ROOT,
            env={**os.environ, **(env or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
    server = BackgroundServer(name, argv, host, port, log_path, process, health_path)
    _RUNNING.append(server)
    PID_DIR.mkdir(parents=True, exist_ok=True)
    # The start time tells this process from a later one given the same pid (the command
    # does not: some servers, redis-server among them, rewrite their command line).
    started = psutil.Process(process.pid).create_time()
    record = {"pid": process.pid, "command": argv, "started": started}
    server.pid_file.write_text(json.dumps(record))
    return server.wait_until_healthy(timeout) if wait else server


def wait_all_healthy(
    starting: list[BackgroundServer], timeout: float = 60.0
) -> list[BackgroundServer]:
    """Wait for servers started side by side (``wait=False``); if one fails, stop them all."""
    try:
        return [server.wait_until_healthy(timeout) for server in starting]
    except BaseException:
        for server in starting:
            server.stop()
        raise


def _accepts_connections(server: BackgroundServer) -> bool:
    try:
        socket.create_connection((server.host, server.port), timeout=1.0).close()
    except OSError:
        return False
    return True


def _wait_until_healthy(server: BackgroundServer, health_path: str | None, timeout: float) -> None:
    """Wait until it answers; ``timeout`` is how long it may go without answering while idle."""
    deadline = StartupDeadline(lambda: [server.process.pid], timeout)
    last_error = "no answer yet"
    with httpx.Client(timeout=2.0) as client:
        while not deadline.expired():
            if not server.is_running():
                raise ServerStartError(
                    f"{server.name} exited with code {server.process.returncode} before it was "
                    f"healthy. Command: {' '.join(server.command)}\n--- log ---\n"
                    f"{server.log_tail()}"
                )
            if health_path is None:
                if _accepts_connections(server):
                    return
                last_error = "port closed"
                time.sleep(0.1)
                continue
            try:
                response = client.get(f"{server.url}{health_path}")
                if response.status_code == 200:
                    return
                last_error = f"HTTP {response.status_code}"
            except httpx.TransportError as error:
                last_error = type(error).__name__
            time.sleep(0.1)
    raise ServerStartError(
        f"{server.name} was not healthy at {server.url}{health_path or ''} "
        f"{deadline.explain()}; last: {last_error}.\n--- log ---\n{server.log_tail()}"
    )


def start_uvicorn(
    app: str = "apps.api:app",
    *,
    workers: int = 1,
    env: dict[str, str] | None = None,
    timeout: float = 60.0,
    name: str = "api",
    port: int | None = None,
    http: str = HEAD_LIMITED_PROTOCOL,
    wait: bool = True,
) -> BackgroundServer:
    """Serve an ASGI app (``module:attribute``) with uvicorn on ``port`` or a free one.

    Several workers get a fresh, empty folder for their shared metrics (under ``runtime/``)
    unless ``env`` names one: each worker's ``/metrics`` then sums them all. ``http`` is the
    protocol class uvicorn parses requests with; ``wait`` as in ``start_server``.
    """
    env = dict(env or {})
    if workers > 1 and MULTIPROC_ENV_VAR not in env:
        METRICS_DIR.mkdir(parents=True, exist_ok=True)
        env[MULTIPROC_ENV_VAR] = tempfile.mkdtemp(prefix=f"{name}-", dir=METRICS_DIR)
    command = uvicorn_command(app, workers, http)
    return start_server(command, name=name, env=env, timeout=timeout, port=port, wait=wait)


def uvicorn_command(app: str, workers: int = 1, http: str = HEAD_LIMITED_PROTOCOL) -> list[str]:
    """The documented uvicorn start-up (see apps/api.py), ``{host}`` and ``{port}`` to fill."""
    return [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--host",
        "{host}",
        "--port",
        "{port}",
        "--workers",
        str(workers),
        "--no-access-log",
        "--timeout-keep-alive",
        "75",  # longer than clients keep idle connections (see apps/api.py)
        "--http",  # 431 for an oversized request head, 408 for a slow one
        http,
    ]


def start_streamlit(
    script: str = "apps/frontend.py",
    *,
    env: dict[str, str] | None = None,
    timeout: float = 60.0,
    name: str = "streamlit",
) -> BackgroundServer:
    """Run a Streamlit app headless on a free port."""
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        script,
        "--server.headless",
        "true",
        "--server.address",
        "{host}",
        "--server.port",
        "{port}",
        "--browser.gatherUsageStats",
        "false",
    ]
    return start_server(command, name=name, health_path="/_stcore/health", env=env, timeout=timeout)


def running_servers() -> list[BackgroundServer]:
    """Servers started by this process that have not been stopped."""
    return list(_RUNNING)


def stop_all() -> None:
    """Stop every server this process started (also runs at interpreter exit)."""
    for server in list(_RUNNING):
        server.stop()


atexit.register(stop_all)
