"""Ids without coordination: random captures, exchanges derived from (capture, seq).

Re-storing a journal record (after a crash lost its batch) gives it the id it had; two
databases filled apart never share an id, so their rows can go into one team store.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from addon.recorder.ingest import Ingester
from addon.recorder.journal import DONE_SUFFIX, JournalFile
from addon.store import ids
from addon.store.db import open_for_write
from addon.store.importer import import_paths

from .conftest import RECORDINGS
from .test_load import recorded

RUN = "20260301T120000000000Z-1.rdj"
LATER = "20260301T130000000000Z-2.rdj"


def ingest(db: Path, journal_dir: Path) -> None:
    ingester = Ingester(db, journal_dir, None, serve=False)
    assert ingester.open()
    ingester.catch_up()
    ingester.close()


def stored(db: Path) -> list[tuple[str, int, str]]:
    conn = duckdb.connect(str(db), read_only=True)
    rows = conn.execute(
        "SELECT e.exchange_id::VARCHAR, e.seq, e.endpoint FROM exchanges e "
        f"JOIN captures c USING (capture_id) WHERE c.source = '{RUN}' ORDER BY e.seq"
    ).fetchall()
    conn.close()
    return [(str(a), int(b), str(c)) for a, b, c in rows]


def test_a_record_stored_again_after_a_crash_keeps_its_id(tmp_path: Path) -> None:
    db, journal_dir = tmp_path / "r.duckdb", tmp_path / "journal"
    journal = JournalFile(journal_dir / RUN)
    for exchange in recorded():
        journal.append(exchange)
    journal.close()
    later = JournalFile(journal_dir / LATER)  # a later run, stored meanwhile
    later.append(recorded()[0])
    later.close()
    ingest(db, journal_dir)
    first = stored(db)
    assert [seq for _, seq, _ in first] == [0, 1, 2]
    # as if the last batch had never been committed, and the run never marked done
    conn = duckdb.connect(str(db))
    last = first[-1][0]
    for table in ("findings", "events", "items", "responses", "exchanges"):
        conn.execute(f"DELETE FROM {table} WHERE exchange_id = '{last}'")
    conn.execute(f"UPDATE captures SET ended_at = NULL WHERE source = '{RUN}'")
    conn.close()
    (journal_dir / RUN.replace(".rdj", DONE_SUFFIX)).rename(journal_dir / RUN)
    ingest(db, journal_dir)
    assert stored(db) == first


def test_databases_filled_apart_share_no_id(tmp_path: Path) -> None:
    """The same files imported into two databases: every id differs, prefixes included."""
    names = []
    for n in (1, 2):
        conn = open_for_write(tmp_path / f"{n}.duckdb")
        import_paths(conn, [RECORDINGS])
        names.append(
            {str(r[0]) for r in conn.execute("SELECT exchange_id FROM exchanges").fetchall()}
            | {str(r[0]) for r in conn.execute("SELECT capture_id FROM captures").fetchall()}
        )
        conn.close()
    assert len(names[0]) == len(names[1]) == 32 + 16
    assert not names[0] & names[1]
    both = names[0] | names[1]
    assert len({name[:8] for name in both}) == len(both)


def test_ids_are_what_the_scheme_says() -> None:
    capture = ids.new_capture_id()
    assert ids.exchange_id(capture, 3) == ids.exchange_id(capture, 3)
    assert ids.exchange_id(capture, 3) != ids.exchange_id(capture, 4)
    assert ids.exchange_id(capture, 3) != ids.exchange_id(ids.new_capture_id(), 3)
    assert ids.legacy_capture_id(1) == ids.legacy_capture_id(1) != ids.legacy_capture_id(2)
    assert ids.as_uuid(ids.exchange_id(capture, 0).upper()) == ids.exchange_id(capture, 0)
