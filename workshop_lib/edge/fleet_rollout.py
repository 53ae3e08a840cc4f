"""The chapter's fleet story, end to end, on a real broker: used by ``apps/fleet.py`` and 06b.

``Fleet`` starts mosquitto, the model store and N devices (threads of one process: 20 separate
processes took 1.4 GB), and stops them all. ``run_story`` then provisions 1.0.0, rolls out a
good 1.1.0 in stages while some devices are offline, refuses a tampered manifest and a tampered
file, stops a bad 2.0.0 at the canaries, lets the offline devices catch up, rolls the whole
fleet back to 1.0.0, and then publishes the stopped 2.0.0 manifest again (a replay: refused).
"""

from __future__ import annotations

import copy
import json
import shutil
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sklearn.pipeline import Pipeline

from workshop_lib import data, signing, training
from workshop_lib.edge import onnx_export
from workshop_lib.edge.fleet_broker import Broker, start_broker
from workshop_lib.edge.fleet_device import Device, Probe, wait_until
from workshop_lib.edge.fleet_manager import FleetManager, Gate, Release
from workshop_lib.edge.fleet_manifest import ALL, ModelStore
from workshop_lib.support import timing

GOOD_GATE = Gate(min_auc=0.70, decline_band=(0.02, 0.60))
AUC_ONLY_GATE = Gate(min_auc=0.70)


def train_release_models(rows: int = 4_000) -> dict[str, Pipeline]:
    """1.0.0 and 1.1.0 (logistic regressions on two samples) and the bad 2.0.0.

    2.0.0 is 1.1.0 with 8 added to the logit: the same ranking, hence the same AUC, but every
    probability pushed above the threshold, so it declines every applicant.
    """
    first = training.build_pipeline("logistic").fit(
        *training.split_features(data.make_applications(rows, seed=71))
    )
    second = training.build_pipeline("logistic").fit(
        *training.split_features(data.make_applications(2 * rows, seed=72))
    )
    bad = copy.deepcopy(second)
    bad[-1].intercept_ = bad[-1].intercept_ + 8.0
    return {"1.0.0": first, "1.1.0": second, "2.0.0": bad}


def probe_rows(rows: int = 400, seed: int = 73) -> Probe:
    features, labels = training.split_features(data.make_applications(rows, seed=seed))
    return Probe(features, labels)


@dataclass
class Fleet:
    """A broker, a model store, a manager and ``size`` devices, all started in ``folder``."""

    folder: Path
    size: int
    broker: Broker = field(init=False)
    store: ModelStore = field(init=False)
    manager: FleetManager = field(init=False)
    devices: list[Device] = field(init=False)
    releases: dict[str, Release] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.size < 4:
            raise ValueError(f"a fleet needs at least 4 devices (2 canaries), got {self.size}")
        shutil.rmtree(self.folder, ignore_errors=True)
        names = [f"device-{i:03d}" for i in range(self.size)]
        self.broker = start_broker(self.folder / "broker", names)
        self.store = ModelStore(self.folder / "store")
        key = signing.ensure_key("fleet")
        self.manager = FleetManager(self.broker, key, self.folder / "manager" / "sequence.json")
        self.manager.connect()
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="device-update")
        self._http = httpx.Client(timeout=10.0)
        probe = probe_rows()
        self.devices = [
            Device(
                name,
                self.broker.credentials[name],
                self.folder / "devices" / name,
                key.public_key(),
                probe,
                self._pool,
                self._http,
            )
            for name in names
        ]
        for device in self.devices:
            device.connect(self.broker.host, self.broker.port)

    @property
    def names(self) -> list[str]:
        return [d.name for d in self.devices]

    def release(self, version: str, model: Pipeline) -> Release:
        blob = onnx_export.to_onnx(model).SerializeToString()
        url = self.store.put(f"loan-default-{version}.onnx", blob)
        self.releases[version] = Release(version, blob, url)
        return self.releases[version]

    def refusals(self) -> int:
        return sum(len(d.refused) for d in self.devices)

    def stop(self) -> None:
        for device in self.devices:
            device.go_offline()
        self.manager.close()
        self._pool.shutdown(wait=True)
        self._http.close()
        self.store.stop()
        self.broker.stop()

    def __enter__(self) -> Fleet:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def tampered(message: bytes, **changes: Any) -> bytes:
    """A published manifest with fields changed but the old signature kept (no key needed)."""
    envelope = json.loads(message)
    envelope["manifest"] |= changes
    return json.dumps(envelope).encode()


def run_story(fleet: Fleet, offline: int = 3, timeout: float = 30.0) -> dict[str, Any]:
    """Every step of the chapter's rollout; returns what each step showed."""
    models = train_release_models()
    v1, v11, v2 = (fleet.release(v, models[v]) for v in ("1.0.0", "1.1.0", "2.0.0"))
    everyone, manager = fleet.names, fleet.manager
    steps: dict[str, Any] = {"seconds": {}}
    manager.publish(v1, ALL)  # retained: a device that connects later still gets it
    steps["provisioned"], steps["seconds"]["provision"] = timing.timed(
        lambda: manager.wait_for(everyone, v1.version, timeout)
    )

    away = fleet.devices[-offline:]
    for device in away:
        device.go_offline()
    online = everyone[: len(everyone) - offline]
    wait_until(lambda: manager.versions().get("offline", 0) == offline, timeout)
    steps["offline_during_rollout"] = [d.name for d in away]

    canaries = online[:2]
    steps["good_rollout"], steps["seconds"]["staged_rollout"] = timing.timed(
        lambda: manager.staged_rollout(v11, v1, canaries, online, GOOD_GATE, timeout)
    )

    before = fleet.refusals()
    good_message = manager.publish(v11, ALL)
    manager.publish_raw(tampered(good_message, version="9.9.9", url=v2.url))
    wait_until(lambda: fleet.refusals() - before >= len(online), timeout)
    steps["tampered_manifest_refusals"] = fleet.refusals() - before

    before = fleet.refusals()
    # Someone with write access to the store (not to the key) replaces the file of a release
    # whose manifest the manager signed for the real file.
    url = fleet.store.put("loan-default-1.2.0.onnx", v2.blob)
    manager.publish(Release("1.2.0", v11.blob, url), ALL)
    wait_until(lambda: fleet.refusals() - before >= len(online), timeout)
    steps["tampered_file_refusals"] = fleet.refusals() - before
    manager.publish(v11, ALL)
    steps["still_serving_after_tampering"] = manager.wait_for(online, v11.version, timeout)

    bad = manager.staged_rollout(v2, v11, canaries, online, GOOD_GATE, timeout)
    steps["bad_release"] = bad | {
        "canary_reports": [
            {k: r.get(k) for k in ("device", "version", "auc", "decline_rate")}
            for r in bad["canary_reports"]
        ],
        "auc_only_gate_would_pass": not any(
            AUC_ONLY_GATE.failures(r) for r in bad["canary_reports"]
        ),
    }
    manager.wait_for(online, v11.version, timeout)

    for device in away:
        device.connect(fleet.broker.host, fleet.broker.port)
    steps["offline_caught_up"] = manager.wait_for(everyone, v11.version, timeout)

    steps["rolled_back"], steps["seconds"]["rollback"] = timing.timed(
        lambda: manager.rollback(v1, everyone, timeout)
    )
    steps["replayed_manifest"] = replay(fleet, bad["canary_manifest"], timeout)
    return steps


def replay(fleet: Fleet, message: bytes, timeout: float = 30.0) -> dict[str, Any]:
    """Publish an old, validly signed manifest again (no key needed): who refused it, and why."""
    before = {d.name: len(d.refused) for d in fleet.devices}
    fleet.manager.publish_raw(message)
    wait_until(lambda: all(len(d.refused) > before[d.name] for d in fleet.devices), timeout)
    reasons = {d.name: d.refused[before[d.name] :] for d in fleet.devices}
    return {
        "refused_by": sum(bool(r) for r in reasons.values()),
        "reasons": sorted({r for device in reasons.values() for r in device}),
        "versions": dict(Counter(str(d.version) for d in fleet.devices)),  # as installed
    }


def summary(fleet: Fleet, steps: dict[str, Any]) -> dict[str, Any]:
    """The one-line result ``apps/fleet.py`` prints; ``update_seconds``: how long the whole
    fleet took to provision, to take the staged rollout (canaries, gate, the rest) and to roll
    back."""
    return {
        "devices": fleet.size,
        "versions": fleet.manager.versions(),
        "refused_tampered_updates": steps["tampered_manifest_refusals"]
        + steps["tampered_file_refusals"],
        "bad_release_stopped_at_canaries": not steps["bad_release"]["promoted"],
        "offline_caught_up": steps["offline_caught_up"],
        "rolled_back": steps["rolled_back"],
        "refused_replayed_manifest": steps["replayed_manifest"]["refused_by"],
        "update_seconds": {step: round(s, 2) for step, s in steps["seconds"].items()},
    }
