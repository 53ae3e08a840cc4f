"""A file-based model registry: semantic versions, checked artifacts, and stage pointers.

Layout under the registry root::

    models/
      1.0.0/model.skops      the fitted pipeline in skops format (no unchecked pickle)
      1.0.0/metadata.json    version, metrics, data fingerprint, schema, sha256 of the artifact
      stages.json            which version each stage (e.g. "production") points to, with history

Loading re-computes the artifact's sha256 and refuses a file that does not match, then refuses
any type that is not on ``TRUSTED_TYPES``: a tampered model is never executed.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version as installed_version
from pathlib import Path
from typing import Any, Literal

from workshop_lib import paths, schema

ARTIFACT_NAME = "model.skops"
METADATA_NAME = "metadata.json"
STAGES_NAME = "stages.json"
PRODUCTION = "production"
FIRST_VERSION = "1.0.0"

# Types skops does not trust by default that our pipelines legitimately contain. Reviewed by
# hand: each is a plain scikit-learn estimator internal. Anything else found in a file is refused.
TRUSTED_TYPES: tuple[str, ...] = (
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.tree._tree.Tree",
)

Bump = Literal["major", "minor", "patch"]
_SEMVER = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")


class RegistryError(RuntimeError):
    """Something asked of the registry cannot be done; the message says what and why."""


class IntegrityError(RegistryError):
    """An artifact is not the file that was registered (tampered, truncated or untrusted)."""


def parse_version(version: str) -> tuple[int, int, int]:
    """``"1.2.3"`` -> ``(1, 2, 3)``; anything else is a ``RegistryError``."""
    match = _SEMVER.match(version)
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


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


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


def _write_json_atomically(path: Path, content: Any) -> None:
    with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".tmp") as tmp:
        json.dump(content, tmp, indent=2, sort_keys=True)
        tmp.write("\n")
    os.replace(tmp.name, path)


@dataclass
class LoadedModel:
    """A model read back from the registry, with its metadata."""

    model: Any
    metadata: dict[str, Any]

    @property
    def version(self) -> str:
        return self.metadata["version"]

    @property
    def threshold(self) -> float:
        return float(self.metadata["threshold"])


class Registry:
    """Versioned models in a folder, each checked by sha256 before it is loaded."""

    def __init__(self, root: Path | str | None = None):
        self.root = Path(root) if root is not None else paths.MODELS_DIR

    # -- versions -------------------------------------------------------------------------
    def versions(self) -> list[str]:
        """Registered versions, oldest first (by semantic version, not by name)."""
        if not self.root.exists():
            return []
        found = [p.name for p in self.root.iterdir() if p.is_dir() and _SEMVER.match(p.name)]
        return sorted(found, key=parse_version)

    def latest_version(self) -> str | None:
        versions = self.versions()
        return versions[-1] if versions else None

    def metadata(self, version: str) -> dict[str, Any]:
        """The metadata of one registered version."""
        path = self.root / version / METADATA_NAME
        if not path.exists():
            known = ", ".join(self.versions()) or "none"
            raise RegistryError(f"model version {version!r} is not registered (known: {known})")
        return json.loads(path.read_text())

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
        """Save ``model`` as the next version (by ``bump``) and return that version.

        The folder appears all at once (written aside, then renamed), so a crash never leaves
        a half-written version behind.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        version = bump_version(self.latest_version(), bump)
        import skops.io as sio  # here, not at the top: a Spark driver imports no scikit-learn

        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=self.root))
        try:
            artifact = staging / ARTIFACT_NAME
            sio.dump(model, artifact)
            untrusted = set(sio.get_untrusted_types(file=artifact)) - set(TRUSTED_TYPES)
            if untrusted:
                raise RegistryError(
                    f"model contains types not on TRUSTED_TYPES: {sorted(untrusted)}; "
                    "review them and add them to workshop_lib.registry.TRUSTED_TYPES"
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
                **(extra or {}),
            }
            _write_json_atomically(staging / METADATA_NAME, metadata)
            os.rename(staging, self.root / version)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return version

    def verify(self, version: str) -> dict[str, Any]:
        """Check that a version's artifact is exactly the registered file; return its metadata."""
        metadata = self.metadata(version)
        artifact = self.root / version / metadata["artifact"]
        if not artifact.exists():
            raise IntegrityError(f"model {version}: artifact {artifact.name} is missing")
        actual = sha256_of(artifact)
        if actual != metadata["sha256"]:
            raise IntegrityError(
                f"model {version}: sha256 of {artifact.name} is {actual[:12]}…, but the registry "
                f"recorded {metadata['sha256'][:12]}…: the file was changed or truncated after "
                "registration, so it will not be loaded"
            )
        return metadata

    def load(self, ref: str = PRODUCTION) -> LoadedModel:
        """Load a version (``"1.2.0"``) or the version a stage points to (``"production"``)."""
        version = ref if _SEMVER.match(ref) else self.stage(ref)
        if version is None:
            raise RegistryError(
                f"no model is in stage {ref!r}; train and promote one first (make model)"
            )
        import skops.io as sio  # here, not at the top: a Spark driver imports no scikit-learn

        metadata = self.verify(version)
        artifact = self.root / version / metadata["artifact"]
        untrusted = sio.get_untrusted_types(file=artifact)
        refused = sorted(set(untrusted) - set(TRUSTED_TYPES))
        if refused:
            raise IntegrityError(f"model {version}: refusing untrusted types {refused}")
        return LoadedModel(model=sio.load(artifact, trusted=untrusted), metadata=metadata)

    # -- stages ---------------------------------------------------------------------------
    def _stages(self) -> dict[str, Any]:
        path = self.root / STAGES_NAME
        return json.loads(path.read_text()) if path.exists() else {}

    def stage(self, name: str = PRODUCTION) -> str | None:
        """The version a stage points to, or None."""
        stack = self._stages().get(name, {}).get("stack", [])
        return stack[-1] if stack else None

    def history(self, name: str = PRODUCTION) -> list[dict[str, str]]:
        """Every promotion and rollback of a stage, oldest first."""
        return self._stages().get(name, {}).get("log", [])

    def promote(self, version: str, stage: str = PRODUCTION, reason: str = "") -> None:
        """Point ``stage`` at ``version`` (verified first), remembering the previous one."""
        self.verify(version)
        stages = self._stages()
        entry = stages.setdefault(stage, {"stack": [], "log": []})
        if entry["stack"] and entry["stack"][-1] == version:
            return
        entry["log"].append(_event("promote", version, entry["stack"], reason))
        entry["stack"].append(version)
        _write_json_atomically(self.root / STAGES_NAME, stages)

    def rollback(self, stage: str = PRODUCTION, reason: str = "") -> str:
        """Point ``stage`` back at the version it had before the last promotion; return it."""
        stages = self._stages()
        entry = stages.get(stage, {"stack": [], "log": []})
        if len(entry["stack"]) < 2:
            raise RegistryError(f"stage {stage!r} has no earlier version to roll back to")
        entry["log"].append(_event("rollback", entry["stack"][-2], entry["stack"], reason))
        entry["stack"].pop()
        _write_json_atomically(self.root / STAGES_NAME, stages)
        return entry["stack"][-1]


def _event(action: str, version: str, stack: list[str], reason: str) -> dict[str, str]:
    return {
        "action": action,
        "version": version,
        "previous": stack[-1] if stack else "",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "reason": reason,
    }
