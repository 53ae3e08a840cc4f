"""Three stream consumers in one Redis group, one killed mid-batch: nothing lost or stored twice.

The stored predictions are exactly those of the one-process, in-memory stream (chapter 05).
"""

from __future__ import annotations

import pandas as pd
import pytest
from helpers import require_in_ci

from workshop_lib import data, streaming
from workshop_lib.realtime.serving import with_onnx_backend
from workshop_lib.scaling.consumer_group import start_consumers
from workshop_lib.store import PredictionStore
from workshop_lib.streaming.redis_queue import RedisRequestQueue, start_local_redis

pytestmark = pytest.mark.slow
EVENTS = 3_000
COLUMNS = "application_id, probability, decision, model_version"


def stored(store: PredictionStore) -> pd.DataFrame:
    return store.read(f"SELECT {COLUMNS} FROM predictions ORDER BY application_id")


def test_three_consumers_one_killed_store_each_event_once_as_one_process_does(tmp_path, registry):
    require_in_ci("redis-server")
    sent = streaming.application_records(data.make_applications(EVENTS, seed=31))
    local = PredictionStore(f"sqlite:///{tmp_path / 'local.db'}")
    streaming.run_stream(with_onnx_backend(registry.load()), local, sent)
    group_store = PredictionStore(f"sqlite:///{tmp_path / 'group.db'}")
    with start_local_redis(tmp_path / "redis") as redis:
        requests = RedisRequestQueue(redis.url, consumer="producer", capacity=EVENTS)
        group = start_consumers(
            redis.url, group_store.url, registry.root, 3, log_dir=tmp_path / "logs",
            crash_at_batch={"consumer-2": 2},
        )  # fmt: skip
        try:
            group.wait_until_reading(requests)
            streaming.produce(requests, sent, ramp=[(3.0, EVENTS / 3.0)])  # over three seconds
            summaries = group.wait()
        finally:
            group.stop()
        left = (requests.depth(), requests.unacked())
    assert group.killed == ["consumer-2"] and set(summaries) == {"consumer-1", "consumer-3"}
    assert sum(s["redelivered"] for s in summaries.values()) > 0  # its batch was taken over
    assert all(s["scored"] > 0 for s in summaries.values())  # both survivors shared the work
    assert left == (0, 0)
    report = streaming.delivery_report(group_store, [i for i, _ in sent])
    assert report["stored_rows"] == report["distinct_ids"] == EVENTS
    assert report["lost"] == report["duplicated"] == report["unexpected"] == 0
    pd.testing.assert_frame_equal(stored(group_store), stored(local))
    assert group.peak_bytes > 0
