"""The in-process streaming pipeline: queues, batching, delivery across a crash, dead letters."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

import numpy as np
import pandas as pd
import pytest

from workshop_lib import data, streaming
from workshop_lib.paths import PROJECT_ROOT
from workshop_lib.scoring import score_batch
from workshop_lib.store import PredictionStore


@pytest.fixture
def model(registry):
    return registry.load("production")


@pytest.fixture
def store(tmp_path) -> PredictionStore:
    return PredictionStore(f"sqlite:///{tmp_path / 'predictions.db'}")


def records(n: int, seed: int = 0, first_id: int = 1):
    return streaming.application_records(data.make_applications(n, seed=seed, first_id=first_id))


def event(i: int) -> streaming.Event:
    return streaming.Event(i, time.time(), {"age": 30})


# -- events and queues -------------------------------------------------------------------------
def test_event_round_trips_through_broker_fields():
    original = streaming.Event(7, 1_700_000_000.25, records(1)[0][1])
    assert streaming.Event.from_fields(original.to_fields()) == original


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"created_at": "1.0", "application": "{}"}, "no 'event_id' field"),
        ({"event_id": "x", "created_at": "1.0", "application": "{}"}, "plain ASCII digits"),
        ({"event_id": "1", "created_at": "1.0", "application": "{oops"}, "unreadable"),
        ({"event_id": "1", "created_at": "x", "application": "{}"}, "unreadable"),
    ],
)
def test_malformed_envelope_names_the_problem(fields, problem):
    with pytest.raises(streaming.MalformedEvent, match=problem):
        streaming.Event.from_fields(fields)


@pytest.mark.parametrize(
    "text", ["５２００００１", "5_200_002", " 5200003 ", "+5", "-5", "True", "", "9" * 5_000]
)
def test_an_event_id_on_the_wire_is_plain_ascii_digits(text):
    """``int()`` took fullwidth digits, underscores and spaces: two spellings, one id."""
    fields = {"event_id": text, "created_at": "1.0", "application": "{}"}
    with pytest.raises(streaming.MalformedEvent, match="plain ASCII digits only"):
        streaming.Event.from_fields(fields)


@pytest.mark.parametrize(
    ("application", "problem"),
    [("[" * 100_000, "nested too deeply"), ("[" * 40 + "]" * 40, "deeper than 32 levels")],
)
def test_deeply_nested_form_data_is_malformed_not_a_recursion_error(application, problem):
    fields = {"event_id": "5", "created_at": "1.0", "application": application}
    with pytest.raises(streaming.MalformedEvent, match=problem):
        streaming.Event.from_fields(fields)


def test_full_queue_pushes_back_on_the_producer():
    requests = streaming.RequestQueue(capacity=3)
    for i in range(3):
        assert requests.offer(event(i))
    assert requests.depth() == 3
    assert not requests.offer(event(3))
    with pytest.raises(streaming.QueueFull, match="3 events waiting"):
        requests.put(event(3), timeout=0.05)

    blocked = threading.Thread(target=requests.put, args=(event(4), 5.0))
    blocked.start()
    time.sleep(0.05)
    assert blocked.is_alive(), "the producer should wait while the queue is full"
    requests.get_batch(max_items=2, window_s=0.0)
    blocked.join(5.0)
    assert not blocked.is_alive()
    assert requests.depth() == 2 and requests.producer_waits == 2


def test_batch_is_capped_by_size_and_by_window():
    requests = streaming.RequestQueue()
    for i in range(5):
        requests.put(event(i))
    assert [e.event_id for _, e in requests.get_batch(3, window_s=10.0)] == [0, 1, 2]

    lonely = streaming.RequestQueue()
    lonely.put(event(9))
    started = time.monotonic()
    batch = lonely.get_batch(100, window_s=0.1)
    assert len(batch) == 1
    assert 0.08 <= time.monotonic() - started < 2.0


def test_unacknowledged_events_are_delivered_again_after_min_idle():
    requests = streaming.RequestQueue(min_idle_s=0.1)
    for i in range(4):
        requests.put(event(i))
    first = requests.get_batch(4, window_s=0.0)
    requests.ack([first[0][0]])
    assert requests.unacked() == 3
    assert requests.get_batch(4, window_s=0.0, wait_s=0.01) == []
    time.sleep(0.15)
    again = requests.get_batch(4, window_s=0.0)
    assert [e.event_id for _, e in again] == [1, 2, 3]
    assert requests.redelivered == 3
    requests.ack([offset for offset, _ in again])
    assert requests.unacked() == 0 and requests.acked == 4


def test_due_events_follows_the_rate_ramp():
    ramp = [(1.0, 100.0), (2.0, 1_000.0)]
    assert streaming.due_events(ramp, 0.5) == 50
    assert streaming.due_events(ramp, 2.0) == 1_100
    assert streaming.due_events(ramp, 60.0) == 2_100


# -- the processor -----------------------------------------------------------------------------
def test_pipeline_stores_every_event_exactly_once_with_the_model_score(model, store):
    frame = data.make_applications(1_500, seed=3)
    run = streaming.run_stream(
        model, store, streaming.application_records(frame), max_batch=200, window_s=0.005
    )
    report = streaming.delivery_report(store, frame["application_id"].tolist())
    assert report == {
        "events": 1_500,
        "stored_rows": 1_500,
        "distinct_ids": 1_500,
        "lost": 0,
        "duplicated": 0,
        "unexpected": 0,
    }
    assert max(run.stats.batch_sizes) <= 200 and run.stats.scored == 1_500
    stored = store.read("SELECT * FROM predictions ORDER BY application_id")
    expected = score_batch(model, frame)
    np.testing.assert_allclose(stored["probability"], expected["probability"], rtol=1e-9)
    assert (stored["decision"] == expected["decision"].to_numpy()).all()
    assert set(stored["source"]) == {"stream"} and set(stored["model_version"]) == {"1.0.0"}


def test_malformed_events_are_dead_lettered_and_the_rest_flow(model, store):
    sent = streaming.corrupt_payloads(records(800, seed=4), fraction=0.05, seed=4)
    originals = dict(records(800, seed=4))
    broken = {i for i, r in sent if r != originals[i]}
    run = streaming.run_stream(model, store, sent, max_batch=100)
    letters = run.requests.dead_letters()
    assert [letter.event_id for letter in letters] == sorted(broken)  # oldest first
    assert all(isinstance(letter, streaming.DeadLetter) for letter in letters)
    assert len(broken) > 10
    reasons = " ".join(letter.reason for letter in letters)
    for field in ("annual_income", "credit_score", "purpose", "age"):
        assert field in reasons
    assert store.count() == 800 - len(broken) and run.stats.dead_lettered == len(broken)


POISON_PILLS = {
    "an id beyond SQLite's integers": (2**70, 1.0, f"event_id {2**70} is not an application id"),
    "id 0": (0, 1.0, "event_id 0 is not an application id"),
    "id -5": (-5, 1.0, "event_id -5 is not an application id"),
    "a fractional id": (1.5, 1.0, "event_id 1.5 is not an application id"),
    "a boolean id": (True, 1.0, "event_id True is not an application id"),
    "a time that is NaN": (9_001, float("nan"), "created_at nan is not a time"),
    "a time that is infinite": (9_002, float("inf"), "created_at inf is not a time"),
}


@pytest.mark.parametrize("case", POISON_PILLS)
def test_a_poison_pill_is_dead_lettered_not_a_crash(model, store, case):
    event_id, created_at, reason = POISON_PILLS[case]
    sent = records(40, seed=9)
    requests = streaming.RequestQueue()
    streaming.produce(requests, sent[:20])
    requests.put(streaming.Event(event_id, created_at, sent[0][1]))  # type: ignore[arg-type]
    streaming.produce(requests, sent[20:])
    processor = streaming.StreamProcessor(requests, store, model, max_batch=16, window_s=0.0)
    processor.run(idle_exit_s=0.1)
    letters = requests.dead_letters()
    assert [(letter.event_id, reason in letter.reason) for letter in letters] == [(event_id, True)]
    assert store.count() == 40 and processor.stats.dead_lettered == 1
    summary = processor.stats.summary()  # the latencies of the good events only: all finite
    assert np.isfinite([summary.p50_ms, summary.p99_ms, summary.per_second]).all()


def test_batch_settings_are_checked(model, store):
    with pytest.raises(ValueError, match="max_batch >= 1"):
        streaming.StreamProcessor(streaming.RequestQueue(), store, model, max_batch=0)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_crash_between_scoring_and_ack_loses_nothing_and_stores_nothing_twice(model, store, seed):
    """Kill the processor at a seeded random point mid-stream, restart it, count."""
    sent = records(1_000, seed=seed)
    requests = streaming.RequestQueue(capacity=2_000, min_idle_s=0.2)
    streaming.produce(requests, sent)
    crash = streaming.CrashPlan.random(seed, max_batch=15)
    first = streaming.StreamProcessor(
        requests, store, model, max_batch=50, window_s=0.0, crash=crash
    ).start()
    first.stop()  # returns as soon as the thread died
    assert isinstance(first.error, streaming.SimulatedCrash)
    in_flight = requests.unacked()
    assert in_flight == 50, "the crashed batch must still be unacknowledged"
    written_not_acked = store.count() - requests.acked
    assert written_not_acked == (50 if crash.phase == "after_write" else 0)

    second = streaming.StreamProcessor(requests, store, model, max_batch=50, window_s=0.0)
    second.start()
    second.stop()
    assert requests.redelivered == in_flight
    report = streaming.delivery_report(store, [i for i, _ in sent])
    assert report["stored_rows"] == report["distinct_ids"] == 1_000
    assert report["lost"] == 0 and report["unexpected"] == 0
    assert first.stats.scored + second.stats.scored == 1_000  # the crashed batch, once more


def test_timeline_accounts_for_every_event(model, store):
    run = streaming.run_stream(model, store, records(1_200), ramp=[(0.6, 2_000.0)])
    timeline = run.stats.timeline(bin_s=0.2)
    assert list(timeline.columns) == [
        "t_s",
        "events_per_s",
        "p50_ms",
        "p99_ms",
        "max_depth",
        "median_depth",
    ]
    waited = timeline.dropna(subset=["max_depth"])
    assert (waited["median_depth"] <= waited["max_depth"]).all()
    assert round((timeline["events_per_s"] * 0.2).sum()) == run.stats.scored == 1_200
    scored = timeline.dropna(subset=["p50_ms"])
    assert (scored["p99_ms"] >= scored["p50_ms"]).all() and (scored["p50_ms"] > 0).all()
    summary = run.stats.summary()
    assert summary.count == 1_200 and summary.p99_ms >= summary.p50_ms


def test_backend_serves_a_prediction_once_it_is_stored(model, store):
    requests = streaming.RequestQueue()
    processor = streaming.StreamProcessor(requests, store, model).start()
    try:
        with pytest.raises(TimeoutError, match="application 42"):
            streaming.wait_for_prediction(store, 42, timeout_s=0.05)
        streaming.produce(requests, records(1, first_id=42))
        found = streaming.wait_for_prediction(store, 42, timeout_s=10)
    finally:
        processor.stop()
    assert found["application_id"] == 42 and found["decision"] in ("approve", "decline")


def test_predictions_queue_gets_a_notification_per_stored_prediction(model, store):
    import queue

    notifications: queue.Queue = queue.Queue(maxsize=100)
    run = streaming.run_stream(model, store, records(150), predictions=notifications)
    assert notifications.qsize() == 100 and run.processor.notifications_dropped == 50
    first = notifications.get_nowait()
    assert set(first) == {"application_id", "probability", "decision"}


@pytest.mark.slow
def test_stream_worker_command_reports_what_it_stored(registry, tmp_path):
    db = f"sqlite:///{tmp_path / 'worker.db'}"
    command = [sys.executable, "-m", "apps.stream_worker", "--events", "600", "--rate", "0"]
    command += ["--malformed", "0.05", "--db", db, "--registry", str(registry.root)]
    done = subprocess.run(
        command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120, check=True
    )
    line = done.stdout.strip().splitlines()[-1]
    figures = json.loads(line, parse_constant=lambda name: pytest.fail(f"{name} is not JSON"))
    assert figures["sent"] == 600
    assert figures["scored"] + figures["dead_letters"] == 600 and figures["dead_letters"] > 0
    assert figures["stored_from_stream"] == figures["scored"]
    assert not {"dead_lettered", "dead_letters_total"} & set(figures)  # one count, one name


@pytest.mark.slow
def test_benchmark_quick_mode_meets_delivery_targets(registry, tmp_path):
    command = [sys.executable, "-m", "benchmarks.bench_streaming", "--quick"]
    command += ["--registry", str(registry.root), "--workdir", str(tmp_path)]
    done = subprocess.run(
        command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=180, check=True
    )
    assert "sustained" in done.stdout and "lost 0, duplicated 0" in done.stdout


@pytest.mark.parametrize(
    ("field", "value"), [("annual_income", True), ("credit_score", False), ("age", "38")]
)
def test_json_booleans_and_numeric_strings_are_dead_lettered_not_scored(model, store, field, value):
    sent = records(30, seed=12)
    sent[7] = (sent[7][0], {**sent[7][1], field: value})
    run = streaming.run_stream(model, store, sent, max_batch=10)
    letters = run.requests.dead_letters()
    assert [letter.event_id for letter in letters] == [sent[7][0]]
    assert field in letters[0].reason and "number" in letters[0].reason
    assert store.count() == 29 and store.get(sent[7][0]) is None


# -- issue 25: malformed payloads, duplicate ids and event times -------------------------------
def nested_lists(depth: int) -> list:
    """``[[[...]]]`` ``depth`` levels deep, built without recursion."""
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


MALFORMED_APPLICATIONS = {
    "a category given as a list": (lambda r: {**r, "home_ownership": ["rent"]}, "home_ownership"),
    "a category given as an object": (lambda r: {**r, "purpose": {"car": 1}}, "purpose"),
    "a number given as a list": (lambda r: {**r, "age": [38]}, "age"),
    "a field nested 100,000 deep": (lambda r: {**r, "channel": nested_lists(100_000)}, "channel"),
    "an application nested 100,000 deep": (lambda r: nested_lists(100_000), "dictionary"),
}


@pytest.mark.parametrize("case", MALFORMED_APPLICATIONS)
def test_a_malformed_application_is_dead_lettered_and_the_events_behind_it_are_stored(
    model, store, case
):
    """A list where a category belongs crashed schema validation (unhashable type)."""
    damage, reason = MALFORMED_APPLICATIONS[case]
    sent = records(41, seed=21)
    sent[20] = (sent[20][0], damage(sent[20][1]))
    run = streaming.run_stream(model, store, sent, max_batch=16)
    letters = run.requests.dead_letters()
    assert [letter.event_id for letter in letters] == [sent[20][0]]
    assert reason in letters[0].reason
    assert store.count() == 40 and store.get(sent[20][0]) is None


@pytest.mark.parametrize("max_batch", [100, 8], ids=["same batch", "later batch"])
def test_a_duplicate_id_with_another_application_is_dead_lettered_not_stored(
    model, store, max_batch
):
    """The second event with an id used to replace the first one's prediction."""
    sent = records(30, seed=22)
    first_id, first = sent[3]
    other = {**first, "annual_income": first["annual_income"] + 1_000.0}
    sent += [(first_id, other), sent[4]]  # an impostor of event 3; event 4 delivered twice
    run = streaming.run_stream(model, store, sent, max_batch=max_batch)
    letters = run.requests.dead_letters()
    assert [letter.event_id for letter in letters] == [first_id]
    assert "different application" in letters[0].reason and letters[0].payload == other
    expected = score_batch(model, pd.DataFrame([first]))["probability"].iloc[0]
    assert store.get(first_id)["probability"] == pytest.approx(expected, rel=1e-9)
    assert store.count() == 30


@pytest.mark.parametrize("created_at", [1e308, -1e308, 0.0, 4_102_444_800.0])
def test_an_event_time_outside_the_window_is_dead_lettered(model, store, created_at):
    """``created_at = 1e308`` was scored; its latency made the summary overflow."""
    sent = records(20, seed=23)
    requests = streaming.RequestQueue()
    streaming.produce(requests, sent[:10])
    requests.put(streaming.Event(sent[10][0], created_at, sent[10][1]))
    streaming.produce(requests, sent[11:])
    processor = streaming.StreamProcessor(requests, store, model, max_batch=8, window_s=0.0)
    processor.run(idle_exit_s=0.1)
    letters = requests.dead_letters()
    assert [letter.event_id for letter in letters] == [sent[10][0]]
    assert f"created_at {created_at!r} is not a time between" in letters[0].reason
    summary = processor.stats.summary()
    assert store.count() == 19
    assert np.isfinite([summary.p50_ms, summary.p99_ms, summary.per_second]).all()


def test_steady_rate_is_not_moved_by_one_stall():
    stats = streaming.StreamStats(started_at=100.0)
    done = 100.0
    for batch in range(40):
        done += 0.5 if batch == 20 else 0.02  # one half-second stall among 20 ms batches
        stats.batch_done_at.append(done)
        stats.batch_sizes.append(500)
    total_rate = sum(stats.batch_sizes) / (done - stats.started_at)
    assert stats.steady_rate() == pytest.approx(25_000)
    assert total_rate < 0.7 * 25_000
    assert stats.steady_rate(start_s=0.5) == pytest.approx(25_000)
    with pytest.raises(ValueError, match="fewer than 3 batches"):
        stats.steady_rate(start_s=5.0)
