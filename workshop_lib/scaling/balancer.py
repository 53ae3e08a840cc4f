"""nginx in front of the service's replicas: its configuration, start-up and live changes.

The balancer retries a request that failed to reach a replica (connection refused or reset, a
502 or 503) on the next one, ``/predict`` included (``non_idempotent``): scoring is a pure
function of the application, so a retried prediction is the same prediction. It also takes the
exposure a bare server should not carry: header size, slow clients and body size are nginx's.
A change of replicas is a new configuration and a graceful reload (``SIGHUP``): new worker
processes take new connections, the old ones finish what they hold and exit.
"""

from __future__ import annotations

import signal
import subprocess
import time
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import psutil

from workshop_lib.support import tools
from workshop_lib.support.servers import BackgroundServer, free_port, start_server

GENERATION_PATH = "/__balancer/generation"  # answered by nginx itself: which config is live
UPSTREAM_HEADER = "X-Upstream"  # which replica answered


@dataclass(frozen=True)
class Upstream:
    """One replica as the balancer sees it: where, how much traffic, taken out or not."""

    port: int
    weight: int = 1
    down: bool = False
    host: str = "127.0.0.1"

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


def render_config(
    listen_port: int, upstreams: tuple[Upstream, ...], workdir: Path, generation: int
) -> str:
    """The whole nginx.conf for one set of replicas (``down`` ones get no new requests)."""
    if not any(not upstream.down for upstream in upstreams):
        raise ValueError("at least one replica must stay in the balancer")
    servers = "\n".join(
        f"        server {u.address} weight={u.weight} max_fails=1 fail_timeout=2s"
        f"{' down' if u.down else ''};"
        for u in upstreams
    )
    return f"""\
worker_processes 1;
pid {workdir}/nginx.pid;
events {{ worker_connections 1024; }}
http {{
    log_format upstreams '$msec $status $upstream_addr $upstream_status $request_time';
    access_log {workdir}/access.log upstreams;
    client_body_temp_path {workdir}/body;
    proxy_temp_path {workdir}/proxy;
    fastcgi_temp_path {workdir}/fastcgi;
    uwsgi_temp_path {workdir}/uwsgi;
    scgi_temp_path {workdir}/scgi;
    # what a bare uvicorn does not limit: headers, slow clients, bodies
    client_header_buffer_size 1k;
    large_client_header_buffers 4 16k;
    client_header_timeout 5s;
    client_body_timeout 10s;
    client_max_body_size 1m;
    client_body_buffer_size 1m;
    proxy_max_temp_file_size 0;
    keepalive_timeout 75s;
    upstream model_service {{
{servers}
        keepalive 64;
    }}
    server {{
        listen 127.0.0.1:{listen_port};
        location = {GENERATION_PATH} {{ return 200 "{generation}"; }}
        location / {{
            proxy_pass http://model_service;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_connect_timeout 1s;
            proxy_read_timeout 30s;
            proxy_next_upstream error timeout http_502 http_503 non_idempotent;
            proxy_next_upstream_tries 3;
            add_header {UPSTREAM_HEADER} $upstream_addr always;
        }}
    }}
}}
"""


def nginx_binary() -> str:
    """The nginx program, or an error that says how to install it."""
    found = tools.locate("nginx")
    if found is None:
        raise FileNotFoundError(tools.missing(["nginx"])["nginx"])
    return str(found)


class Balancer:
    """A running nginx: its address, its replicas, and live reconfiguration."""

    def __init__(self, server: BackgroundServer, workdir: Path, upstreams: tuple[Upstream, ...]):
        self.server = server
        self.workdir = workdir
        self.upstreams = upstreams
        self.generation = 0

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def config_path(self) -> Path:
        return self.workdir / "nginx.conf"

    def _write(self, upstreams: tuple[Upstream, ...], generation: int) -> None:
        text = render_config(self.server.port, upstreams, self.workdir, generation)
        candidate = self.workdir / "candidate.conf"
        candidate.write_text(text)
        test = subprocess.run(
            [nginx_binary(), "-t", "-q", "-p", str(self.workdir), "-e", "stderr", "-c",
             str(candidate)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if test.returncode != 0:
            raise ValueError(f"nginx refused the new configuration: {test.stderr.strip()}")
        candidate.replace(self.config_path)

    def configure(self, upstreams: tuple[Upstream, ...], timeout: float = 10.0) -> None:
        """Apply a new set of replicas with a graceful reload; return once it answers."""
        self._write(upstreams, self.generation + 1)
        self.server.process.send_signal(signal.SIGHUP)
        self.generation += 1
        self.upstreams = upstreams
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                live = httpx.get(f"{self.url}{GENERATION_PATH}", timeout=1.0).text
            except httpx.TransportError:
                live = ""
            if live == str(self.generation):
                return
            time.sleep(0.02)
        raise TimeoutError(f"nginx did not load configuration {self.generation} in {timeout} s")

    def set_down(self, port: int, down: bool) -> None:
        """Take one replica out of the balancer (no new requests) or put it back."""
        self.configure(
            tuple(replace(u, down=down) if u.port == port else u for u in self.upstreams)
        )

    def wait_drained(self, timeout: float = 30.0) -> float:
        """Wait until the old worker processes, which may hold requests, have exited."""
        started = time.monotonic()
        master = psutil.Process(self.server.process.pid)
        while len(master.children()) > 1:
            if time.monotonic() - started > timeout:
                raise TimeoutError(f"nginx's old workers still run after {timeout} s")
            time.sleep(0.02)
        return time.monotonic() - started

    def stop(self) -> None:
        self.server.stop()


def start_balancer(upstreams: tuple[Upstream, ...], workdir: Path) -> Balancer:
    """Start nginx on a free port in front of ``upstreams``; its files live in ``workdir``."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    (workdir / "nginx.conf").write_text(render_config(port, upstreams, workdir, 0))
    command = [nginx_binary(), "-p", str(workdir), "-e", str(workdir / "error.log"),
               "-c", str(workdir / "nginx.conf"), "-g", "daemon off;"]  # fmt: skip
    server = start_server(command, name="nginx", health_path=GENERATION_PATH, port=port,
                          log_dir=workdir)  # fmt: skip
    return Balancer(server, workdir, upstreams)
