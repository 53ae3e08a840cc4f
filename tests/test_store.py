"""The predictions database: idempotent writes, reads back, clear errors."""

from __future__ import annotations

import pandas as pd
import pytest

from workshop_lib.store import PredictionStore, open_sqlite, sqlite_path, utc_now


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
