"""What every solver child process needs: die with its parent, yield the CPU, talk in frames.

Solves run in child processes because OR-Tools' routing solve holds the GIL for its whole run
(DESIGN). Two kinds exist: the service's routing workers (``dispatch.workers``, long-lived,
multiprocessing pipes) and the second-core engine (``solvers.routing.companion``, a plain
subprocess, because a daemonic worker may not have multiprocessing children). Both use the
helpers here, so a child never outlives the process that started it and runs below the
real-time path's priority.

Frames: a 4-byte little-endian length, then a pickle. A child streams as many frames as it
likes (improving plans as it finds them), so a parent that stops waiting still holds the last
complete frame; a half-written frame at a kill is simply not read.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import pickle
import signal
import struct
from typing import IO, Any

_PR_SET_PDEATHSIG = 1
_LENGTH = struct.Struct("<I")


def die_with_parent(parent_pid: int) -> None:
    """Linux: have the kernel SIGKILL us when the parent dies; elsewhere rely on deadlines.

    The kernel's parent-death signal follows the *thread* that started the child, so a parent
    that keeps children across requests must start them from a long-lived thread.
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(1)


def lower_priority(niceness: int) -> None:
    """Run below the caller's priority, so emergency calls and health checks keep a core."""
    with contextlib.suppress(OSError):
        os.nice(niceness)


def write_frame(stream: IO[bytes], obj: Any) -> None:
    """Send one object as a frame and flush it (the reader may be waiting on it)."""
    payload = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_LENGTH.pack(len(payload)) + payload)
    stream.flush()


def read_frame(stream: IO[bytes]) -> Any:
    """The next frame's object; EOFError when the stream ends (cleanly or mid-frame)."""
    header = _read_exactly(stream, _LENGTH.size)
    (length,) = _LENGTH.unpack(header)
    return pickle.loads(_read_exactly(stream, length))


def _read_exactly(stream: IO[bytes], n: int) -> bytes:
    chunks, missing = [], n
    while missing:
        chunk = stream.read(missing)
        if not chunk:
            raise EOFError("stream ended")
        chunks.append(chunk)
        missing -= len(chunk)
    return b"".join(chunks)
