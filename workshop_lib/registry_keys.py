"""Where the registry's key comes from: a private key where versions are signed, the public key
where they are only verified.

- On a development machine ``make model`` (``ensure_signing_key``) creates the signing key once,
  in ``runtime/keys/registry.ed25519`` (mode 0600, or under ``WORKBOOK_KEYS_DIR``), with its
  public half beside it in ``registry.ed25519.pub`` (mode 0644), and says so.
- A deployment that only serves needs only to verify: mount the public key read-only and name it
  with ``WORKBOOK_REGISTRY_KEY_FILE`` (the Dockerfile expects ``/run/secrets/registry.pub``).
  The variable may also name a private key (a CI job that registers).

A key is never created silently: a process that finds no key stops and says how to provide one.
A new key would not verify the versions already signed, so the registry would refuse them all.
"""

from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from workshop_lib import paths, signing
from workshop_lib.registry_files import (
    FILE_MODE,
    MAX_KEY_BYTES,
    RegistryError,
    read_regular,
    write_bytes_atomically,
)

KEY_FILE_ENV_VAR = "WORKBOOK_REGISTRY_KEY_FILE"
PURPOSE = "registry"
HOW_TO_PROVIDE = (
    f"set {KEY_FILE_ENV_VAR} to the registry's public key file (registry.ed25519.pub, made "
    "with the signing key by `make model`), mounted read-only, or run `make model` on a "
    "development machine to create the signing key"
)


class RegistryKeyError(RegistryError):
    """The registry's key is missing or is not a key; the message says how to provide one."""


def private_key_path() -> Path:
    """The development machine's signing key (under ``signing.KEYS_DIR``)."""
    return signing.key_path(PURPOSE)


def public_key_path() -> Path:
    """The public half of the signing key, beside it: what a deployment mounts."""
    path = private_key_path()
    return path.with_name(path.name + ".pub")


def read_key(path: Path) -> Ed25519PrivateKey | Ed25519PublicKey:
    """A key file: 32 raw bytes are a private key; base64 text of 32 bytes a public key."""
    try:
        raw = read_regular(path, MAX_KEY_BYTES, follow_symlinks=True)
    except RegistryError as error:
        raise RegistryKeyError(f"registry key {error}") from error
    if len(raw) == 32:
        return Ed25519PrivateKey.from_private_bytes(raw)
    try:
        public = base64.b64decode(raw.strip(), validate=True)
    except (binascii.Error, ValueError):
        public = b""
    if len(public) != 32:
        raise RegistryKeyError(
            f"registry key {path} is {len(raw)} bytes: neither a raw 32-byte Ed25519 private "
            f"key nor the base64 text of a 32-byte public key; {HOW_TO_PROVIDE}"
        )
    return Ed25519PublicKey.from_public_bytes(public)


def _configured() -> Path | None:
    named = os.environ.get(KEY_FILE_ENV_VAR, "").strip()
    return Path(named) if named else None


def _read_or_explain(path: Path, named: bool) -> Ed25519PrivateKey | Ed25519PublicKey:
    try:
        return read_key(path)
    except FileNotFoundError:
        source = f"{KEY_FILE_ENV_VAR}={path}" if named else str(path)
        raise RegistryKeyError(f"no registry key at {source}; {HOW_TO_PROVIDE}") from None


def signing_key() -> Ed25519PrivateKey:
    """The private key that signs new versions; a ``RegistryKeyError`` saying how if none."""
    configured = _configured()
    key = _read_or_explain(configured or private_key_path(), configured is not None)
    if not isinstance(key, Ed25519PrivateKey):
        raise RegistryKeyError(
            f"{KEY_FILE_ENV_VAR}={configured} is a public key: it verifies versions but cannot "
            "sign new ones; registering needs the private key"
        )
    return key


def verification_key() -> Ed25519PublicKey:
    """The public key that verifies versions: ``WORKBOOK_REGISTRY_KEY_FILE``, else the
    development machine's key pair; a ``RegistryKeyError`` saying how to provide one if none."""
    configured = _configured()
    if configured is not None:
        key = _read_or_explain(configured, named=True)
    elif private_key_path().exists():
        key = _read_or_explain(private_key_path(), named=False)
    else:
        key = _read_or_explain(public_key_path(), named=False)
    return key.public_key() if isinstance(key, Ed25519PrivateKey) else key


def create_signing_key() -> Path:
    """Create the signing key (mode 0600) and its public half; refuse to replace either."""
    path = private_key_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    raw = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise RegistryKeyError(f"{path} exists already: a key is never replaced") from None
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(raw)
    public = (signing.public_key_text(key) + "\n").encode()
    write_bytes_atomically(public_key_path(), public, FILE_MODE)
    return path


def ensure_signing_key(registry_has_versions: bool = False) -> Ed25519PrivateKey:
    """The signing key; on a development machine with none yet, create it and say so.

    Never when ``WORKBOOK_REGISTRY_KEY_FILE`` names a key (a deployment), nor when the registry
    already holds versions: a new key would refuse them all, so the missing key must be restored.
    """
    if _configured() is not None:
        return signing_key()
    if private_key_path().exists():
        key = signing_key()
        if not public_key_path().exists():  # a key made before the public half was written
            public = (signing.public_key_text(key) + "\n").encode()
            write_bytes_atomically(public_key_path(), public, FILE_MODE)
        return key
    if registry_has_versions:
        raise RegistryKeyError(
            f"the registry holds versions but its signing key {private_key_path()} is missing: "
            "restore it (a new key would refuse every version), or `make reset` to start afresh"
        )
    path = create_signing_key()
    print(
        f"created a new registry signing key: {paths.shown(path)} (private: keep it out of "
        f"images and repositories); a service verifies with {paths.shown(public_key_path())} "
        f"({KEY_FILE_ENV_VAR})"
    )
    return signing_key()
