"""The streaming pipeline over a real broker: Redis Streams instead of in-process queues.

The same ``StreamProcessor`` runs against ``RedisRequestQueue``, which maps each queue
operation onto Redis:

- ``put``: ``XADD`` (after waiting while ``XLEN`` is at ``capacity``: backpressure); a batch
  bigger than the free room goes in parts, as room opens;
- ``get_batch``: ``XAUTOCLAIM`` (take over events another consumer held for longer than
  ``min_idle_s``: it probably died), else ``XREADGROUP`` in the consumer group;
- ``ack``: ``XACK`` and ``XDEL`` in one transaction, after the predictions are written, so the
  stream's length is exactly the events still waiting;
- ``reject``: the event and the reason go to the hash ``<stream>:dead``, then it is acked.

A broker restart is ridden out: every command is retried with backoff for up to about a minute
(``RECONNECT_RETRIES``), and a consumer group that vanished (a broker without persistence) is
created again. Nothing is lost only if the broker keeps its data: run it with ``appendonly yes``.

Kafka (topics, consumer groups, committed offsets) and Flink (checkpointed operators) are the
same pattern at larger scale: ack after the write, idempotent writes, re-delivery on failure.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis
from redis.backoff import ExponentialWithJitterBackoff
from redis.retry import Retry

from workshop_lib.streaming.events import DeadLetter, Event, MalformedEvent, QueueFull
from workshop_lib.support.servers import BackgroundServer, start_server

DEFAULT_STREAM = "loan-applications"
DEFAULT_GROUP = "scorers"
RECONNECT_RETRIES = 60  # waits of 0.05 s doubling up to 1 s: a broker may be away about a minute


class RedisRequestQueue:
    """A Redis stream read by one consumer (``consumer``) of a consumer group (``group``)."""

    def __init__(
        self,
        url: str,
        *,
        stream: str = DEFAULT_STREAM,
        group: str = DEFAULT_GROUP,
        consumer: str = "worker-1",
        capacity: int = 10_000,
        min_idle_s: float = 5.0,
    ):
        self.client = redis.Redis.from_url(
            url,
            decode_responses=True,
            encoding_errors="replace",  # bytes that are not UTF-8 must not stop the reader
            retry=Retry(ExponentialWithJitterBackoff(base=0.05, cap=1.0), RECONNECT_RETRIES),
            retry_on_error=[redis.ConnectionError, redis.TimeoutError],
        )
        self.stream = stream
        self.group = group
        self._joined = False
        self.consumer = consumer
        self.capacity = capacity
        self.min_idle_s = min_idle_s
        self.dead_key = f"{stream}:dead"
        self.redelivered = 0
        self._create_group()

    def _create_group(self) -> None:
        try:
            self.client.xgroup_create(self.stream, self.group, id="0", mkstream=True)
        except redis.ResponseError as error:
            if not str(error).startswith("BUSYGROUP"):
                raise

    # -- producer side -------------------------------------------------------------------------
    def put(self, event: Event, timeout: float | None = None) -> None:
        """``XADD`` one event, waiting while ``capacity`` events are waiting."""
        self.put_many([event], timeout)

    def put_many(self, events: Sequence[Event], timeout: float | None = None) -> None:
        """``XADD`` events, as many per round trip as there is room for.

        A batch bigger than the free room goes in parts as the consumers make room; waiting
        for room longer than ``timeout`` seconds (with none opening) raises ``QueueFull``.
        """
        remaining = list(events)
        while remaining:
            room = self._wait_for_room(timeout)
            part, remaining = remaining[:room], remaining[room:]
            pipe = self.client.pipeline(transaction=False)
            for event in part:
                fields: dict[Any, Any] = event.to_fields()  # redis' stubs want a wider key type
                pipe.xadd(self.stream, fields)
            pipe.execute()

    def _wait_for_room(self, timeout: float | None) -> int:
        """How many events fit now, waiting while the stream is at ``capacity``."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while (room := self.capacity - self.depth()) <= 0:
            if deadline is not None and time.monotonic() >= deadline:
                raise QueueFull(
                    f"Redis stream {self.stream!r} holds {self.depth()} waiting events "
                    f"(capacity {self.capacity}) and no room opened within {timeout} s"
                )
            time.sleep(0.01)
        return room

    # -- consumer side -------------------------------------------------------------------------
    def depth(self) -> int:
        return int(self.client.xlen(self.stream))

    def unacked(self) -> int:
        return int(self.client.xpending(self.stream, self.group)["pending"])

    def get_batch(
        self, max_items: int, window_s: float, wait_s: float = 0.05
    ) -> list[tuple[str, Event]]:
        """Stale pending events first (``XAUTOCLAIM``), else new ones (``XREADGROUP``)."""
        try:
            if not self._joined:  # listed by XINFO CONSUMERS from now on, even while idle
                self.client.xgroup_createconsumer(self.stream, self.group, self.consumer)
                self._joined = True
            entries = self._reclaim(max_items)
            if not entries:
                entries = self._read(max_items, wait_s)
                if entries:
                    oldest_s = int(entries[0][0].split("-")[0]) / 1_000
                    deadline = oldest_s + window_s
                    while len(entries) < max_items and time.time() < deadline:
                        more = self._read(max_items - len(entries), deadline - time.time())
                        entries += more
        except redis.ResponseError as error:
            if not str(error).startswith("NOGROUP"):
                raise
            self._create_group()  # the broker restarted without its data: start the group again
            self._joined = False
            return []
        return self._decode(entries)

    def _read(self, count: int, wait_s: float) -> list[tuple[str, dict[str, str]]]:
        answer: Any = self.client.xreadgroup(
            self.group,
            self.consumer,
            {self.stream: ">"},
            count=count,
            block=max(1, int(wait_s * 1_000)),
        )
        return answer[0][1] if answer else []

    def _reclaim(self, max_items: int) -> list[tuple[str, dict[str, str]]]:
        _, claimed, deleted = self.client.xautoclaim(
            self.stream,
            self.group,
            self.consumer,
            min_idle_time=int(self.min_idle_s * 1_000),
            start_id="0-0",
            count=max_items,
        )
        if deleted:
            self.client.xack(self.stream, self.group, *deleted)
        self.redelivered += len(claimed)
        return claimed

    def _decode(self, entries: list[tuple[str, dict[str, str]]]) -> list[tuple[str, Event]]:
        events = []
        for entry_id, fields in entries:
            try:
                events.append((entry_id, Event.from_fields(fields)))
            except MalformedEvent as error:
                self.reject(entry_id, str(error), fields)
        return events

    def ack(self, ids: Sequence[str]) -> None:
        if not ids:
            return
        pipe = self.client.pipeline(transaction=True)
        pipe.xack(self.stream, self.group, *ids)
        pipe.xdel(self.stream, *ids)
        pipe.execute()

    def reject(self, entry_id: str, reason: str, payload: Any) -> None:
        event_id = payload.event_id if isinstance(payload, Event) else None
        body = payload.application if isinstance(payload, Event) else payload
        letter = {"event_id": event_id, "reason": reason, "payload": body}
        self.client.hset(self.dead_key, entry_id, json.dumps(letter, default=str))
        self.ack([entry_id])

    def dead_letters(self) -> list[DeadLetter]:
        """Every dead-lettered event with its reason, oldest first."""
        letters: Any = self.client.hgetall(self.dead_key)  # {entry id: JSON}, decoded to str
        return [DeadLetter(**json.loads(letters[key])) for key in sorted(letters, key=_entry_order)]


def _entry_order(entry_id: str) -> tuple[int, int]:
    """A stream entry id ``<milliseconds>-<sequence>`` as numbers, to sort ids by age."""
    milliseconds, sequence = entry_id.split("-")
    return int(milliseconds), int(sequence)


@dataclass
class LocalRedis:
    """A redis-server on a loopback port (a ``BackgroundServer``; see ``start_local_redis``)."""

    server: BackgroundServer

    @property
    def url(self) -> str:
        """The ``redis://`` address to give ``RedisRequestQueue``."""
        return f"redis://{self.server.host}:{self.server.port}/0"

    def stop(self, timeout: float = 10.0) -> int | None:
        return self.server.stop(timeout)

    def __enter__(self) -> LocalRedis:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def start_local_redis(
    folder: Path, timeout: float = 10.0, persistent: bool = False, port: int | None = None
) -> LocalRedis:
    """Start ``redis-server`` on a loopback port with its files (and log) in ``folder``.

    It runs as a background server like the workbook's others, so it stops with the process
    that started it, and ``make reset`` stops it if that process lost track of it. With
    ``persistent``, every write is appended to ``folder/appendonlydir`` and synced before Redis
    answers, so a restarted server (same ``folder`` and ``port``) still holds every event;
    without it nothing is kept on disk.
    """
    binary = shutil.which("redis-server")
    if binary is None:
        raise FileNotFoundError("redis-server is not installed (apt-get install redis-server)")
    folder.mkdir(parents=True, exist_ok=True)
    command = [binary, "--port", "{port}", "--bind", "{host}", "--dir", str(folder), "--save", ""]
    if persistent:
        command += ["--appendonly", "yes", "--appendfsync", "always"]
    else:
        command += ["--appendonly", "no"]
    server = start_server(
        command, name="redis", health_path=None, log_dir=folder, timeout=timeout, port=port
    )
    return LocalRedis(server)
