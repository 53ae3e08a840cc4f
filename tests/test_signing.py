"""Ed25519 signing: what is signed verifies, anything changed or unsigned is refused."""

from __future__ import annotations

import stat

import pytest

from workshop_lib import signing


def test_signature_verifies_and_any_change_is_refused(tmp_path):
    key = signing.ensure_key("registry", tmp_path)
    payload = signing.canonical_json({"version": "1.0.0", "threshold": 0.5})
    signature = signing.sign(key, payload)
    signing.verify(key.public_key(), payload, signature)

    changed = signing.canonical_json({"version": "1.0.0", "threshold": 1.01})
    with pytest.raises(signing.SignatureError, match="does not match"):
        signing.verify(key.public_key(), changed, signature)
    with pytest.raises(signing.SignatureError, match="no signature"):
        signing.verify(key.public_key(), payload, None)
    with pytest.raises(signing.SignatureError):
        signing.verify(key.public_key(), payload, "not base64!")


def test_another_key_cannot_sign_for_this_one(tmp_path):
    ours = signing.ensure_key("registry", tmp_path / "ours")
    theirs = signing.ensure_key("registry", tmp_path / "theirs")
    payload = b"manifest"
    with pytest.raises(signing.SignatureError):
        signing.verify(ours.public_key(), payload, signing.sign(theirs, payload))


def test_key_is_created_once_private_and_reloaded(tmp_path):
    first = signing.ensure_key("fleet", tmp_path)
    second = signing.ensure_key("fleet", tmp_path)
    assert signing.public_key_text(first) == signing.public_key_text(second)
    mode = stat.S_IMODE(signing.key_path("fleet", tmp_path).stat().st_mode)
    assert mode == 0o600


def test_public_key_round_trips_as_text_and_bad_text_is_named(tmp_path):
    key = signing.ensure_key("fleet", tmp_path)
    public = signing.public_key_from_text(signing.public_key_text(key))
    signing.verify(public, b"x", signing.sign(key, b"x"))
    with pytest.raises(signing.SignatureError, match="not an Ed25519 public key"):
        signing.public_key_from_text("AAAA")


def test_canonical_json_ignores_key_order():
    assert signing.canonical_json({"b": 1, "a": 2}) == signing.canonical_json({"a": 2, "b": 1})


def test_key_purpose_must_be_a_plain_name(tmp_path):
    with pytest.raises(ValueError, match="plain name"):
        signing.key_path("../registry", tmp_path)


def test_a_file_that_is_not_a_key_is_named(tmp_path):
    path = signing.key_path("registry", tmp_path)
    path.write_bytes(b"short")
    with pytest.raises(signing.SignatureError, match="not an Ed25519 private key"):
        signing.ensure_key("registry", tmp_path)
