"""Where the registry's key comes from: never made up where versions are only verified."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from helpers import register_again

from workshop_lib import registry_keys, signing
from workshop_lib.registry import PRODUCTION, Registry, RegistryError
from workshop_lib.registry_keys import KEY_FILE_ENV_VAR, RegistryKeyError


@pytest.fixture
def no_keys(tmp_path, monkeypatch) -> Path:
    """A machine without the registry's key (an empty keys folder, no key variable)."""
    folder = tmp_path / "no-keys"
    monkeypatch.setattr(signing, "KEYS_DIR", folder)
    monkeypatch.delenv(KEY_FILE_ENV_VAR, raising=False)
    return folder


def test_a_missing_key_is_never_made_up_by_a_process_that_verifies(registry, no_keys):
    with pytest.raises(RegistryKeyError, match=f"no registry key.*{KEY_FILE_ENV_VAR}"):
        Registry(registry.root).load(PRODUCTION)
    assert not no_keys.exists()  # nothing was created


def test_a_registry_with_versions_never_gets_a_new_signing_key(registry, trained, no_keys):
    with pytest.raises(RegistryKeyError, match="restore it"):
        register_again(Registry(registry.root), trained)
    assert not no_keys.exists()


def test_the_first_registration_on_a_new_machine_creates_the_key_and_says_so(
    tmp_path, trained, no_keys, capsys
):
    fresh = Registry(tmp_path / "models")
    assert register_again(fresh, trained) == "1.0.0"
    said = capsys.readouterr().out
    assert "created a new registry signing key" in said and str(no_keys) in said
    private, public = registry_keys.private_key_path(), registry_keys.public_key_path()
    assert private.stat().st_mode & 0o777 == 0o600 and public.stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "models" / "1.0.0").stat().st_mode & 0o777 == 0o755
    assert all(p.stat().st_mode & 0o777 == 0o644 for p in (tmp_path / "models" / "1.0.0").iterdir())


def test_a_public_key_verifies_but_cannot_sign(registry, trained, tmp_path, monkeypatch):
    public = tmp_path / "registry.pub"
    shutil.copy(registry_keys.public_key_path(), public)
    monkeypatch.setenv(KEY_FILE_ENV_VAR, str(public))
    assert Registry(registry.root).load(PRODUCTION).version == "1.0.0"
    with pytest.raises(RegistryKeyError, match="cannot sign"):
        register_again(Registry(registry.root), trained)


@pytest.mark.parametrize("content", [b"x" * 31, b"", b"not base64 at all!" * 3])
def test_a_key_file_that_is_not_a_key_is_a_clear_registry_error(
    registry, tmp_path, monkeypatch, content
):
    bad = tmp_path / "registry.key"
    bad.write_bytes(content)
    monkeypatch.setenv(KEY_FILE_ENV_VAR, str(bad))
    with pytest.raises(RegistryError, match=f"{len(content)} bytes: neither"):
        Registry(registry.root).load(PRODUCTION)
