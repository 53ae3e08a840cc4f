"""What makes a registered version trustworthy: its signature and the fields a load relies on.

A sha256 stored next to a file only catches accidents: whoever can rewrite the file can rewrite
the checksum too. So the registry signs each version's whole ``metadata.json`` (threshold and
artifact sha256 included) with an Ed25519 key kept outside the registry folder
(:mod:`workshop_lib.signing`), and checks before every load and promotion:

1. the signature (``metadata.sig.json``) verifies with the registry's key;
2. the fields are sane: the folder's own semantic version, an artifact that is one plain file
   name inside the version's folder, a 64-hex sha256, a threshold in [0, 1];
3. (in :meth:`Registry.verify`) the artifact's bytes have that sha256.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from workshop_lib import signing

METADATA_NAME = "metadata.json"
SIGNATURE_NAME = "metadata.sig.json"
_FILE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,99}$")  # one name: no folder, no ".."
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class RegistryError(RuntimeError):
    """Something asked of the registry cannot be done; the message says what and why."""


class IntegrityError(RegistryError):
    """A version is not what was registered (tampered, truncated, unsigned or untrusted)."""


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def write_json_atomically(path: Path, content: Any) -> None:
    """Write JSON aside, then rename: readers see the old file or the new one, never half."""
    with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".tmp") as tmp:
        json.dump(content, tmp, indent=2, sort_keys=True)
        tmp.write("\n")
    os.replace(tmp.name, path)


def read_json_object(path: Path) -> dict[str, Any]:
    """A JSON object from ``path``; a ``RegistryError`` naming the file if it is not one."""
    try:
        content = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise RegistryError(
            f"{path} is not valid JSON ({error}); restore it, or delete it and register again"
        ) from error
    if not isinstance(content, dict):
        raise RegistryError(f"{path} must hold a JSON object, not {type(content).__name__}")
    return content


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


def check_signature(folder: Path, metadata: dict[str, Any], key: Ed25519PrivateKey) -> None:
    """An ``IntegrityError`` unless ``metadata`` is what ``key`` signed for this folder."""
    version = folder.name
    path = folder / SIGNATURE_NAME
    if not path.exists():
        raise IntegrityError(
            f"model {version} has no signature ({SIGNATURE_NAME}), so it will not be loaded: "
            "it was registered before the registry signed its versions, or the signature "
            "was removed. Register it again (`make reset` then `make model` rebuilds the "
            "default registry)"
        )
    stored = read_json_object(path)
    signature = stored.get("signature")
    try:
        signing.verify(
            key.public_key(),
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
