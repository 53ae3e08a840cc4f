"""Time of check to time of use: a model file swapped between the registry's check and its load.

Someone who can write ``models/`` but has no key runs a process that swaps a version's
``model.skops`` by rename, in a tight loop (2 ms each way), between the signed file and their
own model (a classifier that declines everyone: p = 1). The registry reads each file once and
loads the bytes it checked, so every load gives the signed model or is refused, never the
attacker's.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import numpy as np
import pytest
import skops.io as sio
from sklearn.dummy import DummyClassifier

from workshop_lib import data
from workshop_lib.registry import PRODUCTION, IntegrityError, Registry
from workshop_lib.schema import EXAMPLE_APPLICATION, FEATURES
from workshop_lib.support.servers import start_uvicorn

pytestmark = pytest.mark.slow
LOADS = 40
RELOADS = 12
ADMIN = {"Authorization": "Bearer race-token"}

SWAPPER = textwrap.dedent(
    """
    import os, sys, time
    target, good, evil = sys.argv[1:4]
    swap = target + ".swap"
    print("swapping", flush=True)
    while True:
        for source in (evil, good):
            os.link(source, swap)
            os.replace(swap, target)
            time.sleep(0.002)  # each file stays a moment: an open finds either, as often
    """
)


def attacker_model() -> bytes:
    """An unsigned model that declines every applicant (p = 1), in skops format."""
    frame = data.make_applications(20, seed=5)[FEATURES]
    model = DummyClassifier(strategy="constant", constant=1).fit(frame, [0, 1] * 10)
    return sio.dumps(model)


def probability(model, rows) -> float:
    return float(model.predict_proba(rows)[0, 1])


@contextmanager
def swapping(target: Path) -> Iterator[None]:
    """A separate process swapping ``target`` between its signed bytes and the attacker's."""
    good, evil = target.with_name(".signed-copy"), target.with_name(".attacker")
    good.write_bytes(target.read_bytes())
    evil.write_bytes(attacker_model())
    swapper = subprocess.Popen(
        [sys.executable, "-c", SWAPPER, str(target), str(good), str(evil)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert swapper.stdout is not None and swapper.stdout.readline() == "swapping\n"
        yield
    finally:
        swapper.kill()
        swapper.wait()
        target.write_bytes(good.read_bytes())


def test_a_model_swapped_while_it_loads_is_never_loaded(registry: Registry):
    rows = data.make_applications(1, seed=0)[FEATURES]
    signed = probability(registry.load(PRODUCTION).model, rows)
    outcomes: Counter[str] = Counter()
    with swapping(registry.root / "1.0.0" / "model.skops"):
        for _ in range(LOADS):
            try:
                loaded = registry.load(PRODUCTION)
            except IntegrityError:
                outcomes["refused"] += 1
                continue
            p = probability(loaded.model, rows)
            outcomes["attacker" if p == 1.0 else "signed" if p == signed else "other"] += 1
    print(f"{LOADS} loads during the swap: {dict(outcomes)}")
    assert outcomes["refused"] > 0 and outcomes["signed"] > 0  # the race was live
    assert outcomes["attacker"] == 0 and outcomes["other"] == 0, dict(outcomes)


def test_the_live_service_never_serves_a_swapped_model(registry: Registry, tmp_path):
    env = {
        "MODEL_REGISTRY": str(registry.root),
        "PREDICTION_LOG": str(tmp_path / "log.jsonl"),
        "ADMIN_TOKEN": "race-token",
    }
    served: list[float] = []
    replies: Counter[int] = Counter()
    with start_uvicorn(env=env, name="race-api") as server:
        url = server.url
        signed = httpx.post(f"{url}/predict", json=EXAMPLE_APPLICATION).json()["probability"]
        with swapping(registry.root / "1.0.0" / "model.skops"):
            for _ in range(RELOADS):
                reply = httpx.post(f"{url}/admin/reload", headers=ADMIN, timeout=60)
                replies[reply.status_code] += 1
                if reply.status_code != 200:
                    assert "reload failed" in reply.json()["detail"]  # a Problem JSON
                answer = httpx.post(f"{url}/predict", json=EXAMPLE_APPLICATION, timeout=30)
                served.append(answer.json()["probability"])
    print(f"{RELOADS} reloads during the swap: {dict(replies)}; served {sorted(set(served))}")
    assert replies[503] > 0  # the swap was live: some reloads saw the attacker's file
    assert set(replies) <= {200, 503}
    assert 1.0 not in served and np.allclose(served, signed)
