"""The predictions database: idempotent writes, reads back, clear errors."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import sqlite3
import tempfile
from multiprocessing.connection import Connection
from pathlib import Path

import pandas as pd
import pytest

from workshop_lib.store import PredictionStore, open_sqlite, sqlite_path, utc_now

NOBODY = 65534  # the unprivileged user and group id on Debian


def predictions(ids, probability=0.2, run_id="run-1") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "application_id": ids,
            "probability": probability,
            "decision": "approve",
            "model_version": "1.0.0",
            "run_id": run_id,
            "source": "test",
            "scored_at": utc_now(),
        }
    )


PRAGMAS = ("journal_mode", "synchronous")  # synchronous: 1 is NORMAL, 2 the default FULL


@pytest.fixture
def store(tmp_path) -> PredictionStore:
    return PredictionStore(f"sqlite:///{tmp_path / 'p.db'}")


def test_writing_twice_keeps_one_row_per_application(store):
    store.write(predictions([1, 2, 3]))
    store.write(predictions([2, 3, 4], probability=0.4, run_id="run-2"))
    assert store.count() == 4
    assert store.get(3)["probability"] == 0.4 and store.get(3)["run_id"] == "run-2"
    assert store.get(1)["run_id"] == "run-1"
    assert store.get(99) is None


def test_columns_the_same_on_every_row_may_be_given_once(store, tmp_path):
    full = predictions([5, 6, 7], run_id="run-9")
    same = {c: full[c].iloc[0] for c in ("model_version", "run_id", "source", "scored_at")}
    store.write(full.drop(columns=list(same)), same_for_all=same)
    other = PredictionStore(f"sqlite:///{tmp_path / 'other.db'}")
    other.write(full)
    assert [store.get(i) for i in (5, 6, 7)] == [other.get(i) for i in (5, 6, 7)]
    with pytest.raises(ValueError, match="run_id"):
        store.write(full.drop(columns=["run_id"]), same_for_all={"source": "test"})


def test_every_connection_is_set_up_the_one_way(store, tmp_path):
    """WAL (readers never wait for the writer) and synchronous=NORMAL, from store and others."""
    with store.connect() as connection:
        settings = [connection.execute(f"PRAGMA {name}").fetchone()[0] for name in PRAGMAS]
    assert settings == ["wal", 1]
    other = open_sqlite(tmp_path / "other.db")
    try:
        assert [other.execute(f"PRAGMA {name}").fetchone()[0] for name in PRAGMAS] == ["wal", 1]
    finally:
        other.close()


def test_a_failed_transaction_writes_nothing(store):
    with pytest.raises(RuntimeError), store.connect() as connection:
        store.write(predictions([1, 2]), connection=connection)
        raise RuntimeError("crash before commit")
    assert store.count() == 0


def test_invalid_rows_are_rejected_by_the_database(store):
    bad = predictions([1])
    bad["probability"] = 1.5
    with pytest.raises(Exception, match="CHECK constraint"):
        store.write(bad)
    assert store.count() == 0


def test_missing_columns_are_named(store):
    with pytest.raises(ValueError, match=r"missing column\(s\) \['run_id'\]"):
        store.write(predictions([1]).drop(columns=["run_id"]))


def test_read_and_count_with_a_condition(store):
    store.write(predictions([1, 2, 3]))
    assert store.count("application_id > ?", (1,)) == 2
    assert store.read()["application_id"].tolist() == [1, 2, 3]


def test_only_sqlite_urls_are_accepted():
    with pytest.raises(ValueError, match="must start with 'sqlite:///'"):
        sqlite_path("postgresql://db/predictions")


@pytest.mark.parametrize("bad", [0, -5, 2**63, 2**70])
def test_an_application_id_outside_sqlites_range_is_named(store, bad):
    with pytest.raises(ValueError, match=rf"\[{bad}\]"):
        store.write(predictions([1, bad]))
    with pytest.raises(ValueError, match=rf"application id {bad} is not a whole number"):
        store.get(bad)
    assert store.count() == 0


def _open_store_unprivileged(url: str, report: Connection) -> None:
    """In a forked child: drop root (root writes anywhere), then open the store."""
    if os.geteuid() == 0:
        os.setgid(NOBODY)
        os.setuid(NOBODY)
    try:
        PredictionStore(url).write(predictions([1]))
        report.send("opened")
    except Exception as error:
        report.send(f"{type(error).__name__}: {error}")


@pytest.mark.parametrize("existing", [False, True], ids=["new", "existing"])
def test_a_read_only_database_folder_is_named_in_the_error(existing):
    folder = Path(tempfile.mkdtemp(prefix="read-only-store-"))
    try:
        database = folder / "predictions.db"
        if existing:
            PredictionStore(f"sqlite:///{database}").write(predictions([7]))
            database.chmod(0o444)
        folder.chmod(0o555)
        parent, child = multiprocessing.get_context("fork").Pipe()
        process = multiprocessing.get_context("fork").Process(
            target=_open_store_unprivileged, args=(f"sqlite:///{database}", child)
        )
        process.start()
        process.join(30)
        outcome = parent.recv()
        assert outcome.startswith("StoreUnavailableError: "), outcome
        assert f"predictions database {database}:" in outcome
        assert "writable" in outcome
    finally:
        folder.chmod(0o755)
        shutil.rmtree(folder)


def from_source(ids, source: str, probability: float = 0.2) -> pd.DataFrame:
    return predictions(ids, probability=probability).assign(source=source)


def test_no_source_can_replace_another_sources_prediction(store):
    """A batch write at a stream id used to replace the stream's prediction, silently."""
    store.write(from_source([1_000_001, 1_000_002], "stream"))
    with pytest.raises(ValueError, match="outside the batch block 1,000,000,000-"):
        store.write(from_source([1_000_001], "batch", probability=0.9))
    with pytest.raises(ValueError, match="outside the stream block 1-999,999,999"):
        store.write(from_source([2_000_000_001], "stream"))
    with pytest.raises(sqlite3.IntegrityError, match="another source"):
        store.write(from_source([1_000_002], "test", probability=0.9))  # outside the table
    store.write(from_source([1_000_002], "stream", probability=0.3))  # its own: a rewrite
    stored = store.read("SELECT application_id, probability, source FROM predictions")
    assert stored.to_dict("list") == {
        "application_id": [1_000_001, 1_000_002],
        "probability": [0.2, 0.3],
        "source": ["stream", "stream"],
    }
