"""The store file on disk: created whole, never reset, locked by the file itself, owner-only.

Faults are real: bytes overwritten, files truncated, foreign databases, links, and a second
process reaching the same file by another path.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from job_helpers import plan_request

from dispatch.jobs import JobStore
from dispatch.jobs.errors import StoreInUseError, StoreUnusableError
from dispatch.jobs.schema import APPLICATION_ID, SCHEMA_VERSION
from dispatch.jobs.store import CANCELLED, QUEUED, RUNNING

PAGE = 4096


def _open(path: Path) -> JobStore:
    store = JobStore(path)
    store.open()
    return store


def _filled(path: Path, jobs: int = 3) -> None:
    """A real store with a few jobs, closed cleanly."""
    store = _open(path)
    for i in range(jobs):
        store.insert_or_get(f"j{i}", plan_request(f"r{i}"), i + 1)
    store.close()


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _refused(path: Path, match: str) -> StoreUnusableError:
    store = JobStore(path)
    with pytest.raises(StoreUnusableError, match=match) as info:
        store.open()
    assert store.problem == str(info.value)
    return info.value


def test_absent_store_is_created_marked_as_a_job_store(tmp_path: Path) -> None:
    """Only an absent path gets a new store, and it carries the id that later proves it is one."""
    path = tmp_path / "new" / "jobs.sqlite3"
    _open(path).close()
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    finally:
        conn.close()
    assert [p.name for p in path.parent.iterdir()] == ["jobs.sqlite3"]  # no temp file left


def test_store_files_and_new_folder_are_owner_only(tmp_path: Path) -> None:
    """Job requests are city data: the database, its WAL and shared memory are 0600."""
    path = tmp_path / "new" / "jobs.sqlite3"
    store = _open(path)
    try:
        store.insert_or_get("j", plan_request("r"), 1)
        assert store.transition("j", RUNNING, 2, "started", (QUEUED,))
        for name in ("jobs.sqlite3", "jobs.sqlite3-wal", "jobs.sqlite3-shm"):
            assert _mode(path.parent / name) == 0o600, name
        assert _mode(path.parent) == 0o700
    finally:
        store.close()


def test_existing_world_readable_store_is_tightened(tmp_path: Path) -> None:
    """A store written by an older version (0644) is made 0600 when opened."""
    path = tmp_path / "jobs.sqlite3"
    _filled(path)
    path.chmod(0o644)
    store = _open(path)
    try:
        assert _mode(path) == 0o600
        assert _mode(Path(f"{path}-wal")) == 0o600
    finally:
        store.close()


def test_zero_byte_store_is_refused_and_left_empty(tmp_path: Path) -> None:
    """A truncated store must not silently become an empty one (every job would vanish)."""
    path = tmp_path / "jobs.sqlite3"
    path.touch()
    _refused(path, r"empty \(0 bytes\)")
    assert path.stat().st_size == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["jobs.sqlite3"]


def test_file_that_is_not_sqlite_is_refused_unchanged(tmp_path: Path) -> None:
    """Garbage over the header: refused with a message, bytes untouched."""
    path = tmp_path / "jobs.sqlite3"
    _filled(path)
    with path.open("r+b") as f:
        f.write(b"\x00garbage" * 16)
    before = path.read_bytes()
    _refused(path, "not a SQLite database")
    assert path.read_bytes() == before


def test_store_with_corrupted_pages_fails_its_integrity_check(tmp_path: Path) -> None:
    """A valid header over damaged pages is caught at open, not by the first job that reads them."""
    path = tmp_path / "jobs.sqlite3"
    _filled(path, jobs=30)
    with path.open("r+b") as f:
        f.seek(2 * PAGE)
        f.write(b"\xff" * PAGE)
    before = path.read_bytes()
    _refused(path, "integrity check|damaged")
    assert path.read_bytes() == before


def test_foreign_sqlite_database_is_refused_unchanged(tmp_path: Path) -> None:
    """Another program's database at the store path is not adopted (or given our tables)."""
    path = tmp_path / "jobs.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
    conn.execute("INSERT INTO invoices (total) VALUES (12.5)")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    _refused(path, "not a dispatch job store")
    assert path.read_bytes() == before


def test_store_of_a_newer_schema_is_refused(tmp_path: Path) -> None:
    """An older server must not write into a store a newer one has migrated."""
    path = tmp_path / "jobs.sqlite3"
    _filled(path)
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    conn.close()
    _refused(path, "newer than this server")


def test_directory_at_the_store_path_is_refused(tmp_path: Path) -> None:
    """A wrong file type is a clear refusal, not an OS error from deep inside SQLite."""
    path = tmp_path / "jobs.sqlite3"
    path.mkdir()
    _refused(path, "not a regular file")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_store_is_refused(tmp_path: Path) -> None:
    """A store the server user cannot read or write is refused with the reason."""
    path = tmp_path / "jobs.sqlite3"
    _filled(path)
    path.chmod(0o000)
    _refused(path, "cannot be opened")


_OPENER = """
import sys
from dispatch.jobs import JobStore
from dispatch.jobs.errors import StoreInUseError
try:
    JobStore(sys.argv[1]).open()
except StoreInUseError as exc:
    print("refused:", exc)
else:
    print("opened")
"""


def _open_in_another_process(path: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-c", _OPENER, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout.strip()


@pytest.mark.parametrize("link", ["symlink", "hardlink"])
def test_other_process_reaching_the_store_by_another_path_is_refused(
    tmp_path: Path, link: str
) -> None:
    """The lock is the file's (device, inode), so a second server cannot slip past it via a link."""
    path = tmp_path / "data" / "jobs.sqlite3"
    store = _open(path)
    try:
        other = tmp_path / "other.sqlite3"
        if link == "symlink":
            other.symlink_to(path)
        else:
            os.link(path, other)
        assert _open_in_another_process(other).startswith("refused:")
        assert _open_in_another_process(path).startswith("refused:")
        store.insert_or_get("j", plan_request("still-works"), 1)
        assert store.get("j").state == QUEUED
    finally:
        store.close()
    assert _open_in_another_process(tmp_path / "other.sqlite3") == "opened"


def test_same_process_reaching_the_store_through_a_symlink_is_refused(tmp_path: Path) -> None:
    """In one process too (tests, embedders), and the first store keeps working afterwards."""
    path = tmp_path / "jobs.sqlite3"
    store = _open(path)
    try:
        link = tmp_path / "link.sqlite3"
        link.symlink_to(path)
        with pytest.raises(StoreInUseError):
            JobStore(link).open()
        store.insert_or_get("j", plan_request("r"), 1)
        assert store.transition("j", CANCELLED, 2, "cancelled", (QUEUED,))
        assert store.get("j").state == CANCELLED
    finally:
        store.close()
