"""Ed25519 signatures for what the workbook must not trust blindly: registry metadata, manifests.

A checksum stored next to a file proves nothing against someone who can write both: they rewrite
the checksum too. A signature made with a private key kept *elsewhere* does: without the key
nobody can produce a signature that the public key accepts.

Keys live under ``KEYS_DIR`` (``runtime/keys`` unless ``WORKBOOK_KEYS_DIR`` says otherwise),
outside the registry folder, one pair per purpose (``registry``, ``fleet``). The registry's key
is never created on first use: :mod:`workshop_lib.registry_keys` says where it comes from::

    key = signing.ensure_key("fleet")             # created on first use, private file mode 0600
    signature = signing.sign(key, payload)        # payload: bytes, e.g. canonical_json(metadata)
    signing.verify(key.public_key(), payload, signature)   # SignatureError if anything differs
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from workshop_lib import paths

KEYS_DIR = Path(os.environ.get("WORKBOOK_KEYS_DIR", paths.RUNTIME_DIR / "keys"))


class SignatureError(RuntimeError):
    """A signature is missing, malformed, or does not match the signed payload."""


def canonical_json(value: Any) -> bytes:
    """The one byte form of a JSON value that is signed: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def key_path(purpose: str, keys_dir: Path | None = None) -> Path:
    """Where the private key for ``purpose`` (``registry``, ``fleet``) is kept."""
    if not purpose.isidentifier():
        raise ValueError(f"key purpose must be a plain name, got {purpose!r}")
    return (keys_dir or KEYS_DIR) / f"{purpose}.ed25519"


def ensure_key(purpose: str, keys_dir: Path | None = None) -> Ed25519PrivateKey:
    """The private key for ``purpose``, created (readable by its owner only) if there is none."""
    path = key_path(purpose, keys_dir)
    if path.exists():
        return load_key(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    raw = key.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )
    temporary = path.with_suffix(".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(raw)
    try:
        os.link(temporary, path)  # fails if another process created the key first
    except FileExistsError:
        pass
    finally:
        temporary.unlink()
    return load_key(path)


def load_key(path: Path) -> Ed25519PrivateKey:
    """Read a raw 32-byte Ed25519 private key; a clear error if the file is not one."""
    raw = path.read_bytes()
    if len(raw) != 32:
        raise SignatureError(f"{path} is not an Ed25519 private key ({len(raw)} bytes, not 32)")
    return Ed25519PrivateKey.from_private_bytes(raw)


def public_key_text(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """The public half as base64 text, to hand to a verifier (a device, a test)."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def public_key_from_text(text: str) -> Ed25519PublicKey:
    """Inverse of :func:`public_key_text`."""
    try:
        return Ed25519PublicKey.from_public_bytes(base64.b64decode(text, validate=True))
    except ValueError as error:
        raise SignatureError(f"not an Ed25519 public key: {error}") from error


def sign(key: Ed25519PrivateKey, payload: bytes) -> str:
    """The signature of ``payload`` as base64 text."""
    return base64.b64encode(key.sign(payload)).decode()


def verify(public: Ed25519PublicKey, payload: bytes, signature: str | None) -> None:
    """Return quietly if ``signature`` signs ``payload``; otherwise a ``SignatureError``."""
    if not signature:
        raise SignatureError("no signature")
    try:
        raw = base64.b64decode(signature, validate=True)
        public.verify(raw, payload)
    except (ValueError, InvalidSignature) as error:
        raise SignatureError("signature does not match the signed content") from error
