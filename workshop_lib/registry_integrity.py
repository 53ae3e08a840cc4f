"""What makes a registered version trustworthy: its signature and the fields a load relies on.

A sha256 stored next to a file only catches accidents: whoever can rewrite the file can rewrite
the checksum too. So the registry signs each version's whole ``metadata.json`` (threshold and
artifact sha256 included) with an Ed25519 key kept outside the registry folder
(:mod:`workshop_lib.signing`), and checks before every load and promotion:

1. the signature (``metadata.sig.json``) verifies with the registry's key;
2. the fields are sane: the folder's own semantic version, an artifact that is one plain file
   name inside the version's folder, a 64-hex sha256, a threshold in [0, 1];
3. the artifact's bytes, and its ONNX export's, have their recorded sha256.

``read_verified`` reads each file once, checks those bytes and returns them: the registry loads
what it checked, never the path again (someone who can write the folder could swap the file
in between).
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from workshop_lib import signing
from workshop_lib.registry_files import (
    MAX_ARTIFACT_BYTES,
    MAX_JSON_BYTES,
    IntegrityError,
    RegistryError,
    is_real_folder,
    parse_json_object,
    read_json_object,
    read_regular,
    write_json_atomically,
)

METADATA_NAME = "metadata.json"
SIGNATURE_NAME = "metadata.sig.json"
_FILE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,99}$")  # one name: no folder, no ".."
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_threshold(value: Any, where: str) -> float:
    """A decision threshold: a number in [0, 1]; anything else is a ``RegistryError``."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or not 0 <= value <= 1
    ):
        raise RegistryError(f"{where}: the threshold must be a number in [0, 1], not {value!r}")
    return float(value)


def sign_version(folder: Path, key: Ed25519PrivateKey) -> None:
    """Sign the folder's metadata as stored (read back: what is verified is what was signed)."""
    metadata = read_json_object(folder / METADATA_NAME)
    signature = {
        "algorithm": "ed25519",
        "signed_by": signing.public_key_text(key),
        "signature": signing.sign(key, signing.canonical_json(metadata)),
    }
    write_json_atomically(folder / SIGNATURE_NAME, signature)


def check_signature(folder: Path, metadata: dict[str, Any], key: Ed25519PublicKey) -> None:
    """An ``IntegrityError`` unless ``metadata`` is what ``key`` signed for this folder."""
    version = folder.name
    path = folder / SIGNATURE_NAME
    try:
        stored = read_json_object(path)
    except FileNotFoundError:
        raise IntegrityError(
            f"model {version} has no signature ({SIGNATURE_NAME}), so it will not be loaded: "
            "it was registered before the registry signed its versions, or the signature "
            "was removed. Register it again (`make reset` then `make model` rebuilds the "
            "default registry)"
        ) from None
    signature = stored.get("signature")
    try:
        signing.verify(
            key,
            signing.canonical_json(metadata),
            signature if isinstance(signature, str) else None,
        )
    except signing.SignatureError as error:
        if stored.get("signed_by") != signing.public_key_text(key):
            cause = "it was signed with another key than this registry's"
        else:
            cause = f"{METADATA_NAME} was changed after it was signed"
        raise IntegrityError(
            f"model {version}: the signature of {METADATA_NAME} does not verify ({cause}), "
            "so it will not be loaded"
        ) from error


def checked_artifact_name(version: str, metadata: dict[str, Any]) -> str:
    """The artifact's file name, after checking the signed fields a load relies on."""
    if metadata.get("version") != version:
        raise IntegrityError(
            f"model {version}: its metadata says version {metadata.get('version')!r}"
        )
    name = metadata.get("artifact")
    if not isinstance(name, str) or not _FILE_NAME.match(name):
        raise IntegrityError(
            f"model {version}: artifact {name!r} is not a plain file name inside the version's "
            "folder (no folders, no '..', no absolute path), so it will not be loaded"
        )
    sha256 = metadata.get("sha256")
    if not isinstance(sha256, str) or not _SHA256.match(sha256):
        raise IntegrityError(f"model {version}: sha256 {sha256!r} is not a hex sha256")
    check_threshold(metadata.get("threshold"), f"model {version}")
    return name


@dataclass(frozen=True)
class VersionFiles:
    """One version read once from disk and verified: what is loaded is exactly what was checked.

    Checking a file by its path and then loading it by its path again lets someone who can
    write the folder swap the file in between; so the bytes are read once, checked, and kept.
    """

    metadata: dict[str, Any]
    artifact: bytes = field(repr=False)
    onnx: bytes | None = field(default=None, repr=False)


def read_signed_metadata(folder: Path, key: Ed25519PublicKey) -> dict[str, Any]:
    """A version's metadata, read once, if ``key`` signed it and its fields are sane.

    A ``FileNotFoundError`` if the folder has no ``metadata.json``; an ``IntegrityError`` if the
    folder is a symbolic link or its metadata is not what was signed.
    """
    if folder.is_symlink():
        raise IntegrityError(f"model {folder.name}: its folder is a symbolic link: refused")
    if not is_real_folder(folder):
        raise FileNotFoundError(folder)
    path = folder / METADATA_NAME
    try:
        raw = read_regular(path, MAX_JSON_BYTES)
    except RegistryError as error:
        raise IntegrityError(f"model {folder.name}: {error}") from error
    metadata = parse_json_object(raw, path)
    check_signature(folder, metadata, key)
    checked_artifact_name(folder.name, metadata)
    return metadata


def _read_recorded(folder: Path, name: str, sha256: str, size: Any, what: str) -> bytes:
    """The bytes of a recorded file, read once (capped at its recorded size), if they match."""
    version = folder.name
    valid_size = isinstance(size, int) and not isinstance(size, bool) and size >= 0
    cap = min(size, MAX_ARTIFACT_BYTES) if valid_size else MAX_ARTIFACT_BYTES
    try:
        content = read_regular(folder / name, cap)
    except FileNotFoundError:
        raise IntegrityError(f"model {version}: {what} {name} is missing") from None
    except RegistryError as error:
        raise IntegrityError(f"model {version}: {what}: {error}") from error
    actual = hashlib.sha256(content).hexdigest()
    if actual != sha256:
        raise IntegrityError(
            f"model {version}: sha256 of {what} {name} is {actual[:12]}…, but the registry "
            f"recorded {sha256[:12]}…: the file was changed or truncated after registration, "
            "so it will not be loaded"
        )
    return content


def read_verified(folder: Path, key: Ed25519PublicKey) -> VersionFiles:
    """Every file of a version read once and checked: signature, fields, sha256 of each file.

    Any failure (the model, or its ONNX export) refuses the whole version.
    """
    metadata = read_signed_metadata(folder, key)
    artifact = _read_recorded(
        folder, metadata["artifact"], metadata["sha256"], metadata.get("size_bytes"), "the model"
    )
    export = metadata.get("onnx") or {}
    if not isinstance(export, dict) or "artifact" not in export:
        return VersionFiles(metadata, artifact)
    name, sha256 = export.get("artifact"), export.get("sha256")
    if not (
        isinstance(name, str)
        and _FILE_NAME.match(name)
        and isinstance(sha256, str)
        and _SHA256.match(sha256)
    ):
        raise IntegrityError(
            f"model {folder.name}: its ONNX export entry {export!r} is not a plain file name "
            "with a hex sha256, so it will not be loaded"
        )
    onnx = _read_recorded(folder, name, sha256, export.get("size_bytes"), "its ONNX export")
    return VersionFiles(metadata, artifact, onnx)
