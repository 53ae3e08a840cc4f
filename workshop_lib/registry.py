"""A file-based model registry: semantic versions, signed metadata, and stage pointers.

Layout under the registry root::

    models/
      1.0.0/model.skops         the fitted pipeline in skops format (no unchecked pickle)
      1.0.0/metadata.json       version, threshold, metrics, data fingerprint, schema, and the
                                artifact's sha256
      1.0.0/metadata.sig.json   an Ed25519 signature of metadata.json
      stages.json               which version each stage (e.g. "production") points to, with history

A sha256 stored next to a file only catches accidents: whoever can rewrite the file can rewrite
the checksum too. So each version's whole metadata (threshold and artifact sha256 included) is
signed with the registry's key, kept outside the registry folder
(:mod:`workshop_lib.registry_keys`: the private key where versions are registered, only the
public key where they are served). Before a version is loaded or promoted, each of its files is
read once and those bytes are checked (signature, the metadata's fields, the sha256 of the model
and of its ONNX export: :mod:`workshop_lib.registry_integrity`), then loaded: never the path
again, which someone could swap in between. ``load`` then refuses any type not on
``TRUSTED_TYPES``. Only regular files are read, each up to a cap
(:mod:`workshop_lib.registry_files`). Someone who can write the registry folder but cannot read
the key cannot make it load a model, or a threshold, that was not registered.
Versions are semantic versions (``1.2.0``), folders directly inside the registry whose metadata
is signed by the registry's key: nothing else is listed, promoted or loaded.

Promotions and rollbacks read, change and rewrite ``stages.json`` under an exclusive file lock
(``.stages.lock``), so concurrent processes never lose each other's history entries.
"""

from __future__ import annotations

import fcntl
import logging
import platform
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version as installed_version
from pathlib import Path
from typing import Any, Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from workshop_lib import paths, registry_keys, schema
from workshop_lib.registry_files import (
    MAX_STAGES_BYTES,
    IntegrityError,
    RegistryError,
    make_readable_by_all,
    move_into_place,
    open_lock_file,
    read_json_object,
    write_json_atomically,
)
from workshop_lib.registry_integrity import (
    METADATA_NAME,
    VersionFiles,
    check_threshold,
    read_signed_metadata,
    read_verified,
    sha256_of,
    sign_version,
)

ARTIFACT_NAME = "model.skops"
STAGES_NAME = "stages.json"
STAGES_LOCK_NAME = ".stages.lock"
PRODUCTION = "production"
FIRST_VERSION = "1.0.0"

# Types skops does not trust by default that our pipelines legitimately contain. Reviewed by
# hand: each is a plain scikit-learn estimator internal. Anything else found in a file is refused.
TRUSTED_TYPES: tuple[str, ...] = (
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.tree._tree.Tree",
    # holds a regex and dtype filters, and picks columns by them: a learner's standard pipeline
    "sklearn.compose._column_transformer.make_column_selector",
    # HistGradientBoosting with categorical_features keeps a FunctionTransformer of
    # partial(check_array, ...); skops audits the function a partial wraps on its own, so a
    # partial of anything else (os.system, say) is still refused
    "functools.partial",
    "sklearn.utils.validation.check_array",
)

Bump = Literal["major", "minor", "patch"]
_SEMVER = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")
_STAGE_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")

log = logging.getLogger("workshop_lib.registry")


def parse_version(version: str) -> tuple[int, int, int]:
    """``"1.2.3"`` -> ``(1, 2, 3)``; anything else is a ``RegistryError``."""
    match = _SEMVER.match(version) if isinstance(version, str) else None
    if not match:
        raise RegistryError(f"{version!r} is not a semantic version like '1.2.3'")
    major, minor, patch = map(int, match.groups())
    return major, minor, patch


def bump_version(version: str | None, part: Bump) -> str:
    """The next semantic version: major resets minor and patch, minor resets patch."""
    if version is None:
        return FIRST_VERSION
    major, minor, patch = parse_version(version)
    if part == "major":
        return f"{major + 1}.0.0"
    if part == "minor":
        return f"{major}.{minor + 1}.0"
    if part == "patch":
        return f"{major}.{minor}.{patch + 1}"
    raise RegistryError(f"unknown version bump {part!r}; use major, minor or patch")


def code_version() -> str:
    """The git commit of the workbook (with ``-dirty`` for uncommitted changes), or 'unknown'."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"],
            cwd=paths.PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=paths.PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{commit}-dirty" if dirty else commit


def library_versions() -> dict[str, str]:
    """Versions of Python and of the libraries a model file depends on."""
    names = ("scikit-learn", "numpy", "pandas", "scipy", "skops")
    return {
        "python": platform.python_version(),
        **{name: installed_version(name) for name in names},
    }


def check_stage_name(name: str) -> str:
    """A stage name: lower-case letters, digits, ``-`` and ``_`` (``production``, ``canary``)."""
    if not isinstance(name, str) or not _STAGE_NAME.match(name):
        raise RegistryError(
            f"{name!r} is neither a semantic version like '1.2.0' nor a stage name like "
            f"{PRODUCTION!r} (lower-case letters, digits, '-' and '_')"
        )
    return name


@dataclass
class LoadedModel:
    """A model read back from the registry, with its metadata."""

    model: Any
    metadata: dict[str, Any]
    onnx: bytes | None = field(default=None, repr=False)  # its ONNX export, verified with it

    @property
    def version(self) -> str:
        return self.metadata["version"]

    @property
    def threshold(self) -> float:
        return float(self.metadata["threshold"])


class Registry:
    """Versioned models in a folder, each signed, and checked before it is loaded."""

    def __init__(self, root: Path | str | None = None, key: Ed25519PrivateKey | None = None):
        """``key`` signs and verifies; by default the keys of :mod:`workshop_lib.registry_keys`
        (the private key only to register, the public key to verify)."""
        self.root = Path(root) if root is not None else paths.MODELS_DIR
        self._key = key
        self._public_key = key.public_key() if key is not None else None

    @property
    def key(self) -> Ed25519PrivateKey:
        """The private key that signs new versions (never created here: ``make model`` does)."""
        if self._key is None:
            self._key = registry_keys.signing_key()
        return self._key

    @property
    def public_key(self) -> Ed25519PublicKey:
        """The public key that verifies versions (all a serving process needs)."""
        if self._public_key is None:
            self._public_key = registry_keys.verification_key()
        return self._public_key

    # -- versions -------------------------------------------------------------------------
    def folders(self) -> list[Path]:
        """Entries named like a version, signed or not (``versions`` lists the signed ones)."""
        if not self.root.exists():
            return []
        return [path for path in self.root.iterdir() if _SEMVER.match(path.name)]

    def versions(self) -> list[str]:
        """Registered versions, oldest first (by semantic version, not by name).

        A folder named like a version whose metadata is missing or not signed by this
        registry's key (planted, or half-deleted) is not a version: it is skipped with a
        warning in the log, so it can neither be listed nor decide the next version number.
        """
        found = []
        for folder in self.folders():
            try:
                read_signed_metadata(folder, self.public_key)
            except (FileNotFoundError, IntegrityError) as error:
                log.warning("%s is not a signed version, skipped: %s", folder, error)
                continue
            found.append(folder.name)
        return sorted(found, key=parse_version)

    def latest_version(self) -> str | None:
        versions = self.versions()
        return versions[-1] if versions else None

    def _not_registered(self, version: str) -> RegistryError:
        known = ", ".join(self.versions()) or "none"
        return RegistryError(f"model version {version!r} is not registered (known: {known})")

    def metadata(self, version: str) -> dict[str, Any]:
        """The signed metadata of one version (its files are checked by ``verify``)."""
        parse_version(version)
        try:
            return read_signed_metadata(self.root / version, self.public_key)
        except FileNotFoundError:
            raise self._not_registered(version) from None

    def _read_verified(self, version: str) -> VersionFiles:
        """Every file of ``version`` read once and checked (see ``read_verified``)."""
        parse_version(version)
        try:
            return read_verified(self.root / version, self.public_key)
        except FileNotFoundError:
            raise self._not_registered(version) from None

    def register(
        self,
        model: Any,
        *,
        metrics: dict[str, float],
        data_fingerprint: str,
        kind: str,
        threshold: float,
        bump: Bump = "minor",
        notes: str = "",
        extra: dict[str, Any] | None = None,
    ) -> str:
        """Save and sign ``model`` as the next version (by ``bump``) and return that version.

        The folder appears all at once (written aside, then renamed), so a crash never leaves
        a half-written version behind.
        """
        check_threshold(threshold, "register")
        self.root.mkdir(parents=True, exist_ok=True)
        # Before any work: no key, no new version. On a development machine whose registry has
        # no version yet, the signing key is created here, and the message says so.
        key = self._key or registry_keys.ensure_signing_key(bool(self.folders()))
        version = bump_version(self.latest_version(), bump)
        import skops.io as sio  # here, not at the top: a Spark driver imports no scikit-learn

        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=self.root))
        try:
            artifact = staging / ARTIFACT_NAME
            sio.dump(model, artifact)
            untrusted = set(sio.get_untrusted_types(file=artifact)) - set(TRUSTED_TYPES)
            if untrusted:
                raise RegistryError(
                    f"model contains types not on TRUSTED_TYPES: {sorted(untrusted)}. The "
                    "registry loads only the types on that list (the scikit-learn parts this "
                    "workbook uses): code of your own (a function in a FunctionTransformer, a "
                    "custom class) and parts nobody has reviewed yet are refused. Trusting a "
                    "new type is a reviewed change to TRUSTED_TYPES, not a way around this "
                    "message"
                )
            metadata = {
                "version": version,
                "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "kind": kind,
                "threshold": threshold,
                "metrics": metrics,
                "data_fingerprint": data_fingerprint,
                "code_version": code_version(),
                "schema": schema.describe(),
                "libraries": library_versions(),
                "artifact": ARTIFACT_NAME,
                "sha256": sha256_of(artifact),
                "size_bytes": artifact.stat().st_size,
                "notes": notes,
                "onnx": _onnx_export_beside(model, staging),
                **(extra or {}),
            }
            write_json_atomically(staging / METADATA_NAME, metadata)
            sign_version(staging, key)
            make_readable_by_all(staging)
            move_into_place(staging, self.root / version)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return version

    def verify(self, version: str) -> dict[str, Any]:
        """Check a version's signature, metadata and files; return its metadata.

        An ``IntegrityError`` says what does not match: nothing of a version that fails here is
        loaded or promoted.
        """
        return self._read_verified(version).metadata

    def onnx_export(self, version: str) -> bytes:
        """The verified bytes of a version's own ONNX export (``RegistryError`` if it has none)."""
        files = self._read_verified(version)
        if files.onnx is None:
            export = files.metadata.get("onnx") or {}
            reason = export.get("error", "it was registered without one")
            raise RegistryError(f"model {version} has no ONNX export: {reason}")
        return files.onnx

    def resolve(self, ref: str = PRODUCTION) -> str:
        """The version ``ref`` names: itself if it is a semantic version, else its stage's.

        The one rule for "version or stage?": ``1.2.0`` is a version, anything else a stage.
        """
        version = ref if isinstance(ref, str) and _SEMVER.match(ref) else self.stage(ref)
        if version is None:
            raise RegistryError(
                f"no model is in stage {ref!r}; train and promote one first (make model)"
            )
        return version

    def load(self, ref: str = PRODUCTION) -> LoadedModel:
        """Load a version (``"1.2.0"``) or the version a stage points to (``"production"``).

        The model is loaded from the very bytes that were checked, and comes with its verified
        ONNX export (``LoadedModel.onnx``): a failure in either refuses the whole version.
        """
        version = self.resolve(ref)
        import skops.io as sio  # here, not at the top: a Spark driver imports no scikit-learn

        files = self._read_verified(version)
        untrusted = sio.get_untrusted_types(data=files.artifact)
        refused = sorted(set(untrusted) - set(TRUSTED_TYPES))
        if refused:
            raise IntegrityError(f"model {version}: refusing untrusted types {refused}")
        model = sio.loads(files.artifact, trusted=untrusted)
        return LoadedModel(model=model, metadata=files.metadata, onnx=files.onnx)

    # -- stages ---------------------------------------------------------------------------
    def _stages(self) -> dict[str, Any]:
        path = self.root / STAGES_NAME
        try:
            stages = read_json_object(path, MAX_STAGES_BYTES)
        except FileNotFoundError:
            return {}
        for name, entry in stages.items():
            if not (
                isinstance(entry, dict)
                and isinstance(entry.get("log"), list)
                and isinstance(entry.get("stack"), list)
                and all(isinstance(v, str) and _SEMVER.match(v) for v in entry["stack"])
            ):
                raise RegistryError(
                    f"{path}: stage {name!r} must be {{'stack': [semantic versions], 'log': "
                    "[events]}; restore the file, or delete it to start the stages afresh"
                )
        return stages

    @contextmanager
    def _locked_stages(self) -> Iterator[dict[str, Any]]:
        """The stages, read under an exclusive lock and written back when the block ends.

        The lock (``fcntl.flock`` on ``.stages.lock``) is held from the read to the write, so
        two processes promoting at once take turns instead of overwriting each other's entries.
        An exception in the block writes nothing.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        with open_lock_file(self.root / STAGES_LOCK_NAME) as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed
            stages = self._stages()
            yield stages
            write_json_atomically(self.root / STAGES_NAME, stages)

    def stage(self, name: str = PRODUCTION) -> str | None:
        """The version a stage points to, or None."""
        stack = self._stages().get(check_stage_name(name), {}).get("stack", [])
        return stack[-1] if stack else None

    def history(self, name: str = PRODUCTION) -> list[dict[str, str]]:
        """Every promotion and rollback of a stage, oldest first."""
        return self._stages().get(check_stage_name(name), {}).get("log", [])

    def promote(self, version: str, stage: str = PRODUCTION, reason: str = "") -> None:
        """Point ``stage`` at ``version`` (verified first), remembering the previous one."""
        check_stage_name(stage)
        self.verify(version)
        with self._locked_stages() as stages:
            entry = stages.setdefault(stage, {"stack": [], "log": []})
            if entry["stack"] and entry["stack"][-1] == version:
                return
            entry["log"].append(_event("promote", version, entry["stack"], reason))
            entry["stack"].append(version)

    def rollback(self, stage: str = PRODUCTION, reason: str = "") -> str:
        """Point ``stage`` back at the version it had before the last promotion; return it.

        That version is verified first: a deleted or tampered one is refused, and the stage
        keeps serving what it served.
        """
        check_stage_name(stage)
        with self._locked_stages() as stages:
            entry = stages.get(stage, {"stack": [], "log": []})
            if len(entry["stack"]) < 2:
                raise RegistryError(f"stage {stage!r} has no earlier version to roll back to")
            target = entry["stack"][-2]
            try:
                self.verify(target)
            except RegistryError as error:
                raise RegistryError(f"cannot roll {stage} back to {target}: {error}") from error
            entry["log"].append(_event("rollback", target, entry["stack"], reason))
            entry["stack"].pop()
            return target


def _onnx_export_beside(model: Any, folder: Path) -> dict[str, Any]:
    from workshop_lib.registry_onnx import export_beside

    return export_beside(model, folder)


def _event(action: str, version: str, stack: list[str], reason: str) -> dict[str, str]:
    return {
        "action": action,
        "version": version,
        "previous": stack[-1] if stack else "",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "reason": reason,
    }
