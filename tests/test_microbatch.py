"""Micro-batching groups concurrent requests, dispatches a lone one at once, passes errors on."""

from __future__ import annotations

import asyncio
import time

import pytest

from workshop_lib.realtime.microbatch import MicroBatcher


class SlowDoubler:
    """A stand-in model: 20 ms per call whatever the batch size; records each batch."""

    def __init__(self, seconds: float = 0.02):
        self.seconds = seconds
        self.batches: list[list[int]] = []

    def __call__(self, items: list[int]) -> list[int]:
        self.batches.append(list(items))
        time.sleep(self.seconds)
        return [2 * item for item in items]


async def _run(batcher: MicroBatcher, items: list[int]) -> list[int]:
    await batcher.start()
    try:
        return await asyncio.gather(*(batcher.submit(i) for i in items))
    finally:
        await batcher.stop()


def test_concurrent_requests_share_model_calls_and_get_their_own_results():
    model = SlowDoubler()
    results = asyncio.run(_run(MicroBatcher(model, max_size=8, max_wait_ms=5), list(range(40))))
    assert results == [2 * i for i in range(40)]
    assert len(model.batches) < 40 / 2  # far fewer calls than requests
    assert max(len(batch) for batch in model.batches) <= 8  # the size cap holds
    assert sorted(i for batch in model.batches for i in batch) == list(range(40))


def test_a_lone_request_is_dispatched_at_once():
    model = SlowDoubler(seconds=0.0)
    batcher = MicroBatcher(model, max_size=32, max_wait_ms=500)

    async def one_request() -> float:
        await batcher.start()
        try:
            started = time.perf_counter()
            assert await batcher.submit(21) == 42
            return time.perf_counter() - started
        finally:
            await batcher.stop()

    assert asyncio.run(one_request()) < 0.25  # far less than the 500 ms window
    assert model.batches == [[21]]


def test_an_error_reaches_every_request_in_the_batch_and_the_batcher_recovers():
    calls = []

    def flaky(items: list[int]) -> list[int]:
        calls.append(items)
        if len(calls) == 1:
            raise ValueError("model exploded")
        return items

    async def scenario() -> tuple[list, int]:
        batcher = MicroBatcher(flaky, max_size=4)
        await batcher.start()
        try:
            first = await asyncio.gather(
                *(batcher.submit(i) for i in range(3)), return_exceptions=True
            )
            second = await batcher.submit(7)
        finally:
            await batcher.stop()
        return first, second

    first, second = asyncio.run(scenario())
    assert any(isinstance(r, ValueError) and "exploded" in str(r) for r in first)
    assert second == 7


def test_a_wrong_number_of_results_is_an_error():
    async def scenario() -> None:
        batcher = MicroBatcher(lambda items: items[:-1], max_size=4)
        await _run(batcher, [1, 2])

    with pytest.raises(RuntimeError, match="returned 1 results for 2 items|returned 0 results"):
        asyncio.run(scenario())


def test_stats_describe_the_grouping():
    model = SlowDoubler()
    batcher = MicroBatcher(model, max_size=16, max_wait_ms=2)
    asyncio.run(_run(batcher, list(range(32))))
    described = batcher.describe()
    assert described["items"] == 32
    assert described["batches"] == len(model.batches)
    assert described["largest_batch"] == max(len(b) for b in model.batches)


def test_submit_before_start_and_bad_settings_are_errors():
    with pytest.raises(RuntimeError, match="not running"):
        asyncio.run(MicroBatcher(lambda items: items).submit(1))
    with pytest.raises(ValueError, match="max_size"):
        MicroBatcher(lambda items: items, max_size=0)
    with pytest.raises(ValueError, match="max_wait_ms"):
        MicroBatcher(lambda items: items, max_wait_ms=-1)
