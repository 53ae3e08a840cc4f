"""One device of the fleet: follow the signed manifest, install safely, report state over MQTT.

On every (re)connection the device subscribes to the retained manifest topic, so a device that
was offline gets the latest manifest the moment it is back. ``on_message`` never blocks: it
hands the message to a worker pool. The simulated devices share that pool and one HTTP client
(``httpx.get`` builds a new client and TLS context per call: 90 ms, which made a fleet of 200
take minutes). The worker is idempotent (a manifest for the version already installed, or
redelivered, changes nothing) and installs in this order, any failure leaving the current model
serving: signature -> freshness (not expired, sequence not below the highest it accepted, kept
in ``seen.json`` so a restart remembers it) -> download, stopped at the signed size -> sha256 ->
health check on labelled probe rows -> atomic swap (``os.replace``) -> report. A last will marks
it offline.
"""

from __future__ import annotations

import json
import os
import threading
import time
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import paho.mqtt.client as mqtt
import pandas as pd
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.reasoncodes import ReasonCode
from sklearn.metrics import roc_auc_score

from workshop_lib import training
from workshop_lib.edge import onnx_export
from workshop_lib.edge.fleet_broker import MANIFEST_TOPIC, STATE_TOPIC
from workshop_lib.edge.fleet_manifest import (
    UpdateRefused,
    check_fresh,
    download,
    is_for,
    open_manifest,
)


@dataclass
class Probe:
    """Labelled rows a device scores before it trusts a new model."""

    features: pd.DataFrame
    labels: np.ndarray
    threshold: float = training.DECISION_THRESHOLD


def health_check(model: bytes, probe: Probe) -> dict[str, float]:
    """Load ``model`` and score the probe rows; ``UpdateRefused`` if it cannot or gives junk.

    Returns the probe's ROC AUC and decline rate, which the device reports to the manager's gate.
    """
    try:
        proba = onnx_export.OnnxPredictor(model).predict_proba(probe.features)[:, 1]
    except Exception as error:  # any failure to load or run is a failed health check
        raise UpdateRefused(f"health check: the model does not run ({error})") from error
    if not np.all(np.isfinite(proba)) or proba.min() < 0 or proba.max() > 1:
        raise UpdateRefused("health check: probabilities outside [0, 1]")
    return {
        "auc": float(roc_auc_score(probe.labels, proba)),
        "decline_rate": float((proba >= probe.threshold).mean()),
    }


@dataclass
class Device:
    """A device: its folder (``model.onnx``, ``installed.json``, ``seen.json``), MQTT client
    and state; ``seen`` is the highest manifest sequence it accepted."""

    name: str
    password: str
    folder: Path
    public_key: Ed25519PublicKey
    probe: Probe
    pool: Executor
    http: httpx.Client
    version: str | None = None
    seen: int = 0
    refused: list[str] = field(default_factory=list)
    health: dict[str, float] = field(default_factory=dict)
    _pending: bytes | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    client: mqtt.Client | None = None

    def __post_init__(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        installed = self.folder / "installed.json"
        if installed.exists():
            self.version = json.loads(installed.read_text())["version"]
        seen = self.folder / "seen.json"
        if seen.exists():
            self.seen = json.loads(seen.read_text())["sequence"]

    @property
    def state_topic(self) -> str:
        return STATE_TOPIC.format(device=self.name)

    def state(self, status: str = "online") -> dict[str, Any]:
        return {
            "device": self.name,
            "status": status,
            "version": self.version,
            "refused": len(self.refused),
            "last_refusal": self.refused[-1] if self.refused else None,
            **self.health,
        }

    def connect(self, host: str, port: int) -> None:
        """Connect (MQTT 5, QoS 1) with a last will that marks this device offline."""
        client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=self.name, protocol=mqtt.MQTTv5
        )
        client.username_pw_set(self.name, self.password)
        client.will_set(self.state_topic, json.dumps(self.state("offline")), qos=1, retain=True)
        client.on_connect = self._on_connect
        client.on_message = self._on_message
        client.connect_async(host, port)  # the network thread connects: 200 devices at once
        client.loop_start()
        self.client = client

    def go_offline(self) -> None:
        """Drop off the network as if the power went: the broker publishes the last will."""
        if self.client is None:
            return
        will = ReasonCode(PacketTypes.DISCONNECT, "Disconnect with will message")
        self.client.disconnect(reasoncode=will)
        self.client.loop_stop()
        self.client = None

    def _on_connect(self, client: mqtt.Client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            return
        client.subscribe(MANIFEST_TOPIC, qos=1)  # here, so that a reconnect gets it again
        self.report()

    def _on_message(self, client: mqtt.Client, userdata, message: mqtt.MQTTMessage) -> None:
        self._pending = bytes(message.payload)  # only the newest manifest matters
        self.pool.submit(self.apply_pending)

    def report(self) -> None:
        if self.client is not None:
            self.client.publish(self.state_topic, json.dumps(self.state()), qos=1, retain=True)

    def apply_pending(self) -> None:
        """Install the newest manifest received, if it is for us and new (idempotent)."""
        with self._lock:
            message, self._pending = self._pending, None
            if message is None:
                return
            try:
                changed = self.install(message)
            except UpdateRefused as refusal:
                self.refused.append(str(refusal))
                changed = True
            if changed:
                self.report()

    def install(self, message: bytes) -> bool:
        """Verify, download, check, health-check and swap; False when nothing was to do."""
        manifest = open_manifest(self.public_key, message)
        check_fresh(manifest, self.seen)  # every device refuses a replay, targeted or not
        if manifest["sequence"] > self.seen:
            write_atomically(self.folder / "seen.json", {"sequence": manifest["sequence"]})
            self.seen = manifest["sequence"]
        if not is_for(manifest, self.name) or manifest["version"] == self.version:
            return False
        blob = download(self.http, manifest)
        health = health_check(blob, self.probe)
        temporary = self.folder / "model.onnx.tmp"
        temporary.write_bytes(blob)
        os.replace(temporary, self.folder / "model.onnx")  # atomic: old or new, never half
        write_atomically(
            self.folder / "installed.json",
            {"version": manifest["version"], "sha256": manifest["sha256"]},
        )
        self.version, self.health = manifest["version"], health
        return True

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        """Score with the installed model: what the device serves right now."""
        return onnx_export.OnnxPredictor(self.folder / "model.onnx").predict_proba(frame)


def write_atomically(path: Path, value: dict[str, Any]) -> None:
    """``path`` holds ``value`` as JSON, whole: written beside it, then renamed over it."""
    temporary = path.with_name(path.name + ".tmp")
    with temporary.open("w") as handle:
        handle.write(json.dumps(value))
        handle.flush()
        os.fsync(handle.fileno())  # on disk before the rename: a power cut keeps old or new
    os.replace(temporary, path)


def wait_until(condition, timeout: float = 20.0, every: float = 0.02) -> bool:
    """Poll ``condition()`` until it is true or ``timeout`` seconds pass; return its last value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return bool(condition())
