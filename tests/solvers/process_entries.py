"""Child-process entries for the process-layer tests: real code run in real child processes.

Each entry is what ``ChildSpec.entry`` names: called in the child with the spec's arguments
(its start-up), it returns ``serve(parent)``, the child's body.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from solvers.processes import ChildSpec, Parent, spawn

Serve = Callable[[Parent], None]


def echo() -> Serve:
    """Send every message back until the input closes."""

    def serve(parent: Parent) -> None:
        while True:
            try:
                parent.send(parent.receive())
            except EOFError:
                return

    return serve


def gated(gate: str) -> Serve:
    """A slow start-up: not ready until the file ``gate`` exists; then echo."""
    while not Path(gate).exists():
        time.sleep(0.02)
    return echo()


def count(n: int) -> Serve:
    """Stream 0 .. n-1, then end (exit 0)."""

    def serve(parent: Parent) -> None:
        for i in range(n):
            parent.send(i)

    return serve


def hang() -> Serve:
    """Report the pid, then never answer (a solver stuck in a phase that ignores the clock)."""

    def serve(parent: Parent) -> None:
        parent.send(os.getpid())
        time.sleep(3600)

    return serve


def crash(code: int) -> Serve:
    """Report the pid, then die the way a native crash does: no exception, no answer."""

    def serve(parent: Parent) -> None:
        parent.send(os.getpid())
        os._exit(code)

    return serve


def niceness() -> Serve:
    """Report this process's CPU niceness."""
    return lambda parent: parent.send(os.getpriority(os.PRIO_PROCESS, 0))


def chatty() -> Serve:
    """Print to stdout (as solver libraries do), then send one message."""

    def serve(parent: Parent) -> None:
        print("a solver library talking on stdout", flush=True)
        os.write(1, b"and on fd 1 itself\n")
        parent.send("intact")

    return serve


def nested() -> Serve:
    """Start a grandchild (as a routing worker starts its companion) and relay its niceness."""

    def serve(parent: Parent) -> None:
        grandchild = spawn(ChildSpec("process_entries:niceness", niceness=5))
        parent.send(grandchild.receive(60))
        grandchild.kill()

    return serve
