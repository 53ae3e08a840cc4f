"""The fleet on a real mosquitto: signatures, hashes, ACL, offline catch-up, rollback."""

from __future__ import annotations

import http.server
import json
import threading
from datetime import UTC, datetime, timedelta

import httpx
import paho.mqtt.client as mqtt
import pytest
from helpers import require_in_ci

from workshop_lib import signing
from workshop_lib.edge.fleet_broker import acl_text
from workshop_lib.edge.fleet_device import Device, wait_until
from workshop_lib.edge.fleet_manager import Release
from workshop_lib.edge.fleet_manifest import (
    ALL,
    CHUNK_BYTES,
    UpdateRefused,
    check_blob,
    check_fresh,
    expiry,
    make_manifest,
    open_manifest,
    sha256_of,
    sign_manifest,
)
from workshop_lib.edge.fleet_rollout import Fleet, run_story, summary, tampered


@pytest.fixture(scope="module")
def story(tmp_path_factory):
    require_in_ci("mosquitto")
    with Fleet(tmp_path_factory.mktemp("fleet"), 5) as fleet:
        steps = run_story(fleet, offline=1, timeout=20)
        yield fleet, steps, summary(fleet, steps)


def _manifest(version: str = "1.0.0", sequence: int = 1, **fields) -> dict:
    made = make_manifest(version, b"model", "http://x/m", sequence=sequence, expires=expiry())
    return made | fields


def test_a_manifest_changed_after_signing_is_refused(tmp_path):
    key = signing.ensure_key("fleet", tmp_path)
    message = sign_manifest(key, _manifest())
    assert open_manifest(key.public_key(), message)["version"] == "1.0.0"
    with pytest.raises(UpdateRefused, match="signature"):
        open_manifest(key.public_key(), tampered(message, version="9.9.9"))
    other = signing.ensure_key("other", tmp_path)
    with pytest.raises(UpdateRefused, match="signature"):
        open_manifest(other.public_key(), message)


def test_a_file_that_differs_from_the_signed_hash_is_refused():
    manifest = _manifest()
    check_blob(manifest, b"model")
    with pytest.raises(UpdateRefused, match="sha256"):
        check_blob(manifest, b"mode!")
    with pytest.raises(UpdateRefused, match="bytes"):
        check_blob(manifest, b"model, longer")


def test_an_older_or_expired_manifest_is_refused_and_an_equal_one_is_not():
    check_fresh(_manifest(sequence=7), seen=7)  # the same manifest delivered again
    check_fresh(_manifest(sequence=8), seen=7)
    with pytest.raises(UpdateRefused, match="replayed: sequence 6 .* older than sequence 7"):
        check_fresh(_manifest(sequence=6), seen=7)
    past = _manifest(sequence=9, expires="2020-01-01T00:00:00Z")
    with pytest.raises(UpdateRefused, match="expired at 2020-01-01T00:00:00Z"):
        check_fresh(past, seen=7)
    soon = datetime.now(UTC) + timedelta(days=8)
    with pytest.raises(UpdateRefused, match="expired"):
        check_fresh(_manifest(sequence=9), seen=7, now=soon)  # LIFETIME is 7 days


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"sequence": "9"}, "sequence must be a whole number"),
        ({"sequence": True}, "sequence must be a whole number"),
        ({"expires": "next week"}, "expires must be a UTC time"),
        ({"expires": "2030-01-01T00:00:00"}, "expires must be a UTC time"),
    ],
)
def test_a_signed_manifest_with_a_malformed_sequence_or_expiry_is_refused(
    tmp_path, fields, message
):
    key = signing.ensure_key("fleet", tmp_path)
    with pytest.raises(UpdateRefused, match=message):
        open_manifest(key.public_key(), sign_manifest(key, _manifest(**fields)))


def test_a_restarted_device_remembers_the_highest_sequence_it_accepted(tmp_path):
    key = signing.ensure_key("fleet", tmp_path)

    def device() -> Device:
        public = key.public_key()
        return Device("device-a", "pw", tmp_path / "device-a", public, None, None, None)

    newer = sign_manifest(key, _manifest(sequence=5, targets=["device-b"]))
    older = sign_manifest(key, _manifest(sequence=3, targets=["device-a"]))
    assert device().install(newer) is False  # not for this device, but newer than any seen
    restarted = device()
    assert restarted.seen == 5
    with pytest.raises(UpdateRefused, match="replayed: sequence 3"):
        restarted.install(older)


def test_each_device_may_write_only_its_own_state():
    acl = acl_text(["device-a", "device-b"])
    block_a = acl.split("user device-a\n")[1].split("\n\n")[0]
    assert "topic write fleet/state/device-a" in block_a
    assert "device-b" not in block_a and "write fleet/manifest" not in block_a


def test_devices_refuse_tampering_over_the_broker_and_keep_serving(story):
    fleet, steps, _ = story
    online = fleet.size - 1
    assert steps["tampered_manifest_refusals"] >= online
    assert steps["tampered_file_refusals"] >= online
    assert steps["still_serving_after_tampering"]
    reasons = {r.split(":")[0] for d in fleet.devices for r in d.refused}
    assert reasons == {
        "manifest signature refused",
        "model file's sha256 differs from the signed manifest",
        "manifest replayed",  # the stopped 2.0.0 manifest, published again at the end
    }


def test_the_story_ends_with_a_replay_that_every_device_refuses(story):
    fleet, steps, result = story
    replayed = steps["replayed_manifest"]
    assert replayed["refused_by"] == fleet.size == result["refused_replayed_manifest"]
    assert replayed["versions"] == {"1.0.0": fleet.size}
    assert [r.split(":")[0] for r in replayed["reasons"]] == ["manifest replayed"]


def test_bad_release_passes_auc_only_but_stops_at_the_canaries(story):
    _, steps, _ = story
    bad = steps["bad_release"]
    assert bad["auc_only_gate_would_pass"]
    assert not bad["promoted"]
    assert any("decline rate" in p for p in bad["problems"])
    assert all(r["decline_rate"] == 1.0 for r in bad["canary_reports"])


def test_offline_device_catches_up_and_fleet_rolls_back(story):
    fleet, steps, result = story
    assert steps["good_rollout"]["promoted"]
    assert steps["offline_caught_up"]
    assert steps["rolled_back"]
    assert result["versions"] == {"1.0.0": fleet.size}
    installed = {
        json.loads((d.folder / "installed.json").read_text())["version"] for d in fleet.devices
    }
    assert installed == {"1.0.0"}


def test_broker_refuses_anonymous_and_wrong_passwords(story):
    fleet, _, _ = story
    for user, password in ((None, None), ("device-000", "wrong")):
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        if user:
            client.username_pw_set(user, password)
        codes: list = []
        client.on_connect = lambda c, u, f, reason, p, codes=codes: codes.append(reason)
        client.connect(fleet.broker.host, fleet.broker.port)
        client.loop_start()
        assert wait_until(lambda codes=codes: codes, 10)
        client.loop_stop()
        assert codes[0].is_failure


def test_fleet_command_rejects_a_fleet_too_small_for_canaries(capsys):
    from apps import fleet

    with pytest.raises(SystemExit) as stop:
        fleet.main(["--devices", "2"])
    assert stop.value.code == 2
    assert "--devices must be at least 4" in capsys.readouterr().err


def test_fleet_command_ends_with_a_one_line_json_summary(tmp_path, capsys):
    require_in_ci("mosquitto")
    from apps import fleet

    fleet.main(["--devices", "4", "--offline", "1", "--out", str(tmp_path / "fleet")])
    last = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert last["devices"] == 4 and last["versions"] == {"1.0.0": 4}
    assert last["refused_tampered_updates"] >= 6  # 3 online devices, two tampered updates
    assert last["bad_release_stopped_at_canaries"] and last["rolled_back"]
    assert last["refused_replayed_manifest"] == 4
    assert set(last["update_seconds"]) == {"provision", "staged_rollout", "rollback"}
    assert all(seconds > 0 for seconds in last["update_seconds"].values())


# --- the story's fleet, pushed further: each test leaves every device on 1.0.0 ---------------
def _new_refusals(fleet, before: dict[str, int]) -> dict[str, list[str]]:
    return {d.name: d.refused[before[d.name] :] for d in fleet.devices}


def _refused_by_all_or_installed(fleet, before: dict[str, int], version: str) -> bool:
    refused = all(len(d.refused) > before[d.name] for d in fleet.devices)
    return refused or any(d.version == version for d in fleet.devices)


def test_a_replayed_manifest_is_refused_by_every_device_and_a_new_rollback_works(story):
    fleet, _, _ = story
    manager, everyone, canaries = fleet.manager, fleet.names, fleet.names[:2]
    v1, v11, v2 = (fleet.releases[v] for v in ("1.0.0", "1.1.0", "2.0.0"))
    stopped = manager.publish(v2, canaries)  # validly signed; the gate will stop it
    assert manager.wait_for(canaries, "2.0.0", 20)
    assert manager.rollback(v1, everyone, 20)  # a new manifest, pointing at the old model
    before = {d.name: len(d.refused) for d in fleet.devices}
    manager.publish_raw(stopped)  # the same signed bytes, published again later
    wait_until(lambda: _refused_by_all_or_installed(fleet, before, "2.0.0"), 10)
    assert [d.name for d in fleet.devices if d.version == "2.0.0"] == []
    refused = _new_refusals(fleet, before)
    assert all(len(reasons) == 1 for reasons in refused.values()), refused
    assert all(r[0].startswith("manifest replayed: sequence") for r in refused.values())
    manager.publish(v11, everyone)  # the fleet still takes what the manager signs next
    assert manager.wait_for(everyone, "1.1.0", 20)
    assert manager.rollback(v1, everyone, 20)


def test_an_expired_manifest_is_refused_and_does_not_block_the_next_one(story):
    fleet, _, _ = story
    v1, v11 = fleet.releases["1.0.0"], fleet.releases["1.1.0"]
    manifest = {
        "version": "1.1.0",
        "sha256": sha256_of(v11.blob),
        "size": len(v11.blob),
        "url": v11.url,
        "targets": ALL,
        "sequence": 10**12,  # far ahead: had it been accepted, nothing newer would be
        "expires": "2020-01-01T00:00:00Z",
    }
    before = {d.name: len(d.refused) for d in fleet.devices}
    fleet.manager.publish_raw(sign_manifest(fleet.manager.key, manifest))
    wait_until(lambda: _refused_by_all_or_installed(fleet, before, "1.1.0"), 10)
    assert [d.name for d in fleet.devices if d.version == "1.1.0"] == []
    refused = _new_refusals(fleet, before)
    assert all(r[:1] == ["manifest expired at 2020-01-01T00:00:00Z"] for r in refused.values())
    fleet.manager.publish(v11, ALL)
    assert fleet.manager.wait_for(fleet.names, "1.1.0", 20)
    assert fleet.manager.rollback(v1, fleet.names, 20)


class _CountingStream(httpx.SyncByteStream):
    """A response body that counts the bytes the client read from the network."""

    def __init__(self, inner: httpx.SyncByteStream, counts: list[int]):
        self.inner, self.counts = inner, counts

    def __iter__(self):
        for chunk in self.inner:
            self.counts.append(len(chunk))
            yield chunk

    def close(self) -> None:
        self.inner.close()


class _CountingTransport(httpx.HTTPTransport):
    def __init__(self) -> None:
        super().__init__()
        self.counts: list[int] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        response.stream = _CountingStream(response.stream, self.counts)  # type: ignore[arg-type]
        return response


class _EndlessModel(http.server.BaseHTTPRequestHandler):
    """A store that sends a large body with no Content-Length (ended by closing)."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.end_headers()
        try:
            for _ in range(BIG_FILE // 65_536):
                self.wfile.write(b"\0" * 65_536)
        except (BrokenPipeError, ConnectionResetError) as error:
            self.server.cut_off.append(type(error).__name__)  # type: ignore[attr-defined]

    def log_message(self, *args) -> None:
        return


BIG_FILE = 32 * 1024 * 1024


@pytest.mark.parametrize("store", ["model-store", "no-content-length"])
def test_a_file_larger_than_its_manifest_is_refused_after_at_most_one_chunk_more(
    story, tmp_path, store
):
    fleet, _, _ = story
    v1, v11 = fleet.releases["1.0.0"], fleet.releases["1.1.0"]
    if store == "model-store":  # http.server: says the file's length in Content-Length
        url = fleet.store.put("loan-default-3.0.0.onnx", v11.blob + b"\0" * BIG_FILE)
        server = None
    else:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _EndlessModel)
        server.cut_off = []  # type: ignore[attr-defined]  # downloads the device stopped
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_port}/loan-default-3.0.0.onnx"
    clients = {d.name: d.http for d in fleet.devices}
    transports = {d.name: _CountingTransport() for d in fleet.devices}
    for device in fleet.devices:
        device.http = httpx.Client(transport=transports[device.name], timeout=10.0)
    before = {d.name: len(d.refused) for d in fleet.devices}
    try:
        fleet.manager.publish(Release("3.0.0", v11.blob, url), ALL)  # signs v11's size
        wait_until(lambda: _refused_by_all_or_installed(fleet, before, "3.0.0"), 20)
    finally:
        for device in fleet.devices:
            device.http.close()
            device.http = clients[device.name]
        if server is not None:
            server.shutdown()
    read = {name: sum(t.counts) for name, t in transports.items()}
    assert all(len(reasons) == 1 for reasons in _new_refusals(fleet, before).values())
    assert max(read.values()) <= len(v11.blob) + CHUNK_BYTES, read
    assert [d.name for d in fleet.devices if d.version == "3.0.0"] == []
    fleet.manager.publish(v1, ALL)  # a new manifest: everyone stays on (and reports) 1.0.0
    assert fleet.manager.wait_for(fleet.names, "1.0.0", 20)
