"""A slow-client attack: connections that send half a request head and then wait.

A service started by hand (``uvicorn apps.api:app``) has no time limit on a request head, so
each half-sent head holds a connection for as long as the client likes. The usual guard,
``--limit-concurrency N``, counts open connections: N half-sent heads and uvicorn answers 503
to everyone. nginx holds such clients itself and drops them after ``client_header_timeout``
(the balancer's configuration), while the replicas behind it serve everyone else.
"""

from __future__ import annotations

import socket
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from workshop_lib.support.servers import BackgroundServer, start_server

HALF_A_HEAD = b"POST /predict HTTP/1.1\r\nHost: service\r\nContent-Type: applic"


def bare_uvicorn_command(limit_concurrency: int | None = None) -> list[str]:
    """The service as a learner starts it by hand: no head limits, ``{host}``/``{port}``."""
    command = [sys.executable, "-m", "uvicorn", "apps.api:app", "--host", "{host}",
               "--port", "{port}"]  # fmt: skip
    if limit_concurrency is not None:
        command += ["--limit-concurrency", str(limit_concurrency)]
    return command


def start_bare_service(
    env: Mapping[str, str], limit_concurrency: int | None = None, wait: bool = True
) -> BackgroundServer:
    """One bare uvicorn of the service (``wait`` as in ``support.servers.start_server``)."""
    return start_server(
        bare_uvicorn_command(limit_concurrency), name="bare-uvicorn", env=dict(env), wait=wait
    )


def half_sent_request(host: str, port: int) -> socket.socket:
    """A connection that has sent part of a request head and will never send the rest."""
    connection = socket.create_connection((host, port), timeout=10)
    connection.sendall(HALF_A_HEAD)
    return connection


@contextmanager
def half_sent_requests(server: BackgroundServer, count: int) -> Iterator[list[socket.socket]]:
    """``count`` half-sent requests held open against ``server`` until the block ends."""
    connections: list[socket.socket] = []
    try:
        for _ in range(count):
            connections.append(half_sent_request(server.host, server.port))
        yield connections
    finally:
        for connection in connections:
            connection.close()


@dataclass(frozen=True)
class Probe:
    """What one ordinary request got: its status (None for no answer) and how long it took."""

    status: int | None
    seconds: float
    outcome: str  # "200", "503", or why there was no answer


def probe(url: str, body: Any, timeout: float = 3.0) -> Probe:
    """Send one ordinary ``POST`` to ``url`` and report what came back, and when."""
    started = time.perf_counter()
    try:
        response = httpx.post(url, json=body, timeout=timeout)
    except httpx.TimeoutException:
        return Probe(None, time.perf_counter() - started, f"no answer in {timeout:g} s")
    except httpx.TransportError as error:
        return Probe(None, time.perf_counter() - started, type(error).__name__)
    return Probe(response.status_code, time.perf_counter() - started, str(response.status_code))
