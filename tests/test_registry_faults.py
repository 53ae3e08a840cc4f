"""The registry against someone who can write its folder, and against concurrent processes.

Every test works on a real registry (real skops files, real Ed25519 signatures, real processes).
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from helpers import register_again

from apps import pipeline as pipeline_cli
from workshop_lib import signing
from workshop_lib.realtime.serving import ModelService, ServiceSettings
from workshop_lib.registry import (
    METADATA_NAME,
    PRODUCTION,
    STAGES_NAME,
    IntegrityError,
    Registry,
    RegistryError,
    sha256_of,
)
from workshop_lib.registry_integrity import SIGNATURE_NAME


def metadata_path(registry: Registry, version: str) -> Path:
    return registry.root / version / METADATA_NAME


def rewrite_metadata(registry: Registry, version: str, resign: bool = False, **changes) -> None:
    """Change fields of a version's metadata, as someone who can write the folder would.

    With ``resign`` the change is signed with the registry's own key: someone who holds the key
    (or a bug in the workbook) - the checks on the fields must still hold.
    """
    path = metadata_path(registry, version)
    metadata = {**json.loads(path.read_text()), **changes}
    path.write_text(json.dumps(metadata))
    if resign:
        signature = json.loads((path.parent / SIGNATURE_NAME).read_text())
        signature["signature"] = signing.sign(registry.key, signing.canonical_json(metadata))
        (path.parent / SIGNATURE_NAME).write_text(json.dumps(signature))


# -- signatures ------------------------------------------------------------------------------
def test_each_version_is_signed_with_a_key_outside_the_registry(registry, signing_keys):
    signature = json.loads((registry.root / "1.0.0" / SIGNATURE_NAME).read_text())
    assert signature["signed_by"] == signing.public_key_text(registry.key)
    metadata = json.loads(metadata_path(registry, "1.0.0").read_text())
    signing.verify(
        registry.key.public_key(), signing.canonical_json(metadata), signature["signature"]
    )
    key_file = signing.key_path("registry")
    assert key_file.is_file() and key_file.parent == signing_keys
    assert not key_file.resolve().is_relative_to(registry.root.resolve())


def test_a_threshold_changed_in_the_metadata_is_refused(registry):
    rewrite_metadata(registry, "1.0.0", threshold=1.01)  # would approve every applicant
    with pytest.raises(IntegrityError, match="changed after it was signed"):
        registry.load(PRODUCTION)
    with pytest.raises(IntegrityError, match="does not verify"):
        registry.verify("1.0.0")


def test_a_replaced_artifact_with_a_rewritten_sha256_is_refused(registry):
    artifact = registry.root / "1.0.0" / "model.skops"
    content = bytearray(artifact.read_bytes())
    content[len(content) // 2] ^= 0xFF
    artifact.write_bytes(bytes(content))
    rewrite_metadata(registry, "1.0.0", sha256=sha256_of(artifact))  # the checksum "agrees"
    with pytest.raises(IntegrityError, match="does not verify"):
        registry.load(PRODUCTION)


def test_a_version_without_a_signature_is_refused(registry):
    (registry.root / "1.0.0" / SIGNATURE_NAME).unlink()
    with pytest.raises(IntegrityError, match="has no signature"):
        registry.load("1.0.0")


def test_a_version_signed_with_another_key_is_refused(registry, trained, tmp_path):
    stranger = Registry(tmp_path / "stranger", key=Ed25519PrivateKey.generate())
    version = register_again(stranger, trained)
    stranger.load(version)  # its own key accepts it
    shutil.copytree(stranger.root / version, registry.root / "1.1.0")  # planted as 1.1.0
    with pytest.raises(IntegrityError, match="another key"):
        registry.promote("1.1.0")
    assert registry.stage() == "1.0.0" and registry.versions() == ["1.0.0"]


def test_a_refused_reload_keeps_the_model_that_serves(registry):
    service = ModelService(ServiceSettings(registry_root=registry.root))
    rewrite_metadata(registry, "1.0.0", threshold=None)
    with pytest.raises(IntegrityError):
        service.reload()
    assert service.version == "1.0.0" and 0 < service.model.loaded.threshold < 1


# -- metadata fields and paths ---------------------------------------------------------------
@pytest.mark.parametrize("threshold", [None, "abc", 1.01, -0.1, True, math.nan])
def test_a_bad_threshold_is_refused_even_when_signed(registry, threshold):
    rewrite_metadata(registry, "1.0.0", resign=True, threshold=threshold)
    with pytest.raises(RegistryError, match=r"threshold must be a number in \[0, 1\]"):
        registry.load(PRODUCTION)


def test_a_bad_threshold_is_refused_at_registration(tmp_path, trained):
    with pytest.raises(RegistryError, match="threshold"):
        Registry(tmp_path).register(
            trained.model, metrics={}, data_fingerprint="f", kind="k", threshold=1.5
        )
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("outside", ["../outside", "/tmp/outside", "1.0.0/../../outside"])
def test_only_semantic_versions_inside_the_registry_are_promoted(registry, outside):
    twin = registry.root.parent / "outside"
    shutil.copytree(registry.root / "1.0.0", twin)  # a valid, signed copy outside the registry
    with pytest.raises(RegistryError, match="not a semantic version"):
        registry.promote(outside)
    with pytest.raises(RegistryError, match="neither a semantic version"):
        registry.load(outside)
    assert registry.stage() == "1.0.0" and len(registry.history()) == 1


@pytest.mark.parametrize(
    "artifact", ["/etc/hostname", "../1.1.0/model.skops", "..", "sub/model.skops", 7]
)
def test_an_artifact_outside_the_version_folder_is_refused(registry, artifact):
    rewrite_metadata(registry, "1.0.0", resign=True, artifact=artifact)
    with pytest.raises(IntegrityError, match="not a plain file name"):
        registry.load(PRODUCTION)


def test_a_stage_pointing_outside_the_registry_is_refused(registry):
    stages = json.loads((registry.root / STAGES_NAME).read_text())
    stages[PRODUCTION]["stack"].append("../outside")
    (registry.root / STAGES_NAME).write_text(json.dumps(stages))
    with pytest.raises(RegistryError, match=f"{STAGES_NAME}: stage 'production'"):
        registry.load(PRODUCTION)


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", '{"production": []}'])
def test_an_invalid_stages_file_is_a_clear_error_naming_it(registry, content):
    (registry.root / STAGES_NAME).write_text(content)
    with pytest.raises(RegistryError, match=str(registry.root / STAGES_NAME)):
        registry.load(PRODUCTION)


# -- rollback --------------------------------------------------------------------------------
def test_rollback_to_a_deleted_version_is_refused(registry, trained, capsys):
    second = register_again(registry, trained)
    registry.promote(second)
    shutil.rmtree(registry.root / "1.0.0")
    with pytest.raises(RegistryError, match="cannot roll production back to 1.0.0"):
        registry.rollback()
    assert registry.stage() == second and len(registry.history()) == 2
    assert pipeline_cli.main(["--registry", str(registry.root), "rollback"]) == 2
    output = capsys.readouterr()
    assert "PASS" not in output.out and "not registered" in output.err
    assert registry.load().version == second


# -- concurrent promotions -------------------------------------------------------------------
PROMOTER = textwrap.dedent(
    """
    import sys, time
    from workshop_lib.registry import Registry
    root, stage, start, count = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
    registry = Registry(root)
    while time.time() < start:
        time.sleep(0.001)
    for i in range(count):
        registry.promote(("1.0.0", "1.1.0")[i % 2], stage, reason=f"{stage} {i}")
    """
)


def test_promotions_from_two_processes_at_once_lose_no_history(registry, trained):
    register_again(registry, trained)
    start = time.time() + 3  # both processes are imported and waiting by then
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", PROMOTER, str(registry.root), stage, str(start), "30"],
            stderr=subprocess.PIPE,
            text=True,
        )
        for stage in ("canary", "shadow")  # different stages, one stages.json
    ]
    for worker in workers:
        _, errors = worker.communicate(timeout=120)
        assert worker.returncode == 0, errors
    for stage in ("canary", "shadow"):
        reasons = [entry["reason"] for entry in registry.history(stage)]
        assert reasons == [f"{stage} {i}" for i in range(30)]
    assert len(registry.history(PRODUCTION)) == 1
