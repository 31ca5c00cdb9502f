"""``dispatch serve``'s process settings (the command itself runs in test_cli and the README
tests)."""

from __future__ import annotations

import json
import subprocess
import sys

from dispatch.serve_command import YOUNG_COLLECTION_THRESHOLD

_PROBE = """
import gc, json
from dispatch.serve_command import settle_collector
before = gc.get_threshold()
settle_collector()
print(json.dumps({"before": before, "after": gc.get_threshold(), "frozen": gc.get_freeze_count()}))
"""


def test_settle_collector_freezes_the_loaded_heap_and_delays_young_collections():
    """In a fresh interpreter (freezing would pin this test process's garbage): what is loaded
    is frozen, young collections start at the server's threshold, older ones keep theirs."""
    out = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True, timeout=120
    )
    seen = json.loads(out.stdout)
    assert seen["frozen"] > 1000
    assert seen["after"] == [YOUNG_COLLECTION_THRESHOLD, *seen["before"][1:]]
    assert seen["before"][0] < YOUNG_COLLECTION_THRESHOLD


_CYCLES = """
import gc, json, sys, grpc
from benchmarks.assign.requests import to_request
from benchmarks.assign.scenarios import city_problem
from dispatch._proto.dispatch.v1 import emergency_pb2
from dispatch.config import ServerConfig
from dispatch.server import start

handle = start(ServerConfig(store_path=sys.argv[1], log_level="ERROR"))
channel = grpc.insecure_channel(handle.target)
call = channel.unary_unary("/dispatch.v1.DispatchService/AssignUnits")
good = to_request(city_problem(20, 100, seed=1))
bad = emergency_pb2.AssignUnitsRequest()
bad.CopyFrom(good)
bad.units[3].id = ""
bodies = {"valid": good.SerializeToString(), "invalid": bad.SerializeToString(),
          "undecodable": b"\\xff" * 3000}
found = {}
gc.collect()
gc.disable()
for name, body in bodies.items():
    for timeout in (30.0, 0.002):
        for _ in range(10):
            try:
                call(body, timeout=timeout)
            except grpc.RpcError:
                pass
        found[f"{name} {timeout}"] = gc.collect()
channel.close()
handle.shutdown()
print(json.dumps(found))
"""


def test_assign_units_calls_leave_no_cyclic_garbage(tmp_path):
    """What ``settle_collector`` rests on: an AssignUnits call, answered, refused or out of time,
    leaves no reference cycle, so nothing it held (a request of megabytes) waits for the
    rarer young collections. In a fresh interpreter with the collector off; each case's
    ``gc.collect()`` would count the unreachable objects its calls left."""
    out = subprocess.run(
        [sys.executable, "-c", _CYCLES, str(tmp_path / "store.sqlite3")],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    found = json.loads(out.stdout.strip().splitlines()[-1])
    assert len(found) == 6
    assert found == dict.fromkeys(found, 0)
