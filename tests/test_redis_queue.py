"""The streaming pipeline over a real redis-server: consumer group, ack, pending re-delivery."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import redis
from helpers import require_in_ci

from workshop_lib import data, streaming
from workshop_lib.paths import PROJECT_ROOT
from workshop_lib.store import PredictionStore
from workshop_lib.streaming.redis_queue import RedisRequestQueue, start_local_redis


@pytest.fixture
def redis_url(tmp_path):
    require_in_ci("redis-server")
    with start_local_redis(tmp_path / "redis") as server:
        yield server.url


@pytest.fixture
def store(tmp_path) -> PredictionStore:
    return PredictionStore(f"sqlite:///{tmp_path / 'predictions.db'}")


def records(n: int, seed: int = 0):
    return streaming.application_records(data.make_applications(n, seed=seed))


def worker(redis_url: str, store: PredictionStore, registry, *extra: str):
    command = [sys.executable, "-m", "apps.stream_worker", "--redis-url", redis_url]
    command += ["--db", store.url, "--registry", str(registry.root), "--max-batch", "200"]
    command += ["--window-ms", "0", *extra]
    return subprocess.run(
        command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.slow
@pytest.mark.parametrize("seed", [5])
def test_sigkilled_worker_loses_nothing_and_stores_nothing_twice(redis_url, store, registry, seed):
    """SIGKILL a worker at a seeded random point mid-stream; a second worker takes over."""
    sent = records(2_000, seed=seed)
    requests = RedisRequestQueue(redis_url, consumer="producer")
    streaming.produce(requests, sent)
    plan = streaming.CrashPlan.random(seed, max_batch=8)

    crashed = worker(
        redis_url,
        store,
        registry,
        *("--consumer", "worker-1", "--crash-at-batch", str(plan.batch)),
        *("--crash-phase", plan.phase),
    )
    assert crashed.returncode == -9, crashed.stderr
    pending = requests.unacked()
    assert pending == 200, "the killed worker's batch must stay pending in the group"
    written_early = store.count() - (plan.batch - 1) * 200
    assert written_early == (200 if plan.phase == "after_write" else 0)

    survivor = worker(
        redis_url,
        store,
        registry,
        *("--consumer", "worker-2", "--min-idle-ms", "200", "--idle-exit", "0.5"),
    )
    assert survivor.returncode == 0, survivor.stderr
    figures = json.loads(survivor.stdout.strip().splitlines()[-1])
    assert figures["redelivered"] == pending
    report = streaming.delivery_report(store, [i for i, _ in sent])
    assert report["stored_rows"] == report["distinct_ids"] == 2_000
    assert report["lost"] == report["duplicated"] == report["unexpected"] == 0
    assert requests.depth() == 0 and requests.unacked() == 0


def test_malformed_events_are_dead_lettered_in_redis(redis_url, store, registry):
    sent = streaming.corrupt_payloads(records(300, seed=6), fraction=0.1, seed=6)
    broken = {i for (i, r), (_, o) in zip(sent, records(300, seed=6), strict=True) if r != o}
    requests = RedisRequestQueue(redis_url, min_idle_s=0.2)
    streaming.produce(requests, sent)
    requests.client.xadd(requests.stream, {"event_id": "9999", "application": "{not json"})
    processor = streaming.StreamProcessor(
        requests, store, registry.load("production"), max_batch=64, window_s=0.0
    )
    processor.run(idle_exit_s=0.2)
    letters = requests.dead_letters()
    # oldest first (the unreadable envelope was added last), the same shape as in-process
    assert [letter.event_id for letter in letters] == [*sorted(broken), None]
    assert all(isinstance(letter, streaming.DeadLetter) for letter in letters)
    assert any("no 'created_at' field" in letter.reason for letter in letters)
    assert store.count() == 300 - len(broken)
    assert requests.depth() == 0 and requests.unacked() == 0


def test_full_stream_pushes_back_on_the_producer(redis_url):
    requests = RedisRequestQueue(redis_url, capacity=5)
    streaming.produce(requests, records(5))
    assert requests.depth() == 5
    with pytest.raises(streaming.QueueFull, match="capacity 5"):
        requests.put(streaming.Event(6, 0.0, {}), timeout=0.05)


def test_second_queue_joins_the_existing_group(redis_url):
    RedisRequestQueue(redis_url)
    RedisRequestQueue(redis_url, consumer="worker-2")
    groups = redis.Redis.from_url(redis_url).xinfo_groups("loan-applications")
    assert [g["name"] for g in groups] == [b"scorers"]
