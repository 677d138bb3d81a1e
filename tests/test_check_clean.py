"""`respdeck check` is clean on clean traffic: no warning on any clean file of recordings/.

Every file in recordings/ is covered, whatever is there: a file is a deliberate fault when one
of its exchanges failed (an HTTP error, an API error, a partial or aborted stream, an
error-level finding); every other file must give zero warnings, and the faulty files may have
warnings only on their failed exchanges.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from addon.importers import iter_paths

from .conftest import RECORDINGS
from .helpers import respdeck

EXCHANGES_SQL = """
    SELECT c.source, e.exchange_id,
           e.status >= 400 OR e.error_code IS NOT NULL OR e.partial OR e.aborted
           OR exists(SELECT 1 FROM findings f WHERE f.exchange_id = e.exchange_id
                     AND f.severity = 'error') AS failed,
           (SELECT list(f.code ORDER BY f.code) FROM findings f
            WHERE f.exchange_id = e.exchange_id AND f.severity = 'warning') AS warnings
    FROM exchanges e JOIN captures c USING (capture_id) ORDER BY e.exchange_id
"""


def check_counts(db: Path, cwd: Path) -> dict[str, int]:
    """The severity counts of `respdeck check`'s summary line."""
    result = respdeck("check", "--db", str(db), cwd=cwd)
    assert result.returncode == 0, result.stderr
    pattern = r"\d+ exchange\(s\): (\d+) errors?, (\d+) warnings?, (\d+) info"
    found = [m for line in result.stdout.splitlines() if (m := re.fullmatch(pattern, line))]
    assert len(found) == 1, result.stdout
    return dict(zip(("error", "warning", "info"), map(int, found[0].groups()), strict=True))


def check_examples(db: Path, cwd: Path) -> list[str]:
    """The short ids `respdeck check` gives as examples, and the one its hint line names."""
    out = respdeck("check", "--db", str(db), cwd=cwd).stdout
    hint = re.search(r"^see one: respdeck browse, then / id:(\S+);", out, re.MULTILINE)
    assert hint, out
    examples = re.findall(r"(?<![0-9a-f-])[0-9a-f]{8}(?![0-9a-f-])", out)
    assert hint.group(1) in examples, out
    return examples


def test_clean_recordings_give_no_warning(tmp_path: Path) -> None:
    files = list(iter_paths([RECORDINGS]))
    shutil.copytree(RECORDINGS, tmp_path / "recs")
    everything = tmp_path / "all.duckdb"
    imported = respdeck("import", "recs", "--db", str(everything), cwd=tmp_path)
    assert imported.returncode == 0, imported.stderr
    rows = respdeck("sql", EXCHANGES_SQL, "--db", str(everything), "--format", "json", cwd=tmp_path)
    assert rows.returncode == 0, rows.stderr
    exchanges = [json.loads(line) for line in rows.stdout.splitlines()]
    assert {Path(e["source"]).name for e in exchanges} == {f.name for f in files}

    faulty = {e["source"] for e in exchanges if e["failed"]}
    stray = [e for e in exchanges if e["warnings"] and not e["failed"]]
    assert not stray, f"warnings on exchanges that did not fail: {stray}"
    clean = sorted({e["source"] for e in exchanges} - faulty)
    assert len(clean) >= 10 and faulty  # the shipped set has both kinds
    counts = check_counts(everything, tmp_path)
    assert counts["warning"] == sum(len(e["warnings"] or []) for e in exchanges)
    # the examples are short ids (8 hex digits), each the start of one exchange's id
    for short in check_examples(everything, tmp_path):
        assert sum(e["exchange_id"].startswith(short) for e in exchanges) == 1, short

    only_clean = tmp_path / "clean.duckdb"
    imported = respdeck("import", *clean, "--db", str(only_clean), cwd=tmp_path)
    assert imported.returncode == 0, imported.stderr
    counts = check_counts(only_clean, tmp_path)
    assert counts["warning"] == 0 and counts["error"] == 0, counts
