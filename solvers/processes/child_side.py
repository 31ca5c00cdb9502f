"""The child's side: how a fresh interpreter becomes a solver process, and its parent channel.

:func:`solvers.processes.spawn` runs ``python -m solvers.processes ENTRY PARENT_PID NICENESS``;
:func:`main` then, in this order:

1. ignores Ctrl-C (the terminal sends it to the whole group; the parent decides, and its
   children die with it);
2. asks the kernel to SIGKILL this process when its parent dies, so a SIGKILLed server or
   worker never leaves a solve running until its deadline;
3. lowers its CPU priority, so the service's real-time path (AssignUnits, health checks) keeps
   a core; done before the imports, which are CPU work too;
4. moves the frame pipes off stdin and stdout (fd 0 then reads /dev/null, fd 1 writes to
   stderr), so a solver library that prints cannot corrupt a frame;
5. reads the start frame (the parent's ``sys.path`` and the entry's arguments) and calls
   ``ENTRY(*args)``: the entry does its imports and warm-up there, before any job's clock
   starts, and returns ``serve``;
6. sends the ready frame, then runs ``serve(parent)``; when it returns, the process exits 0.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import os
import signal
import sys
import threading
from collections.abc import Callable
from typing import IO, Any

from solvers.processes.frames import encode, read_frame, write_encoded

#: First frame a child sends, with its pid: imports and warm-up are done.
READY = "solvers.processes:ready"
_PR_SET_PDEATHSIG = 1


class Parent:
    """The child's end of the duplex channel: frames in from the parent, frames out to it."""

    def __init__(self, inbound: IO[bytes], outbound: IO[bytes]) -> None:
        self._in = inbound
        self._out = outbound
        self._lock = threading.Lock()  # an engine may report from a thread of its own

    def receive(self) -> Any:
        """The parent's next message; EOFError once the parent has closed our input."""
        return read_frame(self._in)

    def send(self, obj: Any) -> None:
        """Send one message now (BrokenPipeError when nobody reads any more)."""
        frame = encode(obj)
        with self._lock:
            write_encoded(self._out, frame)


def load_entry(path: str) -> Any:
    """The object named by ``"module:name"`` (importing the module is the expensive part)."""
    module, _, name = path.partition(":")
    if not name:
        raise ValueError(f"an entry is 'module:name', not {path!r}")
    return getattr(importlib.import_module(module), name)


def die_with_parent(parent_pid: int) -> None:
    """Linux: have the kernel SIGKILL us when the parent dies; elsewhere rely on deadlines.

    The kernel's parent-death signal follows the *thread* that started the child: the parent
    side starts every child from one long-lived thread for that reason.
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(1)


def lower_priority(niceness: int) -> None:
    """Run ``niceness`` below the parent's priority (it is inherited, so this adds up)."""
    if niceness:
        with contextlib.suppress(OSError):
            os.nice(niceness)


def main(argv: list[str]) -> int:
    """The child process body (see the module docstring for the order and why)."""
    entry, parent_pid, niceness = argv[0], int(argv[1]), int(argv[2])
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent(parent_pid)
    lower_priority(niceness)
    parent = _take_standard_streams()
    try:
        sys_path, args = parent.receive()
    except EOFError:  # the parent gave up on us before we started
        return 0
    sys.path[:] = sys_path
    serve: Callable[[Parent], object] = load_entry(entry)(*args)
    try:
        parent.send((READY, os.getpid()))
        serve(parent)
    except BrokenPipeError:  # the parent stopped listening: nobody wants the rest
        return 0
    return 0


def _take_standard_streams() -> Parent:
    """The frame pipes, moved to private descriptors; fd 0 and fd 1 no longer reach them."""
    inbound, outbound = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(2, 1)
    return Parent(os.fdopen(inbound, "rb"), os.fdopen(outbound, "wb"))
