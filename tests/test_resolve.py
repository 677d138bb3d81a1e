"""Resolving what a user types to one exchange id: a unique prefix of the id (hyphens
optional, any case, at least 4 characters), or a response id; on real DuckDB files, with
UUID ids and with the BIGINT ids of older databases."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from addon.store.db import StoreError
from addon.store.queries import AmbiguousId, UnknownId, jump_target, resolve_exchange, short_id
from addon.store.reader import Reader
from tests.test_tui_support import seeded_db

__all__ = ["seeded_db"]

# Two ids sharing their first 6 hex digits, and a third.
A = "3d4b5489-7313-5061-9e1b-30f88b2834a4"
B = "3d4b54ff-0000-5000-8000-000000000001"
C = "9b965329-e98c-57a8-8eaf-dda547a3577f"


def make(db: Path, id_type: str, ids: list[object]) -> Path:
    """A minimal store: the exchanges and responses the resolver reads."""
    conn = duckdb.connect(str(db))
    conn.execute(
        f"CREATE TABLE exchanges (exchange_id {id_type}, started_at TIMESTAMPTZ, endpoint VARCHAR)"
    )
    conn.execute(f"CREATE TABLE responses (exchange_id {id_type}, response_id VARCHAR)")
    for n, i in enumerate(ids):
        endpoint = "responses.retrieve" if n == 0 else "responses.create"
        conn.execute(
            "INSERT INTO exchanges VALUES (?, TIMESTAMPTZ '2026-01-01' + to_seconds(?), ?)",
            [i, n, endpoint],
        )
        conn.execute("INSERT INTO responses VALUES (?, 'resp_shared')", [i])
    conn.execute("INSERT INTO responses VALUES (?, 'resp_only_c')", [ids[-1]])
    conn.close()
    return db


@pytest.fixture
def uuids(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(make(tmp_path / "uuid.duckdb", "UUID", [A, B, C])), read_only=True)


def test_every_exchange_of_a_store_by_its_short_id(seeded_db: Path) -> None:
    with Reader.open(seeded_db) as reader:
        rows = reader.fetchall("SELECT exchange_id, response_id FROM exchanges")
        with reader.cursor("list") as cur:  # a cursor does as well as the reader
            for exchange_id, response_id in rows:
                assert resolve_exchange(cur, short_id(exchange_id)) == str(exchange_id)
                if response_id:
                    found = resolve_exchange(reader, response_id)
                    assert reader.fetchone(
                        f"SELECT count(*) FROM responses WHERE exchange_id = '{found}' "
                        f"AND response_id = '{response_id}'"
                    ) == (1,)


def test_a_unique_prefix_any_case_hyphens_optional(uuids: duckdb.DuckDBPyConnection) -> None:
    with uuids:
        assert resolve_exchange(uuids, "9b96") == C
        assert resolve_exchange(uuids, "9B965329E98C") == C
        assert resolve_exchange(uuids, "9b965329-e98c-57") == C
        assert resolve_exchange(uuids, "3d4b5489") == A
        assert resolve_exchange(uuids, A.upper()) == A
        assert resolve_exchange(uuids, A.replace("-", "")) == A
        assert resolve_exchange(uuids, short_id(B)) == B


def test_an_ambiguous_prefix_names_the_candidates(uuids: duckdb.DuckDBPyConnection) -> None:
    with uuids, pytest.raises(AmbiguousId) as caught:
        resolve_exchange(uuids, "3d4b54")
    message = str(caught.value)
    assert A in message and B in message and C not in message and "\n" not in message
    assert isinstance(caught.value, StoreError)


def test_unknown_ids_and_too_short_prefixes(uuids: duckdb.DuckDBPyConnection) -> None:
    with uuids:
        for text in ("ffff", "3d4", "not-an-id", "'; DROP TABLE exchanges; --", "resp_none"):
            with pytest.raises(UnknownId) as caught:
                resolve_exchange(uuids, text)
            assert "\n" not in str(caught.value) and isinstance(caught.value, StoreError)
        with pytest.raises(UnknownId, match="at least 4"):
            resolve_exchange(uuids, "3d4")


def test_a_response_id_names_the_exchange_that_made_it(uuids: duckdb.DuckDBPyConnection) -> None:
    with uuids:
        assert resolve_exchange(uuids, "resp_only_c") == C
        # in three exchanges: the first one that created it (not the earlier retrieve)
        assert resolve_exchange(uuids, "resp_shared") == B


def test_bigint_ids_of_older_databases(tmp_path: Path) -> None:
    db = make(tmp_path / "bigint.duckdb", "BIGINT", [7, 12, 1234, 12345])
    with duckdb.connect(str(db), read_only=True) as reader:
        assert resolve_exchange(reader, "7") == "7"  # a whole id, however short
        assert resolve_exchange(reader, "12") == "12"  # exact beats the longer ones
        assert resolve_exchange(reader, "1234") == "1234"
        assert resolve_exchange(reader, "resp_only_c") == "12345"
        with pytest.raises(UnknownId):
            resolve_exchange(reader, "99")


def test_short_ids_and_the_filters_jump() -> None:
    assert short_id(A) == "3d4b5489" and short_id("12") == "12"
    assert jump_target("id:3d4b") == "3d4b" and jump_target(" ID: 3d4b ") == "3d4b"
    assert jump_target("resp_abc") == "resp_abc"
    assert jump_target("model = 'x'") is None and jump_target("response_id = 'resp_x'") is None
