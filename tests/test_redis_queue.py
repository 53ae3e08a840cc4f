"""The streaming pipeline over a real redis-server: consumer group, ack, pending re-delivery."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
import redis
from helpers import require_in_ci

from apps.stream_worker import FIRST_ID
from workshop_lib import data, streaming
from workshop_lib.paths import PROJECT_ROOT
from workshop_lib.scoring import score_batch
from workshop_lib.store import PredictionStore
from workshop_lib.streaming.redis_queue import LocalRedis, RedisRequestQueue, start_local_redis
from workshop_lib.support.servers import free_port


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


def strict_json(line: str) -> dict:
    """A summary line parsed as JSON proper: ``NaN`` or ``Infinity`` fail the test."""
    return json.loads(line, parse_constant=lambda name: pytest.fail(f"{name} is not JSON"))


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


class PersistentRedis:
    """``start_local_redis(persistent=True)``, stopped and started again on the same port."""

    def __init__(self, folder: Path):
        require_in_ci("redis-server")
        self.folder = folder
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.server: LocalRedis | None = None

    def start(self) -> None:
        self.server = start_local_redis(self.folder, persistent=True, port=self.port)

    def stop(self) -> None:
        """SIGTERM: Redis finishes the append-only file and exits."""
        if self.server is not None:
            self.server.stop()


@pytest.fixture
def persistent_redis(tmp_path):
    server = PersistentRedis(tmp_path / "redis-aof")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.slow
def test_a_broker_restart_mid_stream_loses_nothing(persistent_redis, store, registry):
    """Restart redis-server while the worker produces and scores; both reconnect."""
    command = [sys.executable, "-m", "apps.stream_worker", "--redis-url", persistent_redis.url]
    command += ["--db", store.url, "--registry", str(registry.root), "--events", "6000"]
    command += ["--rate", "1500", "--idle-exit", "5", "--min-idle-ms", "500"]
    worker = subprocess.Popen(
        command, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 60
    while store.count() < 1_000 and worker.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    scored_before_restart = store.count()
    persistent_redis.stop()
    time.sleep(1.5)  # the broker is down: the producer and the processor both wait
    persistent_redis.start()
    out, err = worker.communicate(timeout=120)
    assert worker.returncode == 0, err
    figures = strict_json(out.strip().splitlines()[-1])
    expected = range(FIRST_ID, FIRST_ID + 6_000)
    report = streaming.delivery_report(store, list(expected))
    assert report["lost"] == report["unexpected"] == 0 and report["stored_rows"] == 6_000
    assert 1_000 <= scored_before_restart < 6_000  # the restart came mid-stream
    assert figures["stored_from_stream"] == 6_000
    requests = RedisRequestQueue(persistent_redis.url, consumer="checker")
    assert requests.depth() == 0 and requests.unacked() == 0


def test_a_batch_larger_than_the_free_room_goes_in_parts(redis_url):
    """Capacity 50, 20 waiting, a batch of 120: it is added in parts as a consumer frees room."""
    requests = RedisRequestQueue(redis_url, capacity=50)
    requests.put_many([streaming.Event(i, time.time(), {}) for i in range(1, 21)])
    consumer = RedisRequestQueue(redis_url, consumer="consumer")
    taken: list[int] = []

    def consume() -> None:
        while len(taken) < 140:
            batch = consumer.get_batch(10, window_s=0.0, wait_s=0.2)
            taken.extend(event.event_id for _, event in batch)
            consumer.ack([entry_id for entry_id, _ in batch])

    reader = threading.Thread(target=consume)
    reader.start()
    requests.put_many([streaming.Event(i, time.time(), {}) for i in range(21, 141)], timeout=30)
    reader.join(30)
    assert sorted(taken) == list(range(1, 141))  # none lost, none twice
    assert requests.depth() == 0


def test_a_batch_with_no_room_at_all_still_times_out(redis_url):
    requests = RedisRequestQueue(redis_url, capacity=5)
    requests.put_many([streaming.Event(i, 0.0, {}) for i in range(1, 6)])
    with pytest.raises(streaming.QueueFull, match="capacity 5"):
        requests.put_many([streaming.Event(i, 0.0, {}) for i in range(6, 20)], timeout=0.1)
    assert requests.depth() == 5


GOOD_FORM = records(1, seed=8)[0][1]
POISON_PILLS = {  # one worker run meets all of them (the in-process tests take them one by one)
    f"event_id {2**70} is not an application id": {"event_id": str(2**70)},
    "event_id 0 is not an application id": {"event_id": "0"},
    "event_id '-5' is not an application id": {"event_id": "-5"},
    "event_id '５２０００００１' is not an application id": {"event_id": "５２０００００１"},
    "event_id '5_200_002' is not an application id": {"event_id": "5_200_002"},
    "event_id ' 5200003 ' is not an application id": {"event_id": " 5200003 "},
    "event_id 'True' is not an application id": {"event_id": "True"},
    "created_at nan is not a time": {"created_at": "nan"},
    "created_at inf is not a time": {"created_at": "inf"},
    "created_at 1e+308 is not a time between": {"created_at": "1e308"},
    "application is nested too deeply": {"application": "[" * 100_000},
    "home_ownership: ": {"application": json.dumps({**GOOD_FORM, "home_ownership": ["rent"]})},
    "event envelope is unreadable": {"application": b"\xff\xfe not UTF-8"},
}


def test_poison_pills_are_dead_lettered_and_the_worker_keeps_going(redis_url, store, registry):
    """Each pill once crashed every restart of the worker (0 dead letters, nothing scored)."""
    requests = RedisRequestQueue(redis_url, min_idle_s=0.2)
    sent = records(10 * len(POISON_PILLS), seed=8)
    for start, fields in zip(range(0, len(sent), 10), POISON_PILLS.values(), strict=True):
        streaming.produce(requests, sent[start : start + 10])
        pill = streaming.Event(777, time.time(), sent[0][1]).to_fields() | fields
        requests.client.xadd(requests.stream, pill)  # type: ignore[arg-type]
    figures = []
    for _ in range(2):  # a poison pill crashed every restart; now the second run finds nothing
        done = worker(redis_url, store, registry, "--idle-exit", "0.5", "--min-idle-ms", "200")
        assert done.returncode == 0, done.stderr
        figures.append(strict_json(done.stdout.strip().splitlines()[-1]))
    letters = requests.dead_letters()
    assert [
        reason for reason, letter in zip(POISON_PILLS, letters, strict=True)
        if reason not in letter.reason
    ] == []  # fmt: skip
    assert [run["dead_letters"] for run in figures] == [len(POISON_PILLS), 0]
    assert [run["scored"] for run in figures] == [len(sent), 0]
    assert store.count() == len(sent) and requests.depth() == 0 and requests.unacked() == 0


def test_duplicate_ids_with_another_application_are_dead_lettered_in_redis(
    redis_url, store, registry
):
    """The second event with an id used to overwrite the first one's prediction."""
    sent = records(60, seed=9)
    first_id, first = sent[10]
    other = {**first, "loan_amount": first["loan_amount"] + 500.0}
    requests = RedisRequestQueue(redis_url, min_idle_s=0.2)
    streaming.produce(requests, [*sent, (first_id, other), sent[11]])  # an impostor, a replay
    model = registry.load("production")
    processor = streaming.StreamProcessor(requests, store, model, max_batch=16, window_s=0.0)
    processor.run(idle_exit_s=0.2)
    letters = requests.dead_letters()
    assert [letter.event_id for letter in letters] == [first_id]
    assert "different application" in letters[0].reason and letters[0].payload == other
    expected = score_batch(model, pd.DataFrame([first]))["probability"].iloc[0]
    assert store.get(first_id)["probability"] == pytest.approx(expected, rel=1e-9)
    assert store.count() == 60 and requests.depth() == 0 and requests.unacked() == 0


def test_a_persistent_local_redis_keeps_its_events_across_a_restart(tmp_path):
    broker = PersistentRedis(tmp_path / "aof")
    broker.start()
    try:
        sent = [streaming.Event(i, 1.0, {"n": i}) for i in range(1, 51)]
        RedisRequestQueue(broker.url).put_many(sent)
        broker.stop()
        broker.start()
        assert RedisRequestQueue(broker.url, consumer="after-restart").depth() == 50
    finally:
        broker.stop()
    assert (tmp_path / "aof" / "appendonlydir").is_dir()
