"""Request heads (request line and headers) against the live service, started as documented.

uvicorn's default HTTP parser (httptools) buffers a head of any size and waits for it forever:
a 300 MB header grew the service by 300 MB and was answered 200, and 520 half-sent requests
held every connection slot of ``--limit-concurrency 512`` (503 for everyone). The documented
start-up serves with ``http_limits.HeadLimitedProtocol``: a head over ``MAX_HEAD_BYTES`` is
answered 431 and the connection closed; one not complete within ``HEADER_TIMEOUT_S``, 408.
"""

from __future__ import annotations

import json
import re
import socket
import sys
import threading
import time

import httpx
import psutil
import pytest
from helpers import promoted_registry

from workshop_lib import paths
from workshop_lib.realtime.http_limits import HTTP_OPTION, MAX_HEAD_BYTES
from workshop_lib.schema import EXAMPLE_APPLICATION
from workshop_lib.support.servers import BackgroundServer, start_server, uvicorn_command

pytestmark = pytest.mark.slow
HEADER_TIMEOUT_S = 2.0


def documented_command() -> list[str]:
    """The image's start-up command (apps/Dockerfile's CMD), on a free loopback port."""
    text = (paths.PROJECT_ROOT / "apps" / "Dockerfile").read_text()
    cmd = re.search(r"^CMD (\[.*?\])\s*$", text.replace("\\\n", ""), re.MULTILINE | re.DOTALL)
    assert cmd, "no CMD [...] in apps/Dockerfile"
    argv = json.loads(cmd.group(1))
    assert argv[0] == "uvicorn"
    places = {"--host": "{host}", "--port": "{port}"}
    argv = [places.get(before, part) for before, part in zip(["", *argv], argv, strict=False)]
    return [sys.executable, "-m", *argv]


@pytest.fixture(scope="module")
def image_service(tmp_path_factory, trained, small_frames):
    """The service started with the Dockerfile's command and a short header timeout."""
    root = tmp_path_factory.mktemp("heads")
    registry = promoted_registry(root / "models", trained, small_frames)
    env = {
        "MODEL_REGISTRY": str(registry.root),
        "PREDICTION_LOG": str(root / "log.jsonl"),
        "HEADER_TIMEOUT_S": str(HEADER_TIMEOUT_S),
    }
    with start_server(documented_command(), name="test-heads", env=env) as server:
        yield server


def _peak_growth_mb(server: BackgroundServer, action) -> float:
    """How far the server's resident memory rose above its level before ``action`` (MB)."""
    process = psutil.Process(server.process.pid)
    before = process.memory_info().rss
    peak = before
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, process.memory_info().rss)
            time.sleep(0.005)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        action()
    finally:
        done.set()
        sampler.join()
    return (max(peak, process.memory_info().rss) - before) / 1e6


def _send_huge_header(server: BackgroundServer, size: int, replies: list[bytes]) -> None:
    """A GET whose one header is ``size`` bytes; the reply (b"" if the server closed first)."""
    head = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: "
    with socket.create_connection((server.host, server.port), timeout=30) as connection:
        try:
            connection.sendall(head + b"a" * size + b"\r\n\r\n")
            replies.append(connection.recv(65536))
        except OSError:  # refused mid-send: the server closed the connection
            replies.append(b"")


def test_an_oversized_header_is_refused_with_bounded_memory(image_service):
    replies: list[bytes] = []

    def two_huge_headers() -> None:
        threads = [
            threading.Thread(target=_send_huge_header, args=(image_service, 50_000_000, replies))
            for _ in range(2)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    growth = _peak_growth_mb(image_service, two_huge_headers)
    print(f"2 x 50 MB headers: memory +{growth:.1f} MB, replies {[r[:12] for r in replies]}")
    assert growth < 20, f"the service grew by {growth:.0f} MB"
    assert len(replies) == 2
    assert all(r == b"" or r.startswith(b"HTTP/1.1 431") for r in replies), replies
    assert httpx.get(f"{image_service.url}/health").status_code == 200


def test_a_head_over_the_limit_is_answered_431_naming_the_limit(image_service):
    head = b"GET /health HTTP/1.1\r\nHost: x\r\nCookie: " + b"c" * (MAX_HEAD_BYTES + 8_000)
    with socket.create_connection((image_service.host, image_service.port), timeout=10) as conn:
        conn.sendall(head)  # the head is not even finished: refused on its size alone
        reply = b""
        while chunk := conn.recv(4096):
            reply += chunk
    status, _, body = reply.partition(b"\r\n\r\n")
    assert status.startswith(b"HTTP/1.1 431 Request Header Fields Too Large")
    assert json.loads(body)["detail"] == f"the request head is larger than {MAX_HEAD_BYTES:,} bytes"


def test_a_head_just_under_the_limit_is_served(image_service):
    cookie = "c" * (MAX_HEAD_BYTES - 1_000)
    response = httpx.post(
        f"{image_service.url}/predict", json=EXAMPLE_APPLICATION, headers={"Cookie": cookie}
    )
    assert response.status_code == 200, response.text


def test_half_sent_requests_neither_starve_others_nor_stay_open(image_service):
    count = 520  # more than the 512 connections the image once allowed (--limit-concurrency)
    half_open = []
    for i in range(count):
        connection = socket.create_connection((image_service.host, image_service.port), timeout=10)
        if i % 2:  # half of them send a partial head, the others nothing at all
            connection.sendall(b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: applic")
        half_open.append(connection)
    try:
        started = time.monotonic()
        response = httpx.post(f"{image_service.url}/predict", json=EXAMPLE_APPLICATION, timeout=10)
        answered_s = time.monotonic() - started
        print(f"{count} half-open: /predict {response.status_code} in {answered_s:.2f} s")
        assert response.status_code == 200, response.text
        assert answered_s < 2.0
        deadline = time.monotonic() + HEADER_TIMEOUT_S + 5
        closed, answers = 0, set()
        for connection in half_open:
            connection.settimeout(max(0.1, deadline - time.monotonic()))
            try:
                reply = connection.recv(4096)
                answers.add(reply.split(b"\r\n")[0])
                while reply:
                    reply = connection.recv(4096)  # the server closes after its answer
                closed += 1
            except (TimeoutError, ConnectionResetError):
                pass
        print(f"closed after the {HEADER_TIMEOUT_S:g} s header timeout: {closed}/{count} {answers}")
        assert closed == count
        assert answers <= {b"HTTP/1.1 408 Request Timeout"}
    finally:
        for connection in half_open:
            connection.close()


@pytest.mark.parametrize("place", ["Makefile", "apps/Dockerfile", "README.md"])
def test_the_documented_start_up_limits_request_heads(place):
    text = (paths.PROJECT_ROOT / place).read_text().replace("\\\n", "").replace('", "', " ")
    commands = [line for line in text.splitlines() if "uvicorn apps.api:app" in line]
    assert commands, place
    assert all(HTTP_OPTION in line for line in commands), commands
    assert all("--limit-concurrency" not in line for line in commands), commands


def test_the_notebooks_start_the_service_with_the_head_limits():
    assert HTTP_OPTION in " ".join(uvicorn_command("apps.api:app"))
