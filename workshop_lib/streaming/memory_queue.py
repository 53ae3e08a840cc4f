"""The in-process request queue: bounded, acknowledged, with re-delivery of stale events.

It behaves like one topic read by one consumer group of a real broker: backpressure when full,
events in flight until acknowledged, and re-delivery after ``min_idle_s`` (like Redis'
XAUTOCLAIM or an SQS visibility timeout). ``redis_queue`` is the same protocol over Redis.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Sequence
from typing import Any

from workshop_lib.streaming.events import DeadLetter, Event, QueueFull


class RequestQueue:
    """A bounded, acknowledged in-process queue: one topic read by one consumer group.

    ``put`` waits while ``capacity`` events are waiting (backpressure); ``offer`` answers False
    instead. ``get_batch`` hands out events, which stay *in flight* until ``ack``; events in
    flight longer than ``min_idle_s`` are handed out again, because their consumer probably died.
    """

    def __init__(self, capacity: int = 10_000, min_idle_s: float = 5.0):
        if capacity < 1:
            raise ValueError(f"capacity must be >= 1, got {capacity}")
        self.capacity = capacity
        self.min_idle_s = min_idle_s
        self._lock = threading.Lock()
        self._not_empty = threading.Condition(self._lock)
        self._not_full = threading.Condition(self._lock)
        self._ready: deque[tuple[int, float, Event]] = deque()
        self._in_flight: dict[int, tuple[int, float, Event, float]] = {}
        self._next_offset = 0
        self._wanted = 1
        self._dead_letters: dict[int, DeadLetter] = {}  # by offset, like Redis' hash by id
        self.acked = 0
        self.redelivered = 0
        self.producer_waits = 0
        self.producer_wait_s = 0.0

    def put(self, event: Event, timeout: float | None = None) -> None:
        """Append an event, waiting while the queue is full; ``QueueFull`` after ``timeout`` s."""
        with self._not_full:
            if len(self._ready) >= self.capacity:
                self._wait_for_room(timeout)
            self._ready.append((self._next_offset, time.monotonic(), event))
            self._next_offset += 1
            if len(self._ready) in (1, self._wanted):
                self._not_empty.notify()

    def _wait_for_room(self, timeout: float | None) -> None:
        """Block the producer (lock held) until an event leaves; ``QueueFull`` on timeout."""
        if timeout != 0:
            started = time.monotonic()
            self.producer_waits += 1
            has_room = self._not_full.wait_for(lambda: len(self._ready) < self.capacity, timeout)
            self.producer_wait_s += time.monotonic() - started
            if has_room:
                return
        raise QueueFull(
            f"request queue is full ({self.capacity} events waiting) and no room opened "
            f"within {timeout} s: the processor is not keeping up"
        )

    def put_many(self, events: Sequence[Event], timeout: float | None = None) -> None:
        """``put`` each event in turn."""
        for event in events:
            self.put(event, timeout)

    def offer(self, event: Event) -> bool:
        """Append an event if there is room; False tells the producer to slow down."""
        try:
            self.put(event, timeout=0)
        except QueueFull:
            return False
        return True

    def depth(self) -> int:
        with self._lock:
            return len(self._ready)

    def unacked(self) -> int:
        with self._lock:
            return len(self._in_flight)

    def get_batch(
        self, max_items: int, window_s: float, wait_s: float = 0.05
    ) -> list[tuple[int, Event]]:
        """Events in flight too long first, else up to ``max_items`` new ones.

        Waits up to ``wait_s`` for a first event, then until ``max_items`` are waiting or
        ``window_s`` has passed since the oldest one arrived; [] if nothing came.
        """
        with self._not_empty:
            stale = self._reclaim(max_items)
            if stale:
                return stale
            if not self._ready and not self._not_empty.wait_for(lambda: self._ready, wait_s):
                return []
            deadline = self._ready[0][1] + window_s
            self._wanted = max_items
            while len(self._ready) < max_items:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._not_empty.wait(remaining)
            now = time.monotonic()
            taken = [self._ready.popleft() for _ in range(min(max_items, len(self._ready)))]
            for offset, enqueued, event in taken:
                self._in_flight[offset] = (offset, enqueued, event, now)
            self._not_full.notify_all()
            return [(offset, event) for offset, _, event in taken]

    def _reclaim(self, max_items: int) -> list[tuple[int, Event]]:
        """Re-deliver events whose consumer has held them longer than ``min_idle_s``."""
        now = time.monotonic()
        stale = [e for e in self._in_flight.values() if now - e[3] >= self.min_idle_s]
        stale = stale[:max_items]
        for offset, enqueued, event, _ in stale:
            self._in_flight[offset] = (offset, enqueued, event, now)
        self.redelivered += len(stale)
        return [(offset, event) for offset, _, event, _ in stale]

    def ack(self, ids: Sequence[int]) -> None:
        with self._lock:
            for offset in ids:
                if self._in_flight.pop(offset, None) is not None:
                    self.acked += 1

    def reject(self, entry_id: int, reason: str, payload: Any) -> None:
        event_id = payload.event_id if isinstance(payload, Event) else None
        application = payload.application if isinstance(payload, Event) else payload
        with self._lock:
            self._dead_letters[entry_id] = DeadLetter(event_id, reason, application)
        self.ack([entry_id])

    def dead_letters(self) -> list[DeadLetter]:
        """Every dead-lettered event with its reason, oldest first."""
        with self._lock:
            return [self._dead_letters[offset] for offset in sorted(self._dead_letters)]
