"""A real server in its own process (``dispatch serve`` on 127.0.0.1 port 0) for latency work.

Measured here: with the client in the server's process, a 200 x 2000 AssignUnits call's
handler took 20-40 ms of wall time for 10 ms of its own CPU, because the client's threads
(serialising and parsing 2 MB messages) compete for the same GIL; with the server in its own
process the same calls answered in 15-40 ms end to end. Callers of a CAD service are other
processes, so latency is measured that way.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

#: The line ``dispatch serve`` prints on stdout once it listens (``... (port N)``: the real port,
#: not the 0 it was asked for).
_SERVING = re.compile(r"serving on \S+ \(port (\d+)\)")


@contextmanager
def server_process(flags: Sequence[str] = (), startup_timeout: float = 60.0) -> Iterator[str]:
    """Start ``dispatch serve --address 127.0.0.1:0 FLAGS``; yield its target; stop it after."""
    with tempfile.TemporaryDirectory() as folder:
        command = [
            sys.executable,
            "-m",
            "dispatch.cli",
            "serve",
            "--address",
            "127.0.0.1:0",
            "--store",
            str(Path(folder) / "jobs.sqlite3"),
            "--log-level",
            "WARNING",
            *flags,
        ]
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        try:
            target = _wait_for_port(process, startup_timeout)
            # Keep reading its output so a chatty server never blocks on a full pipe.
            threading.Thread(target=_drain, args=(process,), daemon=True).start()
            yield target
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)  # the grace period for in-flight calls
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
            if process.stdout is not None:
                process.stdout.close()


def _wait_for_port(process: subprocess.Popen[str], timeout: float) -> str:
    assert process.stdout is not None
    stop = time.monotonic() + timeout
    seen: list[str] = []
    while time.monotonic() < stop:
        line = process.stdout.readline()
        if not line:
            if process.poll() is not None:
                break
            continue
        seen.append(line)
        match = _SERVING.search(line)
        if match:
            return f"127.0.0.1:{match.group(1)}"
    raise RuntimeError("dispatch serve did not start: " + "".join(seen)[-2000:])


def _drain(process: subprocess.Popen[str]) -> None:
    assert process.stdout is not None
    try:
        for _ in process.stdout:
            pass
    except (OSError, ValueError):
        pass
