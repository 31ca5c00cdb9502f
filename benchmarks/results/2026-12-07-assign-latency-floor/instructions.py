"""Instructions executed by N in-process AssignUnits calls, counted by valgrind's callgrind.

Wall-clock times on this shared machine move by tens of percent between runs; an instruction
count does not. The script warms up (one call, imports done), freezes the garbage collector's
view of the startup objects, turns callgrind's instrumentation on for exactly the N calls
(decode, validation, the solve and the encoded answer) and off again.

    PYTHONHASHSEED=0 PYTHONPATH=<tree> valgrind --tool=callgrind --instr-atstart=no \
        --callgrind-out-file=<out> python instructions.py 50 300 20
The total is the "Collected" line valgrind prints at exit.
"""

from __future__ import annotations

import gc
import os
import subprocess
import sys

from benchmarks.assign.requests import to_request
from benchmarks.assign.scenarios import city_problem
from dispatch._proto.dispatch.v1 import emergency_pb2
from dispatch.emergency import assign_units
from dispatch.validation import validate_assign_units
from solvers.budget import Deadline


def main() -> None:
    n_incidents, n_units, calls = (int(a) for a in sys.argv[1:4])
    data = to_request(city_problem(n_incidents, n_units, seed=3)).SerializeToString()

    def call() -> bytes:
        request = emergency_pb2.AssignUnitsRequest.FromString(data)
        validate_assign_units(request)
        return assign_units(request, Deadline.after(100)).SerializeToString()

    call()
    gc.collect()
    gc.freeze()
    control = ["callgrind_control", "-i"]
    subprocess.run([*control, "on", str(os.getpid())], check=True, capture_output=True)
    for _ in range(calls):
        call()
    subprocess.run([*control, "off", str(os.getpid())], check=True, capture_output=True)


if __name__ == "__main__":
    main()
