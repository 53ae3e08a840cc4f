"""The fleet on a real mosquitto: signatures, hashes, ACL, offline catch-up, rollback."""

from __future__ import annotations

import json

import paho.mqtt.client as mqtt
import pytest
from helpers import require_in_ci

from workshop_lib import signing
from workshop_lib.edge.fleet_broker import acl_text
from workshop_lib.edge.fleet_device import wait_until
from workshop_lib.edge.fleet_manifest import (
    UpdateRefused,
    check_blob,
    make_manifest,
    open_manifest,
    sign_manifest,
)
from workshop_lib.edge.fleet_rollout import Fleet, run_story, summary, tampered


@pytest.fixture(scope="module")
def story(tmp_path_factory):
    require_in_ci("mosquitto")
    with Fleet(tmp_path_factory.mktemp("fleet"), 5) as fleet:
        steps = run_story(fleet, offline=1, timeout=20)
        yield fleet, steps, summary(fleet, steps)


def test_a_manifest_changed_after_signing_is_refused(tmp_path):
    key = signing.ensure_key("fleet", tmp_path)
    message = sign_manifest(key, make_manifest("1.0.0", b"model", "http://x/m"))
    assert open_manifest(key.public_key(), message)["version"] == "1.0.0"
    with pytest.raises(UpdateRefused, match="signature"):
        open_manifest(key.public_key(), tampered(message, version="9.9.9"))
    other = signing.ensure_key("other", tmp_path)
    with pytest.raises(UpdateRefused, match="signature"):
        open_manifest(other.public_key(), message)


def test_a_file_that_differs_from_the_signed_hash_is_refused():
    manifest = make_manifest("1.0.0", b"model", "http://x/m")
    check_blob(manifest, b"model")
    with pytest.raises(UpdateRefused, match="sha256"):
        check_blob(manifest, b"mode!")
    with pytest.raises(UpdateRefused, match="bytes"):
        check_blob(manifest, b"model, longer")


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
    }


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
    assert set(last["update_seconds"]) == {"provision", "staged_rollout", "rollback"}
    assert all(seconds > 0 for seconds in last["update_seconds"].values())
