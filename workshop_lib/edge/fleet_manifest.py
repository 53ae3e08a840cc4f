"""What a device is told to run: a signed manifest, and the file store it downloads from.

A manifest names a model version, the sha256 and size of its file, where to download it, which
devices it is for (``targets``: a list of names, or ``"all"``), its ``sequence`` number and when
it ``expires``. The manager signs it with the fleet's Ed25519 key (``workshop_lib.signing``); a
device holds only the public key, so a manifest changed on the way (or published by anyone
without the key) is refused, and the signed sha256 then proves the downloaded file is the one
the manager released.

A signature alone does not say *when* a manifest was signed: kept and published again later, an
old manifest (a release the canary gate stopped) would verify and roll devices back. So, as
update systems such as TUF do, every manifest carries a sequence number that the manager only
ever increases, and an expiry: a device refuses a manifest older than the newest it has
accepted (``check_fresh``) and one past its expiry (a manifest withheld and shown later). A
rollback is a *new* manifest, with a higher sequence, that names the old model file.
"""

from __future__ import annotations

import hashlib
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from workshop_lib import signing
from workshop_lib.support import servers

ALL = "all"
FIELDS = {"version", "sha256", "size", "url", "targets", "sequence", "expires"}
LIFETIME = timedelta(days=7)  # the manager signs a new manifest (higher sequence) before then
CHUNK_BYTES = 65_536  # the most httpcore reads from the network at once
MAX_MODEL_BYTES = 64 * 1024 * 1024  # a device refuses a manifest naming a larger file


class UpdateRefused(RuntimeError):
    """A manifest or model file that a device must not install; the message says why."""


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def expiry(lifetime: timedelta = LIFETIME, now: datetime | None = None) -> str:
    """The ``expires`` field: ``lifetime`` from now, as UTC ISO 8601 (``2026-12-13T16:00:00Z``)."""
    moment = (now or datetime.now(UTC)) + lifetime
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def make_manifest(
    version: str,
    blob: bytes,
    url: str,
    targets: list[str] | str = ALL,
    *,
    sequence: int,
    expires: str,
) -> dict[str, Any]:
    """The unsigned manifest of ``blob`` released as ``version``, for ``targets``."""
    return {
        "version": version,
        "sha256": sha256_of(blob),
        "size": len(blob),
        "url": url,
        "targets": targets,
        "sequence": sequence,
        "expires": expires,
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
    missing = FIELDS - set(manifest)
    if missing:
        raise UpdateRefused(f"manifest lacks {sorted(missing)}")
    for name in ("sequence", "size"):
        if type(manifest[name]) is not int or manifest[name] < 0:
            raise UpdateRefused(f"manifest {name} must be a whole number, got {manifest[name]!r}")
    expires_at(manifest)
    return manifest


def expires_at(manifest: dict[str, Any]) -> datetime:
    """The manifest's ``expires`` as an aware datetime; ``UpdateRefused`` if it is not one."""
    try:
        moment = datetime.fromisoformat(manifest["expires"])
    except (TypeError, ValueError):
        moment = None
    if moment is None or moment.tzinfo is None:
        raise UpdateRefused(f"manifest expires must be a UTC time, got {manifest['expires']!r}")
    return moment


def check_fresh(manifest: dict[str, Any], seen: int, now: datetime | None = None) -> None:
    """``UpdateRefused`` for an expired manifest, or one older than the newest already accepted.

    ``seen`` is the highest sequence this device accepted; an equal one is the same manifest
    delivered again (QoS 1 redelivers, the broker keeps it retained) and is not refused.
    """
    if (now or datetime.now(UTC)) >= expires_at(manifest):
        raise UpdateRefused(f"manifest expired at {manifest['expires']}")
    if manifest["sequence"] < seen:
        raise UpdateRefused(
            f"manifest replayed: sequence {manifest['sequence']} ({manifest['version']}) is "
            f"older than sequence {seen}, already accepted"
        )


def check_blob(manifest: dict[str, Any], blob: bytes) -> None:
    """``UpdateRefused`` unless ``blob`` has the size and sha256 the signed manifest names."""
    if len(blob) != manifest["size"]:
        raise UpdateRefused(f"model file is {len(blob)} bytes, manifest says {manifest['size']}")
    if sha256_of(blob) != manifest["sha256"]:
        raise UpdateRefused("model file's sha256 differs from the signed manifest")


def download(http: httpx.Client, manifest: dict[str, Any]) -> bytes:
    """The model file the manifest names, checked; never more than its size plus one read.

    A file larger than the signed size is refused as soon as it is: from the ``Content-Length``
    header before reading the body, else after the read that goes past the size (at most
    ``CHUNK_BYTES`` more). Raw bytes are read (``Accept-Encoding: identity``): a compressed body
    could grow without bound when decoded.
    """
    size = manifest["size"]
    if size > MAX_MODEL_BYTES:
        raise UpdateRefused(f"model file of {size} bytes is over the {MAX_MODEL_BYTES} allowed")
    body = bytearray()
    headers = {"Accept-Encoding": "identity"}
    try:
        with http.stream("GET", manifest["url"], headers=headers) as response:
            if response.status_code != 200:
                raise UpdateRefused(f"model file download answered HTTP {response.status_code}")
            declared = response.headers.get("Content-Length")
            if declared is not None and declared != str(size):
                raise UpdateRefused(f"model file is {declared} bytes, manifest says {size}")
            for chunk in response.iter_raw():
                body += chunk
                if len(body) > size:
                    raise UpdateRefused(
                        f"model file is over the {size} bytes the manifest says "
                        f"(stopped after {len(body)})"
                    )
    except httpx.HTTPError as error:
        raise UpdateRefused(f"model file download failed: {error}") from error
    check_blob(manifest, bytes(body))
    return bytes(body)


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
