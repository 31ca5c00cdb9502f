"""The job store's file: created whole or not at all, locked by the file itself, checked first.

What this guards against, each seen on a real deployment or in a fault test:

- **A silent reset.** A store that exists is opened as it is, never recreated: a zero-byte file,
  a file that is not SQLite, a SQLite file of another program or one failing ``quick_check`` is
  refused with StoreUnusableError and left untouched for the operator. Only an absent path gets
  a new store, and that store is built in a private temporary file and linked into place when
  complete, so a crash mid-creation never leaves a half-made (later "empty") store behind.
- **Two servers on one store.** The single-server lock is ``flock`` on the database file itself,
  so it belongs to the file (device and inode), not to the path string: a second server that
  reaches the same file through a symlink, a hard link, a bind mount or a relative path is
  refused. ``flock`` and SQLite's own POSIX locks are independent on Linux, but closing *any*
  descriptor of a file drops every POSIX lock this process holds on it (SQLite's included), so a
  process-wide registry refuses a second open in the same process before opening a descriptor.
  Local file systems only: SQLite's WAL mode needs shared memory, which network file systems do
  not provide either.
- **Readable by anyone.** The database and its ``-wal`` and ``-shm`` files are 0600 (SQLite gives
  the side files the database's mode); a store made by an older version is tightened on open.
"""

from __future__ import annotations

import fcntl
import logging
import os
import sqlite3
import stat
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dispatch.jobs.errors import StoreInUseError, StoreUnusableError

log = logging.getLogger(__name__)

FILE_MODE = 0o600
FOLDER_MODE = 0o700
#: The WAL is truncated back to this size after a checkpoint (one big job must not leave a
#: file of its size behind for good).
WAL_SIZE_LIMIT = 64 * 1024 * 1024
_SQLITE_HEADER = b"SQLite format 3\x00"
_SIDE_FILES = ("-wal", "-shm")

_held: set[tuple[int, int]] = set()
_held_lock = threading.Lock()


@dataclass
class StoreFile:
    """An open, locked, checked store: the SQLite connection and the descriptor holding the lock."""

    path: Path
    conn: sqlite3.Connection
    _fd: int
    _key: tuple[int, int]

    def close(self) -> None:
        """Close the connection first, then the descriptor (releasing the lock)."""
        try:
            self.conn.close()
        finally:
            _release(self._fd, self._key)


def open_store_file(
    path: Path,
    initialise: Callable[[sqlite3.Connection], None],
    prepare: Callable[[sqlite3.Connection, Path], None],
) -> StoreFile:
    """Open the store at ``path`` (creating it only if absent), lock it, check it, migrate it.

    ``initialise`` writes the schema into a new database; ``prepare`` checks that an existing one
    is a job store and migrates it. Raises StoreInUseError when another server holds the file and
    StoreUnusableError when it cannot be used as it is.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=FOLDER_MODE)
    except OSError as exc:
        raise StoreUnusableError(
            f"Cannot create the job store folder {path.parent}: {exc}"
        ) from exc
    if not os.path.lexists(path):
        _create(path, initialise)
    fd, key = _open_and_lock(path)
    try:
        _check_content(fd, path)
        real = Path(os.path.realpath(path))
        _restrict(fd, real)
        conn = _connect(real, path)
        try:
            _check_and_configure(conn, path, prepare)
            _restrict(fd, real)  # -wal and -shm exist now
        except BaseException:
            conn.close()
            raise
    except BaseException:
        _release(fd, key)
        raise
    return StoreFile(path, conn, fd, key)


def _create(path: Path, initialise: Callable[[sqlite3.Connection], None]) -> None:
    """Build a new store in a private file, then link it into place (never over an existing one)."""
    temp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.new")
    try:
        os.close(os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, FILE_MODE))
        conn = sqlite3.connect(temp, isolation_level=None)
        try:
            initialise(conn)
            conn.execute("PRAGMA journal_mode=WAL")
        finally:
            conn.close()
        _fsync(temp)
        _link_into_place(temp, path)
        _fsync(path.parent)
    except (OSError, sqlite3.Error) as exc:
        raise StoreUnusableError(f"Cannot create the job store {path}: {exc}") from exc
    finally:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{temp}{suffix}").unlink(missing_ok=True)


def _link_into_place(temp: Path, path: Path) -> None:
    """A hard link fails if ``path`` appeared meanwhile (another server created it: use theirs)."""
    try:
        os.link(temp, path)
    except FileExistsError:
        return
    except OSError:
        # File systems without hard links: a rename, which could only replace a store created
        # in the last few milliseconds by a racing server.
        if not os.path.lexists(path):
            os.rename(temp, path)


def _open_and_lock(path: Path) -> tuple[int, tuple[int, int]]:
    """A read-write descriptor of the store holding an exclusive ``flock``, and its file key."""
    try:
        st = os.stat(path)
    except OSError as exc:
        raise StoreUnusableError(f"Job store {path} cannot be read: {exc.strerror}.") from exc
    if not stat.S_ISREG(st.st_mode):
        raise StoreUnusableError(
            f"Job store {path} is not a regular file (a directory, device or pipe); "
            "refusing to use it."
        )
    key = (st.st_dev, st.st_ino)
    with _held_lock:
        if key in _held:
            raise StoreInUseError(_in_use(path))
        try:
            fd = os.open(path, os.O_RDWR | os.O_CLOEXEC | os.O_NONBLOCK)
        except OSError as exc:
            raise StoreUnusableError(
                f"Job store {path} cannot be opened for reading and writing: {exc.strerror}."
            ) from exc
        st = os.fstat(fd)
        key = (st.st_dev, st.st_ino)
        if key in _held:
            # Replaced between stat and open by a file this process holds: the descriptor is
            # left open on purpose, as closing it would drop that store's SQLite locks.
            raise StoreInUseError(_in_use(path))
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)  # no SQLite connection of this process has the file open
            raise StoreInUseError(_in_use(path)) from None
        _held.add(key)
    return fd, key


def _release(fd: int, key: tuple[int, int]) -> None:
    with _held_lock:
        os.close(fd)
        _held.discard(key)


def _in_use(path: Path) -> str:
    real = os.path.realpath(path)
    via = "" if real == str(path) else f" (the file {real})"
    return f"Job store {path}{via} is in use by another server process."


def _check_content(fd: int, path: Path) -> None:
    """Refuse an empty file or one that does not start as SQLite does, before SQLite sees it."""
    size = os.fstat(fd).st_size
    if size == 0:
        raise StoreUnusableError(
            f"Job store {path} is empty (0 bytes), so its jobs are lost or it is not a job store; "
            "it is left as it is. Restore it from a backup, or move it away to start an empty "
            "store."
        )
    if os.pread(fd, len(_SQLITE_HEADER), 0) != _SQLITE_HEADER:
        raise StoreUnusableError(
            f"Job store {path} is not a SQLite database (damaged, or another kind of file); "
            "it is left as it is. Restore it from a backup, or move it away to start an empty "
            "store."
        )


def _connect(real: Path, path: Path) -> sqlite3.Connection:
    """A connection that can never create the file (``mode=rw``), usable from every thread."""
    try:
        return sqlite3.connect(
            f"{real.as_uri()}?mode=rw",
            uri=True,
            isolation_level=None,
            check_same_thread=False,
            timeout=10.0,
        )
    except sqlite3.Error as exc:
        raise StoreUnusableError(f"Job store {path} cannot be opened: {exc}.") from exc


def _check_and_configure(
    conn: sqlite3.Connection, path: Path, prepare: Callable[[sqlite3.Connection, Path], None]
) -> None:
    """quick_check, then identity and migrations, then the durability settings."""
    try:
        conn.execute("PRAGMA busy_timeout=10000")
        findings = [row[0] for row in conn.execute("PRAGMA quick_check").fetchall()]
        if findings != ["ok"]:
            shown = "; ".join(str(f) for f in findings[:3])
            raise StoreUnusableError(
                f"Job store {path} failed its integrity check ({shown}); it is left as it is. "
                "Restore it from a backup, or move it away to start an empty store."
            )
        prepare(conn, path)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")
    except sqlite3.Error as exc:
        raise StoreUnusableError(
            f"Job store {path} is damaged ({exc}); it is left as it is. Restore it from a backup, "
            "or move it away to start an empty store."
        ) from exc


def _restrict(fd: int, real: Path) -> None:
    """Owner-only modes for the database and the side files SQLite keeps next to it."""
    try:
        if stat.S_IMODE(os.fstat(fd).st_mode) != FILE_MODE:
            os.fchmod(fd, FILE_MODE)
        for suffix in _SIDE_FILES:
            side = Path(f"{real}{suffix}")
            if side.exists() and stat.S_IMODE(side.stat().st_mode) != FILE_MODE:
                side.chmod(FILE_MODE)
    except OSError as exc:
        log.warning("job store %s: cannot restrict file modes to 0600: %s", real, exc)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def used_bytes(conn: sqlite3.Connection) -> int:
    """Bytes the database holds in use: its pages minus the free ones (the WAL not counted)."""
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    free = conn.execute("PRAGMA freelist_count").fetchone()[0]
    return (pages - free) * conn.execute("PRAGMA page_size").fetchone()[0]


def give_back_free_pages(conn: sqlite3.Connection) -> None:
    """Shrink the file by its free pages (stores created with auto_vacuum=INCREMENTAL; a no-op
    on older ones, whose free pages are still reused by later jobs). Outside a transaction only.

    ``incremental_vacuum`` frees one page per step, and ``execute`` steps a statement without
    result columns once; ``executescript`` steps it to the end.
    """
    conn.executescript("PRAGMA incremental_vacuum;")
