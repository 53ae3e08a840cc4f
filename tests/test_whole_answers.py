"""A replica's answer leaves in one write: killed between head and body, it has sent nothing.

The app below pauses between its answer's head and its body, as a replica the scheduler paused
there does on a busy machine; the server is killed with SIGKILL during the pause. uvicorn's
own protocol has sent the head by then (nginx would pass it on and could not retry the request);
``WholeAnswerProtocol`` has sent nothing, so nginx retries on another replica.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys

import pytest

from workshop_lib.paths import PROJECT_ROOT
from workshop_lib.scaling.whole_answers import HTTP_PROTOCOL
from workshop_lib.support.servers import HEAD_LIMITED_PROTOCOL, start_server

pytestmark = pytest.mark.slow  # three servers, each pausing 1 s
PAUSE_S = 1.0
REQUEST = b"GET / HTTP/1.1\r\nHost: replica\r\n\r\n"


async def head_then_pause(scope, receive, send) -> None:
    """An ASGI app whose answer's head is ready 1 s before its body (a lifespan-less app)."""
    if scope["type"] != "http":
        return
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]}
    )
    await asyncio.sleep(PAUSE_S)
    await send({"type": "http.response.body", "body": b"ok"})


def serve(protocol: str):
    command = [sys.executable, "-m", "uvicorn", "test_whole_answers:head_then_pause",
               "--app-dir", str(PROJECT_ROOT / "tests"), "--lifespan", "off",
               "--host", "{host}", "--port", "{port}", "--http", protocol]  # fmt: skip
    return start_server(command, name="test-whole-answers", health_path=None)


def received_before_kill(protocol: str) -> tuple[bytes, bytes]:
    """What a client got during the pause, and what it got after the server was killed."""
    with serve(protocol) as server, socket.create_connection((server.host, server.port)) as client:
        client.sendall(REQUEST)
        client.settimeout(PAUSE_S / 2)
        try:
            during = client.recv(4096)
        except TimeoutError:
            during = b""
        os.kill(server.process.pid, signal.SIGKILL)
        client.settimeout(5)
        rest = b""
        while chunk := client.recv(4096):
            rest += chunk
    return during, rest


def test_a_replica_killed_between_head_and_body_has_sent_nothing():
    during, after = received_before_kill(HTTP_PROTOCOL)
    assert during == b"" and after == b"", (during, after)


def test_a_whole_answer_still_arrives_whole():
    with (
        serve(HTTP_PROTOCOL) as server,
        socket.create_connection((server.host, server.port)) as client,
    ):
        client.sendall(REQUEST)
        client.settimeout(5)
        reply = b""
        while not reply.endswith(b"ok"):
            chunk = client.recv(4096)
            assert chunk, reply
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 200 OK\r\n") and b"content-length: 2\r\n" in reply


def test_without_it_the_head_leaves_alone():  # why the replicas use WholeAnswerProtocol
    during, after = received_before_kill(HEAD_LIMITED_PROTOCOL)
    assert during.startswith(b"HTTP/1.1 200 OK") and after == b""
