"""What a device is told to run: a signed manifest, and the file store it downloads from.

A manifest names a model version, the sha256 and size of its file, where to download it, and
which devices it is for (``targets``: a list of names, or ``"all"``). The manager signs it with
the fleet's Ed25519 key (``workshop_lib.signing``); a device holds only the public key, so a
manifest changed on the way (or published by anyone without the key) is refused, and the
signed sha256 then proves the downloaded file is the one the manager released.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from workshop_lib import signing
from workshop_lib.support import servers

ALL = "all"


class UpdateRefused(RuntimeError):
    """A manifest or model file that a device must not install; the message says why."""


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def make_manifest(
    version: str, blob: bytes, url: str, targets: list[str] | str = ALL
) -> dict[str, Any]:
    """The unsigned manifest of ``blob`` released as ``version``, for ``targets``."""
    return {
        "version": version,
        "sha256": sha256_of(blob),
        "size": len(blob),
        "url": url,
        "targets": targets,
    }


def sign_manifest(key: Ed25519PrivateKey, manifest: dict[str, Any]) -> bytes:
    """The message to publish: the manifest and its signature, as JSON bytes."""
    signature = signing.sign(key, signing.canonical_json(manifest))
    return json.dumps({"manifest": manifest, "signature": signature}).encode()


def open_manifest(public: Ed25519PublicKey, message: bytes) -> dict[str, Any]:
    """The manifest inside a published message, or ``UpdateRefused`` if it is not signed by us."""
    try:
        envelope = json.loads(message)
        manifest, signature = envelope["manifest"], envelope["signature"]
    except (ValueError, KeyError, TypeError) as error:
        raise UpdateRefused(f"not a manifest message: {error}") from error
    try:
        signing.verify(public, signing.canonical_json(manifest), signature)
    except signing.SignatureError as error:
        raise UpdateRefused(f"manifest signature refused: {error}") from error
    missing = {"version", "sha256", "size", "url", "targets"} - set(manifest)
    if missing:
        raise UpdateRefused(f"manifest lacks {sorted(missing)}")
    return manifest


def check_blob(manifest: dict[str, Any], blob: bytes) -> None:
    """``UpdateRefused`` unless ``blob`` has the size and sha256 the signed manifest names."""
    if len(blob) != manifest["size"]:
        raise UpdateRefused(f"model file is {len(blob)} bytes, manifest says {manifest['size']}")
    if sha256_of(blob) != manifest["sha256"]:
        raise UpdateRefused("model file's sha256 differs from the signed manifest")


def is_for(manifest: dict[str, Any], device: str) -> bool:
    targets = manifest["targets"]
    return targets == ALL or device in targets


class ModelStore:
    """A folder of model files served over HTTP on loopback (Python's ``http.server``)."""

    def __init__(self, folder: Path | str):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.server = servers.start_server(
            [sys.executable, "-m", "http.server", "{port}", "--bind", "{host}"],
            name="model-store",
            health_path="/",
            cwd=self.folder,
        )

    def put(self, name: str, blob: bytes) -> str:
        """Store ``blob`` as ``name`` (atomically); return its download URL."""
        temporary = self.folder / f".{name}.tmp"
        temporary.write_bytes(blob)
        temporary.replace(self.folder / name)
        return f"{self.server.url}/{name}"

    def stop(self) -> None:
        self.server.stop()
