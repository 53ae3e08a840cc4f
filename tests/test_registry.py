"""The registry: versions, integrity checks, trusted types, promotion and rollback."""

from __future__ import annotations

import functools
import json
import os

import numpy as np
import pytest
from helpers import register_again
from sklearn.base import BaseEstimator

from workshop_lib import data, schema
from workshop_lib.registry import (
    PRODUCTION,
    IntegrityError,
    Registry,
    RegistryError,
    bump_version,
    parse_version,
)


def test_round_trip_gives_the_same_predictions(registry, trained, small_frames):
    loaded = registry.load(PRODUCTION)
    features = small_frames[1][schema.FEATURES]
    np.testing.assert_array_equal(
        loaded.model.predict_proba(features), trained.model.predict_proba(features)
    )
    assert loaded.version == "1.0.0" and loaded.threshold == trained.threshold


def test_metadata_records_what_reproduces_the_model(registry, small_frames):
    metadata = registry.metadata("1.0.0")
    assert metadata["data_fingerprint"] == data.fingerprint(small_frames[0])
    assert metadata["schema"] == schema.describe()
    assert {"scikit-learn", "numpy", "pandas", "skops", "python"} <= set(metadata["libraries"])
    assert len(metadata["sha256"]) == 64 and metadata["metrics"]["roc_auc"] > 0.7
    assert metadata["code_version"]


def test_versions_follow_semver_bumps(registry, trained):
    assert register_again(registry, trained, "minor") == "1.1.0"
    assert register_again(registry, trained, "patch") == "1.1.1"
    assert register_again(registry, trained, "major") == "2.0.0"
    assert registry.versions() == ["1.0.0", "1.1.0", "1.1.1", "2.0.0"]


def test_versions_sort_numerically_not_alphabetically(registry, trained):
    for _ in range(10):
        register_again(registry, trained, "minor")
    assert registry.latest_version() == "1.10.0"


def test_bump_rules():
    assert bump_version(None, "minor") == "1.0.0"
    assert bump_version("1.4.2", "major") == "2.0.0"
    assert bump_version("1.4.2", "minor") == "1.5.0"
    assert bump_version("1.4.2", "patch") == "1.4.3"
    with pytest.raises(RegistryError, match="not a semantic version"):
        parse_version("v1")


def test_tampered_artifact_is_never_loaded(registry):
    artifact = registry.root / "1.0.0" / "model.skops"
    content = bytearray(artifact.read_bytes())
    content[len(content) // 2] ^= 0xFF
    artifact.write_bytes(bytes(content))
    with pytest.raises(IntegrityError, match="changed or truncated"):
        registry.load(PRODUCTION)


def test_truncated_artifact_is_never_loaded(registry):
    artifact = registry.root / "1.0.0" / "model.skops"
    artifact.write_bytes(artifact.read_bytes()[:1000])
    with pytest.raises(IntegrityError, match="sha256"):
        registry.load("1.0.0")


def test_missing_artifact_is_reported(registry):
    (registry.root / "1.0.0" / "model.skops").unlink()
    with pytest.raises(IntegrityError, match="missing"):
        registry.load("1.0.0")


class Untrusted(BaseEstimator):
    """A custom estimator that is not on the trusted list."""

    def predict_proba(self, x):
        return x


def test_untrusted_types_are_refused_at_registration(tmp_path):
    registry = Registry(tmp_path)
    with pytest.raises(RegistryError, match="not on TRUSTED_TYPES"):
        registry.register(
            Untrusted(), metrics={}, data_fingerprint="f", kind="custom", threshold=0.5
        )
    assert registry.versions() == []
    assert not any(tmp_path.iterdir()), "a failed registration must leave nothing behind"


def test_a_partial_of_check_array_loads_and_a_partial_of_anything_else_is_refused(tmp_path):
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer, OrdinalEncoder

    frame = data.make_applications(600, seed=3)
    encode = ColumnTransformer(
        [
            ("categories", OrdinalEncoder(), schema.CATEGORICAL_FEATURES),
            ("numbers", "passthrough", schema.NUMERIC_FEATURES),
        ]
    )
    categories = list(range(len(schema.CATEGORICAL_FEATURES)))
    boosted = HistGradientBoostingClassifier(categorical_features=categories, max_iter=5)
    model = Pipeline([("encode", encode), ("boost", boosted)])
    model.fit(frame[schema.FEATURES], frame[schema.TARGET_COLUMN])
    registry = Registry(tmp_path)
    version = registry.register(
        model, metrics={}, data_fingerprint="f", kind="custom", threshold=0.5
    )
    loaded = registry.load(version).model
    features = frame[schema.FEATURES].head(20)
    assert np.allclose(loaded.predict_proba(features), model.predict_proba(features))

    shell = FunctionTransformer(func=functools.partial(os.system, "true"))
    with pytest.raises(RegistryError, match="posix.system"):
        registry.register(shell, metrics={}, data_fingerprint="f", kind="custom", threshold=0.5)
    assert registry.versions() == [version]


def test_promote_and_rollback(registry, trained):
    second = register_again(registry, trained)
    registry.promote(second, reason="better")
    assert registry.stage() == second and registry.load().version == second
    assert registry.rollback(reason="bad canary") == "1.0.0"
    assert registry.load().version == "1.0.0"
    actions = [(e["action"], e["version"]) for e in registry.history()]
    assert actions == [("promote", "1.0.0"), ("promote", second), ("rollback", "1.0.0")]
    with pytest.raises(RegistryError, match="no earlier version"):
        registry.rollback()


def test_promoting_a_tampered_or_unknown_version_fails(registry, trained):
    second = register_again(registry, trained)
    metadata_path = registry.root / second / "metadata.json"
    metadata = json.loads(metadata_path.read_text())
    metadata["sha256"] = "0" * 64
    metadata_path.write_text(json.dumps(metadata))
    with pytest.raises(IntegrityError):
        registry.promote(second)
    assert registry.stage() == "1.0.0"
    with pytest.raises(RegistryError, match="'9.9.9' is not registered"):
        registry.promote("9.9.9")


def test_empty_stage_explains_what_to_do(tmp_path):
    with pytest.raises(RegistryError, match="make model"):
        Registry(tmp_path).load(PRODUCTION)
