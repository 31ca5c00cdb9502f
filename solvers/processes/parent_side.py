"""The parent's side: start a child, stream frames both ways, kill it, keep one warm.

Every child is a fresh interpreter (``subprocess``, never a fork of this process: the server is
threaded, and a routing worker is itself a child that must be able to start children). Each
:class:`Child` has two daemon threads here: a writer, so that sending a large problem never
blocks the caller while the child is busy or stopped, and a reader, so that frames are taken
in as they come, in order, and the caller can wait for one with a timeout while holding no
lock and not the GIL.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, TypeVar

from solvers.processes.child_side import READY
from solvers.processes.frames import encode, read_frame, write_encoded

log = logging.getLogger(__name__)

_T = TypeVar("_T")
_END = object()  # outbox: close the child's input; inbox: the child is gone
_REAP_SECONDS = 2.0


@dataclass(frozen=True)
class ChildSpec:
    """What to start.

    ``entry`` ("module:name") is called in the child as ``entry(*args)``: it does the imports
    and warm-up and returns ``serve(parent)``, which then runs with the channel to the parent.
    ``niceness`` is added to the child's CPU niceness (on top of this process's own);
    ``quiet`` sends its stderr to /dev/null.
    """

    entry: str
    args: tuple[Any, ...] = ()
    niceness: int = 0
    quiet: bool = False


class ChildExited(EOFError):
    """The child is gone (finished, crashed or killed) and every frame it sent was read."""

    def __init__(self, exitcode: int | None) -> None:
        super().__init__(f"child process exited (exit code {exitcode})")
        self.exitcode = exitcode


class ChildSilent(TimeoutError):
    """No frame within the time asked for; the child may still be working."""


class Child:
    """Handle to one child process and its framed duplex channel."""

    def __init__(self, popen: subprocess.Popen, entry: str) -> None:
        self.entry = entry
        self._popen = popen
        self._inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._outbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._settled = threading.Event()  # set at the ready frame, or when the child is gone
        self._ready = False
        for target, role in ((self._read, "reader"), (self._write, "writer")):
            name = f"child-{popen.pid}-{role}"
            threading.Thread(target=target, name=name, daemon=True).start()

    def __repr__(self) -> str:
        return f"Child({self.entry!r}, pid={self.pid})"

    @property
    def pid(self) -> int:
        """The child's process id."""
        return self._popen.pid

    @property
    def exitcode(self) -> int | None:
        """None while it runs; negative for a signal (-9 after a kill), as ``Popen`` reports."""
        return self._popen.poll()

    def alive(self) -> bool:
        """True while the process runs (a stopped process is alive)."""
        return self._popen.poll() is None

    def send(self, obj: Any) -> None:
        """Queue one message for the child (pickled now; written in order, off this thread)."""
        self._outbox.put(encode(obj))

    def close_input(self) -> None:
        """Close the child's input after the messages queued so far (it reads EOF)."""
        self._outbox.put(_END)

    def wait_ready(self, timeout: float | None = None) -> bool:
        """True once the child has done its imports and warm-up (False if it died first)."""
        return self._settled.wait(timeout) and self._ready

    def receive(self, timeout: float | None = None) -> Any:
        """The child's next message, in the order sent.

        ChildSilent when none comes within ``timeout`` seconds (None: wait for ever);
        ChildExited, with the exit code, once the child is gone and its frames are all read.
        """
        try:
            message = self._inbox.get(timeout=None if timeout is None else max(0.0, timeout))
        except queue.Empty:
            raise ChildSilent(f"no message from {self!r} in {timeout} s") from None
        if message is _END:
            self._inbox.put(_END)  # every later call says the same
            raise ChildExited(self._popen.returncode)
        return message

    def wait(self, timeout: float | None = None) -> int | None:
        """The exit code once the child has ended, or None if it still runs after ``timeout``."""
        try:
            return self._popen.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def kill(self) -> None:
        """SIGKILL the child if it still runs, and reap it (idempotent, from any thread).

        The wait is bounded (a process stuck in the kernel cannot hold the caller); the reader
        thread reaps such a child when it finally ends.
        """
        self._popen.kill()  # Popen does nothing once the child has been reaped
        self.wait(_REAP_SECONDS)
        self._outbox.put(_END)  # lets the writer thread end

    def _read(self) -> None:
        stream = self._popen.stdout
        assert stream is not None
        try:
            kind, _ = read_frame(stream)
            self._ready = kind == READY
            self._settled.set()
            while True:
                self._inbox.put(read_frame(stream))
        except EOFError:
            pass
        except Exception:  # an unreadable frame: the channel is lost, so is the child
            log.warning("%r sent an unreadable frame; killed", self, exc_info=True)
            self._popen.kill()
        finally:
            self._settled.set()
            stream.close()
            self._popen.wait()  # the output closes when the process ends: reap it
            self._inbox.put(_END)

    def _write(self) -> None:
        stream = self._popen.stdin
        assert stream is not None
        try:
            while (frame := self._outbox.get()) is not _END:
                write_encoded(stream, frame)
        except (OSError, ValueError):
            pass  # the child is gone; the reader reports it
        finally:
            with contextlib.suppress(OSError):
                stream.close()


def spawn(spec: ChildSpec) -> Child:
    """Start a child running ``spec`` (OSError when the process cannot be started).

    The child gets this process's ``sys.path`` (so an entry importable here is importable
    there) and ``spec.args`` in its start frame. Children are started from one long-lived
    thread, because the kernel's parent-death signal fires when the *thread* that started a
    child ends: a child started from a request thread would die with that thread.
    """
    command = [sys.executable, "-m", "solvers.processes"]
    command += [spec.entry, str(os.getpid()), str(spec.niceness)]
    stderr = subprocess.DEVNULL if spec.quiet else None

    def start() -> subprocess.Popen:
        return subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr
        )

    child = Child(_on_keeper(start), spec.entry)
    child.send((list(sys.path), spec.args))
    return child


class Standby:
    """One child of ``spec`` started ahead of need, imports done, waiting for its job.

    A child's start-up (interpreter, numpy, solver imports) costs about half a second, 5% of a
    10 s budget. A long-lived process keeps one waiting, hands it the next job instead of
    starting a cold one, and starts the next one after the job, off its clock.
    """

    def __init__(self, spec: ChildSpec) -> None:
        self.spec = spec
        self._child: Child | None = None
        self._lock = threading.Lock()

    def waiting(self) -> Child | None:
        """The child kept waiting now, if any (for tests and diagnostics)."""
        with self._lock:
            return self._child

    def take(self) -> Child | None:
        """The waiting child, now the caller's, if there is one and it is still alive."""
        with self._lock:
            child, self._child = self._child, None
        if child is not None and not child.alive():
            child.kill()  # reaps it
            return None
        return child

    def replenish(self) -> None:
        """Start the next waiting child unless a live one is waiting already."""
        with self._lock:
            if self._child is not None and self._child.alive():
                return
            try:
                self._child = spawn(self.spec)
            except OSError:
                log.warning("could not start a standby %s", self.spec.entry, exc_info=True)
                self._child = None

    def wait_ready(self, timeout: float) -> bool:
        """Block until the waiting child has done its imports (for clocks that start after)."""
        child = self.waiting()
        return child is not None and child.wait_ready(timeout)

    def discard(self) -> None:
        """Kill the waiting child, if any."""
        child = self.take()
        if child is not None:
            child.kill()


_keeper_lock = threading.Lock()
_keeper: tuple[threading.Thread, queue.SimpleQueue] | None = None


def _on_keeper(fn: Callable[[], _T]) -> _T:
    """``fn()`` run on the keeper thread, which lives as long as this process."""
    global _keeper
    if sys.is_finalizing():  # daemon threads no longer run
        return fn()
    with _keeper_lock:
        if _keeper is None or not _keeper[0].is_alive():  # first use, or after a fork
            jobs: queue.SimpleQueue = queue.SimpleQueue()
            thread = threading.Thread(
                target=_keep, args=(jobs,), name="solvers-process-keeper", daemon=True
            )
            thread.start()
            _keeper = (thread, jobs)
        thread, jobs = _keeper
    if threading.current_thread() is thread:
        return fn()
    future: Future[_T] = Future()
    jobs.put((fn, future))
    return future.result()


def _keep(jobs: queue.SimpleQueue) -> None:
    while True:
        fn, future = jobs.get()
        try:
            future.set_result(fn())
        except BaseException as exc:  # handed to the caller, who raises it
            future.set_exception(exc)
