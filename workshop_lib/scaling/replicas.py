"""Replicas of the model service, each its own process on its own port, and how they change.

A replica writes each answer whole (``whole_answers``), so nginx can retry a request on another
replica when one is killed mid-answer. ``rolling_update`` replaces them one at a time: out of the
balancer, drained, stopped (uvicorn finishes what it holds on SIGTERM), started again on the
same port, which loads the version the registry now names, and back in. At every moment the
others serve, so no request fails.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from workshop_lib.scaling.balancer import Balancer, Upstream
from workshop_lib.scaling.whole_answers import HTTP_PROTOCOL
from workshop_lib.support.servers import BackgroundServer, start_uvicorn, wait_all_healthy


def start_replica(
    env: Mapping[str, str], port: int | None = None, wait: bool = True
) -> BackgroundServer:
    """One replica of the service (one worker), on ``port`` or a free one.

    ``wait=False`` returns before it answers: start several, then ``wait_all_healthy``.
    """
    return start_uvicorn(env=dict(env), port=port, name="replica", http=HTTP_PROTOCOL, wait=wait)


def start_replicas(count: int, env: Mapping[str, str]) -> list[BackgroundServer]:
    """``count`` replicas, started side by side (each loads the model itself)."""
    if count < 1:
        raise ValueError(f"need at least one replica, got {count}")
    return wait_all_healthy([start_replica(env, wait=False) for _ in range(count)])


def upstreams_of(replicas: list[BackgroundServer]) -> tuple[Upstream, ...]:
    return tuple(Upstream(replica.port) for replica in replicas)


@dataclass(frozen=True)
class ReplacedReplica:
    """One step of a rolling update: which port, and how long each part took (s)."""

    port: int
    drain_s: float
    restart_s: float


def rolling_update(
    balancer: Balancer,
    replicas: list[BackgroundServer],
    env: Mapping[str, str],
    on_replaced: Callable[[ReplacedReplica], None] | None = None,
) -> list[BackgroundServer]:
    """Replace every replica, one at a time, with a new process started with ``env``."""
    fresh: list[BackgroundServer] = []
    for replica in replicas:
        balancer.set_down(replica.port, True)
        drain_s = balancer.wait_drained()
        started = time.monotonic()
        replica.stop()
        new = start_replica(env, port=replica.port)
        restart_s = time.monotonic() - started
        balancer.set_down(replica.port, False)
        fresh.append(new)
        if on_replaced is not None:
            on_replaced(ReplacedReplica(replica.port, drain_s, restart_s))
    return fresh
