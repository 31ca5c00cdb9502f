"""First calls on fresh servers: 2 s gRPC deadlines on PlanRoutes (sanitation, 30 s budget).

Usage: probe.py TREE CALLS. Starts a server from TREE (a source tree of this repository) in
this process, sends CALLS calls, and prints one line per call and the load it saw at the start.
Run it alternately for two trees beside two busy loops (see README.md).
"""

import pathlib
import sys
import tempfile
import time

TREE = pathlib.Path(sys.argv[1]).resolve()
sys.path[:0] = [str(TREE / "tests"), str(TREE)]

import conftest  # noqa: E402
import grpc  # noqa: E402

from dispatch import client  # noqa: E402
from dispatch.server import start  # noqa: E402
from solvers import budget  # noqa: E402

handle = start(conftest._config(pathlib.Path(tempfile.mkdtemp())))
request = client.parse_request("PlanRoutes", (TREE / "examples" / "sanitation.json").read_text())
request.options.time_budget.FromNanoseconds(30 * 10**9)
stub = client.stub(client.channel(handle.target))
for i in range(int(sys.argv[2])):
    load = budget.load_per_core()
    began = time.monotonic()
    try:
        answer = stub.PlanRoutes(request, timeout=2.0)
        outcome = (
            "OK " + answer.solve_info.engine + (" DEGRADED" if answer.solve_info.degraded else "")
        )
    except grpc.RpcError as error:
        outcome = error.code().name
    print(
        f"{TREE.name} call {i}: load/core {load:.2f} {time.monotonic() - began:.3f} s {outcome}",
        flush=True,
    )
handle.shutdown(grace=0.5)
