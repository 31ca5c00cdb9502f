"""The process layer: real child processes, faults injected for real (no mocks).

Entries run in the children are in ``process_entries.py`` (imported there through the
``sys.path`` the parent hands over).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from solvers.processes import Child, ChildExited, ChildSilent, ChildSpec, Standby, spawn

HERE = os.path.dirname(__file__)


@pytest.fixture
def start() -> Iterator:
    """``start(entry, *args, **spec)`` spawns a child that is killed after the test."""
    children: list[Child] = []

    def make(entry: str, *args: object, **spec: object) -> Child:
        child = spawn(ChildSpec(f"process_entries:{entry}", args, **spec))  # type: ignore[arg-type]
        children.append(child)
        return child

    yield make
    for child in children:
        child.kill()


def _gone(pid: int, seconds: float = 10.0) -> bool:
    """True once ``pid`` no longer runs (a zombie waiting for its reaper counts as gone)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                if stat.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return True
        except FileNotFoundError:
            return True
        time.sleep(0.05)
    return False


def test_ready_comes_only_after_the_entry_has_started_up(start, tmp_path) -> None:
    """The handshake: a child is ready once its entry's imports and warm-up are done."""
    gate = tmp_path / "gate"
    child = start("gated", str(gate))
    assert not child.wait_ready(0.5)
    gate.touch()
    assert child.wait_ready(30)


def test_messages_stream_in_the_order_sent_then_the_exit(start) -> None:
    """Every message arrives, in order, before the child's end is reported (with exit 0)."""
    child = start("count", 500)
    assert [child.receive(30) for _ in range(500)] == list(range(500))
    with pytest.raises(ChildExited) as info:
        child.receive(30)
    assert info.value.exitcode == 0


def test_sending_never_blocks_on_a_child_that_is_not_reading(start, tmp_path) -> None:
    """A payload larger than a pipe's buffer is queued at once while the child is still
    starting up, and arrives intact once it reads: the caller gets on with its own work."""
    gate = tmp_path / "gate"
    child = start("gated", str(gate))
    payload = os.urandom(8 * 1024 * 1024)
    begin = time.monotonic()
    child.send(payload)
    assert time.monotonic() - begin < 1.0
    gate.touch()
    assert child.receive(60) == payload


def test_a_child_past_its_deadline_is_killed_and_reaped(start) -> None:
    """A child that never answers: the wait ends at the deadline, kill() leaves no process."""
    child = start("hang")
    pid = child.receive(30)
    with pytest.raises(ChildSilent):
        child.receive(0.2)
    child.kill()
    assert child.exitcode == -signal.SIGKILL
    assert not os.path.exists(f"/proc/{pid}")  # reaped, not a zombie
    with pytest.raises(ChildExited) as info:
        child.receive(5)
    assert info.value.exitcode == -signal.SIGKILL


def test_a_crashed_child_is_reported_with_its_exit_code(start) -> None:
    """A child that dies without answering is reported as soon as its output ends."""
    child = start("crash", 3)
    child.receive(30)
    with pytest.raises(ChildExited) as info:
        child.receive(30)
    assert info.value.exitcode == 3


def test_a_child_runs_below_its_parent_priority(start) -> None:
    """The spec's niceness is added to the parent's, so solvers yield to the real-time path."""
    child = start("niceness", niceness=7)
    assert child.receive(30) == os.getpriority(os.PRIO_PROCESS, 0) + 7


def test_a_child_can_start_children_of_its_own(start) -> None:
    """A child starts a grandchild (a routing worker starting its companion); nicenesses add."""
    child = start("nested", niceness=2)
    assert child.receive(60) == os.getpriority(os.PRIO_PROCESS, 0) + 2 + 5


def test_printing_in_the_child_does_not_corrupt_its_channel(start) -> None:
    """A solver library that prints to stdout cannot break the frames (they use other fds)."""
    child = start("chatty", quiet=True)
    assert child.receive(30) == "intact"


def test_a_child_started_from_a_thread_that_ends_keeps_running(start) -> None:
    """The parent-death signal follows the thread that started a child; children are started
    from one long-lived thread, so a request thread that ends does not take its child along."""
    started: list[Child] = []

    def request() -> None:
        child = start("echo")
        assert child.wait_ready(30)  # the signal is armed before the thread ends
        started.append(child)

    thread = threading.Thread(target=request)
    thread.start()
    thread.join()
    (child,) = started
    time.sleep(0.2)  # the kernel signals at once; give the kill time to land
    child.send("still here")
    assert child.receive(30) == "still here"


def test_a_child_dies_with_its_sigkilled_parent(tmp_path: Path) -> None:
    """A SIGKILLed parent takes its busy child along: no solve keeps a core to its deadline."""
    pid_file = tmp_path / "pid"
    script = f"""
        import sys, time
        sys.path.insert(0, {HERE!r})
        from solvers.processes import ChildSpec, spawn
        child = spawn(ChildSpec("process_entries:hang"))
        open({str(pid_file)!r}, "w").write(str(child.receive(60)))
        time.sleep(120)
        """
    parent = subprocess.Popen([sys.executable, "-c", textwrap.dedent(script)])
    try:
        end = time.monotonic() + 60
        while not (pid_file.exists() and pid_file.read_text()) and time.monotonic() < end:
            time.sleep(0.05)
        child_pid = int(pid_file.read_text())
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        assert _gone(child_pid)
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()


def test_a_standby_is_handed_out_ready_and_replenished() -> None:
    """A standby child has done its start-up before it is taken; the next one is a new
    process, started only when asked."""
    standby = Standby(ChildSpec("process_entries:echo"))
    try:
        standby.replenish()
        assert standby.wait_ready(30)
        first = standby.take()
        assert first is not None and standby.waiting() is None
        first.send("job")
        assert first.receive(30) == "job"
        standby.replenish()
        assert standby.waiting() not in (None, first)
        first.kill()
    finally:
        standby.discard()


def test_a_dead_standby_is_never_handed_out() -> None:
    """A standby that died while waiting is discarded: the caller starts a fresh child."""
    standby = Standby(ChildSpec("process_entries:echo"))
    try:
        standby.replenish()
        waiting = standby.waiting()
        assert waiting is not None
        waiting.kill()
        assert standby.take() is None
    finally:
        standby.discard()
