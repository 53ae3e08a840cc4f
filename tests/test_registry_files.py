"""What someone who can write the registry folder plants in it, on the real registry on disk.

Symbolic links to ``/dev/zero``, FIFOs and folders where files should be, oversized and deeply
nested files, an empty folder named like a version, and a full disk under a promotion: each is
refused quickly with an error naming the file, and nothing half-written stays behind.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from helpers import promoted_registry, register_again

from apps import pipeline as pipeline_cli
from workshop_lib.registry import PRODUCTION, STAGES_NAME, IntegrityError, Registry, RegistryError
from workshop_lib.registry_files import MAX_STAGES_BYTES
from workshop_lib.schema import EXAMPLE_APPLICATION
from workshop_lib.support.servers import start_uvicorn


def link_to_dev_zero(path: Path) -> None:
    path.unlink()
    path.symlink_to("/dev/zero")


def fifo(path: Path) -> None:
    path.unlink()
    os.mkfifo(path)


def folder(path: Path) -> None:
    path.unlink()
    path.mkdir()


PLANTS: dict[str, Callable[[Path], None]] = {
    "a symbolic link": link_to_dev_zero,
    "a FIFO": fifo,
    "a folder": folder,
}


@pytest.mark.parametrize("name", [STAGES_NAME, "1.0.0/model.skops", "1.0.0/metadata.json"])
@pytest.mark.parametrize("plant", list(PLANTS))
def test_anything_but_a_regular_file_is_refused_quickly(registry, name, plant):
    path = registry.root / name
    PLANTS[plant](path)
    started = time.perf_counter()
    with pytest.raises(RegistryError) as refused:
        registry.load(PRODUCTION)
    assert time.perf_counter() - started < 10
    assert str(path) in str(refused.value)
    assert plant in str(refused.value) or "not a regular file" in str(refused.value)


def test_every_read_is_capped_and_the_error_names_the_file_and_the_cap(registry):
    stages = registry.root / STAGES_NAME
    padded = stages.read_bytes() + b" " * MAX_STAGES_BYTES  # valid JSON, just too large
    stages.write_bytes(padded)
    with pytest.raises(RegistryError, match=f"{MAX_STAGES_BYTES:,} bytes allowed") as refused:
        registry.stage(PRODUCTION)
    assert str(stages) in str(refused.value)
    stages.write_bytes(padded.rstrip() + b"\n")

    artifact = registry.root / "1.0.0" / "model.skops"
    recorded = artifact.stat().st_size
    with artifact.open("r+b") as handle:
        handle.truncate(4 << 30)  # 4 GiB, sparse: refused from its size, never read
    started = time.perf_counter()
    with pytest.raises(IntegrityError, match=f"{recorded:,} bytes allowed"):
        registry.load(PRODUCTION)
    assert time.perf_counter() - started < 5


def test_a_deeply_nested_stages_file_is_a_clear_registry_error(registry):
    (registry.root / STAGES_NAME).write_text("[" * 100_000)
    with pytest.raises(RegistryError, match="nested too deeply"):
        registry.stage(PRODUCTION)


def test_an_empty_planted_version_folder_is_no_version(registry, trained, capsys):
    (registry.root / "999.0.0").mkdir()
    assert registry.versions() == ["1.0.0"]
    assert pipeline_cli.main(["--registry", str(registry.root), "--no-mlflow", "history"]) == 0
    assert "1.0.0" in capsys.readouterr().out
    assert register_again(registry, trained) == "1.1.0"
    with pytest.raises(RegistryError, match="'999.0.0' is not registered"):
        registry.promote("999.0.0")


# -- a full disk -------------------------------------------------------------------------------
@pytest.fixture
def tiny_disk(tmp_path) -> Iterator[Path]:
    """A real 16 MiB tmpfs, unmounted afterwards (skipped where mounting is not permitted)."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.strip()}); needs root")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=True)


def fill(folder: Path) -> None:
    """Write until the file system is full."""
    with (folder / "filler").open("wb") as handle:
        try:
            while True:
                handle.write(b"\0" * 65536)
                handle.flush()
        except OSError as error:
            assert error.errno == 28  # ENOSPC: the disk is full


def test_a_promotion_on_a_full_disk_leaves_no_temporary_file(tiny_disk, trained, small_frames):
    registry = promoted_registry(tiny_disk / "models", trained, small_frames)
    second = register_again(registry, trained)
    before = sorted(p.name for p in registry.root.iterdir())
    stages = (registry.root / STAGES_NAME).read_bytes()
    fill(tiny_disk)
    with pytest.raises(RegistryError, match="No space left on device"):
        registry.promote(second, PRODUCTION)
    with pytest.raises((RegistryError, OSError)):
        register_again(Registry(registry.root), trained)
    assert sorted(p.name for p in registry.root.iterdir()) == before  # no tmp*, no .staging-*
    assert (registry.root / STAGES_NAME).read_bytes() == stages
    assert registry.stage(PRODUCTION) == "1.0.0"


# -- the live service --------------------------------------------------------------------------
@pytest.mark.slow
def test_the_live_service_refuses_a_planted_registry_quickly_and_still_stops(
    registry, tmp_path, signing_keys
):
    keys = tmp_path / "keys"
    keys.mkdir()
    key_file = keys / "registry.ed25519"
    shutil.copy(signing_keys / "registry.ed25519", key_file)
    stages, artifact = registry.root / STAGES_NAME, registry.root / "1.0.0" / "model.skops"
    signed = {path: path.read_bytes() for path in (stages, artifact, key_file)}
    plants: dict[str, Callable[[], None]] = {
        "stages.json -> /dev/zero": lambda: link_to_dev_zero(stages),
        "model.skops -> /dev/zero": lambda: link_to_dev_zero(artifact),
        "model.skops is a FIFO": lambda: fifo(artifact),
        "stages.json nested 100,000 deep": lambda: stages.write_text("[" * 100_000),
        "a 31-byte key": lambda: key_file.write_bytes(signed[key_file][:31]),
    }
    env = {
        "MODEL_REGISTRY": str(registry.root),
        "PREDICTION_LOG": str(tmp_path / "log.jsonl"),
        "ADMIN_TOKEN": "planted-token",
        "WORKBOOK_KEYS_DIR": str(keys),
    }
    answers, served = {}, []
    with start_uvicorn(env=env, name="planted-api") as server:
        for case, plant in plants.items():
            plant()
            started = time.perf_counter()
            try:
                reply = httpx.post(
                    f"{server.url}/admin/reload",
                    headers={"Authorization": "Bearer planted-token"},
                    timeout=20,
                )
                answers[case] = (
                    reply.status_code,
                    reply.headers.get("content-type"),
                    round(time.perf_counter() - started, 1),
                )
            except httpx.TimeoutException:
                answers[case] = (None, "no answer in 20 s", 20.0)
            for path, content in signed.items():
                path.unlink()
                path.write_bytes(content)
            predict = httpx.post(f"{server.url}/predict", json=EXAMPLE_APPLICATION, timeout=20)
            served.append(predict.json().get("model_version"))
        stopped = server.stop(timeout=10)
    print(answers)
    assert all(status == 503 and "json" in str(kind) for status, kind, _ in answers.values()), (
        answers
    )
    assert served == ["1.0.0"] * len(plants)
    assert stopped == -15  # SIGTERM stopped it cleanly (not SIGKILL after 10 s)
