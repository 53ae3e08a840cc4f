"""The fleet manager: publish signed manifests, watch device states, roll out in stages.

A staged rollout publishes the new version to a few canary devices, waits for their health
reports, and only if the gate passes publishes it to everyone. A gate that checks the ROC AUC
alone lets through a model that ranks applicants as well as before and declines all of them
(AUC ignores the threshold); a band on the decline rate catches it.

Every manifest the manager signs gets the next sequence number, kept in a file so that a
restarted manager never reuses one (devices would refuse it), and an expiry (``LIFETIME``).
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from workshop_lib.edge.fleet_broker import MANAGER, MANIFEST_TOPIC, Broker
from workshop_lib.edge.fleet_device import wait_until, write_atomically
from workshop_lib.edge.fleet_manifest import ALL, LIFETIME, expiry, make_manifest, sign_manifest


@dataclass
class Gate:
    """What canaries must report: an AUC floor and, optionally, a decline-rate band."""

    min_auc: float
    decline_band: tuple[float, float] | None = None

    def failures(self, report: dict[str, Any]) -> list[str]:
        problems = []
        if report.get("auc", 0.0) < self.min_auc:
            problems.append(f"AUC {report.get('auc', 0):.3f} < {self.min_auc}")
        if self.decline_band is not None:
            low, high = self.decline_band
            rate = report.get("decline_rate", -1.0)
            if not low <= rate <= high:
                problems.append(f"decline rate {rate:.1%} outside {low:.0%}-{high:.0%}")
        return problems


@dataclass
class Release:
    """A model file released as ``version``, with its download URL."""

    version: str
    blob: bytes
    url: str


@dataclass
class FleetManager:
    """Publishes manifests and records every device's reported state over time.

    ``sequence_path`` keeps the last sequence number signed (a JSON file).
    """

    broker: Broker
    key: Ed25519PrivateKey
    sequence_path: Path
    lifetime: timedelta = LIFETIME
    states: dict[str, dict[str, Any]] = field(default_factory=dict)
    timeline: list[tuple[float, dict[str, int]]] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    client: mqtt.Client | None = None

    @property
    def sequence(self) -> int:
        """The last sequence number signed (0 before the first manifest)."""
        if not self.sequence_path.exists():
            return 0
        return int(json.loads(self.sequence_path.read_text())["sequence"])

    def next_sequence(self) -> int:
        """One more than the last signed, recorded before it is used."""
        with self._lock:
            number = self.sequence + 1
            self.sequence_path.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(self.sequence_path, {"sequence": number})
            return number

    def connect(self) -> None:
        client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=MANAGER, protocol=mqtt.MQTTv5
        )
        client.username_pw_set(MANAGER, self.broker.credentials[MANAGER])
        client.on_connect = lambda c, *_: c.subscribe("fleet/state/+", qos=1)
        client.on_message = self._on_state
        client.connect(self.broker.host, self.broker.port)
        client.loop_start()
        self.client = client

    def close(self) -> None:
        if self.client is not None:
            self.client.disconnect()
            self.client.loop_stop()

    def _on_state(self, client: mqtt.Client, userdata, message: mqtt.MQTTMessage) -> None:
        state = json.loads(message.payload)
        with self._lock:
            self.states[state["device"]] = state
            self.timeline.append((time.monotonic() - self.started, self.versions()))

    def versions(self) -> dict[str, int]:
        """How many online devices run each version (``offline`` counted apart)."""
        return dict(
            Counter(
                "offline" if s["status"] == "offline" else str(s["version"])
                for s in self.states.values()
            )
        )

    def publish(self, release: Release, targets: list[str] | str = ALL) -> bytes:
        """Sign and publish (retained, QoS 1) the manifest of ``release`` for ``targets``."""
        manifest = make_manifest(
            release.version,
            release.blob,
            release.url,
            targets,
            sequence=self.next_sequence(),
            expires=expiry(self.lifetime),
        )
        message = sign_manifest(self.key, manifest)
        self.publish_raw(message)
        return message

    def publish_raw(self, message: bytes) -> None:
        if self.client is None:
            raise RuntimeError("call connect() first")
        self.client.publish(MANIFEST_TOPIC, message, qos=1, retain=True).wait_for_publish(10)

    def wait_for(self, devices: list[str], version: str, timeout: float = 30.0) -> bool:
        """True once every one of ``devices`` reports ``version`` (online)."""

        def arrived() -> bool:
            with self._lock:
                return all(
                    self.states.get(d, {}).get("version") == version
                    and self.states[d]["status"] == "online"
                    for d in devices
                )

        return wait_until(arrived, timeout)

    def staged_rollout(
        self,
        release: Release,
        previous: Release,
        canaries: list[str],
        everyone: list[str],
        gate: Gate,
        timeout: float = 30.0,
    ) -> dict[str, Any]:
        """Canaries first; if their reports pass ``gate``, the whole fleet; else canaries back.

        Returns whether it was promoted, the gate's problems, the canaries' reports and the
        signed manifest the canaries were sent (``canary_manifest``).
        """
        message = self.publish(release, canaries)
        arrived = self.wait_for(canaries, release.version, timeout)
        reports = [dict(self.states[c]) for c in canaries]  # as the gate saw them
        problems = sorted({p for r in reports for p in gate.failures(r)})
        if not arrived:
            problems.append("not every canary installed it in time")
        if problems:
            self.publish(previous, ALL)  # the canaries go back; the rest never moved
            self.wait_for(canaries, previous.version, timeout)
            return {
                "version": release.version,
                "promoted": False,
                "problems": problems,
                "canary_reports": reports,
                "canary_manifest": message,
            }
        self.publish(release, ALL)
        self.wait_for(everyone, release.version, timeout)
        return {
            "version": release.version,
            "promoted": True,
            "problems": [],
            "canary_reports": reports,
            "canary_manifest": message,
        }

    def rollback(self, previous: Release, devices: list[str], timeout: float = 30.0) -> bool:
        """The whole fleet back to ``previous``: a new signed manifest (a higher sequence) naming
        the old file; publishing an old manifest again would be refused as a replay."""
        self.publish(previous, ALL)
        return self.wait_for(devices, previous.version, timeout)
