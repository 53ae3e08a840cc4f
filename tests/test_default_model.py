"""The default model's helpers: nothing trained twice, chapter registries isolated."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from workshop_lib import default_model, paths
from workshop_lib.registry import PRODUCTION


def test_ensure_default_model_keeps_what_serves(registry, capsys):
    before = registry.versions()
    assert default_model.ensure_default_model(registry) == registry.stage(PRODUCTION)
    assert registry.versions() == before
    assert "already in" in capsys.readouterr().out


def test_paths_are_shown_relative_to_the_workbook_home(registry, capsys, monkeypatch):
    monkeypatch.setattr(paths, "HOME", registry.root.parent)
    default_model.ensure_default_model(registry)
    said = capsys.readouterr().out
    assert said.endswith(f"(already in {registry.root.name})\n"), said
    assert paths.shown(registry.root.parent / "runtime" / "x") == "runtime/x"
    ch07 = registry.root.parent / "runtime" / "ch07" / "models"
    assert paths.shown(ch07) == "runtime/ch07/models"
    assert paths.shown(Path("/elsewhere/models")) == "/elsewhere/models"  # outside: as given


def test_a_chapter_registry_starts_from_production_and_leaves_it_alone(
    registry, small_frames, tmp_path, monkeypatch
):
    monkeypatch.setattr(paths, "MODELS_DIR", registry.root)
    monkeypatch.setattr(paths, "RUNTIME_DIR", tmp_path / "runtime")
    serving = registry.load(PRODUCTION)
    chapter = default_model.chapter_registry("ch99")
    assert chapter.root == tmp_path / "runtime" / "ch99" / "models"
    copied = chapter.load(PRODUCTION)
    assert copied.version == "1.0.0"
    assert copied.metadata["metrics"] == serving.metadata["metrics"]
    rows = small_frames[1].head(200)
    assert np.array_equal(copied.model.predict_proba(rows), serving.model.predict_proba(rows))
    chapter.promote(chapter.versions()[0], PRODUCTION, reason="move the chapter's pointer")
    (chapter.root / "scratch.txt").write_text("chapter work")
    again = default_model.chapter_registry("ch99")  # a re-run starts clean
    assert not (again.root / "scratch.txt").exists()
    assert registry.stage(PRODUCTION) == serving.version
