"""Diagnostic: ``../2026-12-06-assign-latency-2/bench.py`` with its three servers pinned to one
core and its client to the other, to tell the machine's cores apart.

    PYTHONPATH=<NEW> python pinned.py SERVER_CORE CLIENT_CORE --base <BASE> --out <dir> --calls 300

The servers inherit the affinity the process has when it starts them; the client moves to its
own core when it opens its first channel, after every server has started.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import grpc

BENCH = Path(__file__).resolve().parent.parent / "2026-12-06-assign-latency-2" / "bench.py"


def main() -> None:
    server_core, client_core = int(sys.argv[1]), int(sys.argv[2])
    sys.argv = [str(BENCH), *sys.argv[3:]]
    spec = importlib.util.spec_from_file_location("bench", BENCH)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    os.sched_setaffinity(0, {server_core})
    open_channel = grpc.insecure_channel

    def client_side(*args: object, **kwargs: object) -> grpc.Channel:
        os.sched_setaffinity(0, {client_core})
        return open_channel(*args, **kwargs)

    grpc.insecure_channel = client_side
    bench.main()


if __name__ == "__main__":
    main()
