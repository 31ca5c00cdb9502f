"""``dispatch serve`` in its own process on 127.0.0.1 port 0, with the flags a load run sets.

The server has its own process because the load clients would otherwise share its GIL (see
``benchmarks.assign.server``); on a small machine both still share the cores, which the results
state.
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

_SERVING = re.compile(r"serving on \S+ \(port (\d+)\)")


@contextmanager
def serve(flags: Sequence[str] = (), startup_timeout: float = 60.0) -> Iterator[str]:
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
                process.wait(timeout=30)
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
