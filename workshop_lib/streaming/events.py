"""What the stream's parts hand each other: events, dead letters and the queue protocol.

``EventQueue`` is what a stream processor needs from a queue and ``EventSink`` what a producer
needs; the in-process ``RequestQueue`` (``memory_queue``) and ``RedisRequestQueue``
(``redis_queue``) both provide them, so the same processor runs on either.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

SOURCE = "stream"
DEFAULT_MAX_BATCH = 500
DEFAULT_WINDOW_S = 0.02
# An event's time must lie in this window: from 2020-01-01 UTC to an hour past the worker's clock
# (a producer's clock may run a little ahead). Outside it the latency would be nonsense.
EARLIEST_CREATED_AT = 1_577_836_800.0
MAX_CLOCK_AHEAD_S = 3_600.0
MAX_NESTING = 32  # the form is flat; deeper JSON is refused before anything recurses into it
MAX_ID_DIGITS = 30  # longer digit strings are not parsed at all (ids stop at 19 digits)


class QueueFull(RuntimeError):
    """The producer waited for room in a full queue longer than its timeout."""


class MalformedEvent(ValueError):
    """An event's envelope (id, timestamp, payload) cannot be read."""


class SimulatedCrash(RuntimeError):
    """Raised inside a processor by a ``CrashPlan``: the processor stops without acknowledging."""


@dataclass(frozen=True, slots=True)
class Event:
    """One new loan application: its id, when it was emitted (epoch seconds) and the form data."""

    event_id: int
    created_at: float
    application: dict[str, Any]

    def to_fields(self) -> dict[str, str]:
        """The event as flat string fields (the shape a broker such as Redis stores)."""
        return {
            "event_id": str(self.event_id),
            "created_at": repr(self.created_at),
            "application": json.dumps(self.application),
        }

    @classmethod
    def from_fields(cls, fields: dict[str, str]) -> Event:
        """Read an event back from ``to_fields``; ``MalformedEvent`` says what is wrong.

        The id must be plain ASCII digits: ``int`` would also take ``" 5 "``, ``"5_000"`` and
        fullwidth digits, so two spellings could name one application.
        """
        try:
            text, created, application = (
                fields["event_id"],
                fields["created_at"],
                fields["application"],
            )
        except KeyError as error:
            raise MalformedEvent(f"event has no {error.args[0]!r} field") from None
        if not (text.isascii() and text.isdigit() and len(text) <= MAX_ID_DIGITS):
            raise MalformedEvent(
                f"event_id {text[:40]!r} is not an application id: plain ASCII digits only"
            )
        try:
            event = cls(int(text), float(created), json.loads(application))
        except (TypeError, ValueError) as error:
            raise MalformedEvent(f"event envelope is unreadable: {error}") from None
        except RecursionError:
            raise MalformedEvent("application is nested too deeply to read") from None
        if nested_deeper_than(event.application, MAX_NESTING):
            raise MalformedEvent(f"application is nested deeper than {MAX_NESTING} levels")
        return event


def nested_deeper_than(value: Any, limit: int) -> bool:
    """Whether lists and objects in ``value`` go more than ``limit`` levels deep (no recursion)."""
    level = [value]
    for _ in range(limit + 1):
        level = [
            inner
            for outer in level
            if isinstance(outer, list | dict)
            for inner in (outer.values() if isinstance(outer, dict) else outer)
        ]
        if not level:
            return False
    return True


@dataclass(frozen=True)
class DeadLetter:
    """An event the processor could not score, with the reason."""

    event_id: int | None
    reason: str
    payload: Any


class EventQueue(Protocol):
    """What a stream processor needs from a queue (in-process ``RequestQueue`` or Redis)."""

    def get_batch(self, max_items: int, window_s: float, wait_s: float) -> list[tuple[Any, Event]]:
        """Up to ``max_items`` events, waiting at most ``window_s`` after the oldest arrived."""
        ...

    def ack(self, ids: Sequence[Any]) -> None:
        """Mark delivered events as done: they will not be delivered again."""
        ...

    def reject(self, entry_id: Any, reason: str, payload: Any) -> None:
        """Move an event to the dead-letter list (and acknowledge it)."""
        ...

    def depth(self) -> int:
        """Events waiting to be delivered."""
        ...

    def unacked(self) -> int:
        """Events delivered but not acknowledged yet."""
        ...

    def dead_letters(self) -> list[DeadLetter]:
        """Every dead-lettered event with its reason, oldest first."""
        ...


class EventSink(Protocol):
    """Anything a producer can put events on (in-process ``RequestQueue`` or Redis)."""

    def put_many(self, events: Sequence[Event], timeout: float | None = None) -> None: ...
