"""2 s gRPC deadlines on PlanRoutes (sanitation example, 30 s budget) against a fresh server.

Prints, per call, the wall time and the outcome, and the answer's delay past its solve
deadline as the server recorded it (dispatch.answer_margin). Run beside two busy loops.
"""

import pathlib
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[3]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT)]

import conftest  # noqa: E402
import grpc  # noqa: E402

import dispatch.answer_margin as margin  # noqa: E402
from dispatch import client  # noqa: E402
from dispatch.server import start  # noqa: E402

_record = margin.AnswerMargin.record


def _printed(self, seconds):
    print(f"   past the solve deadline: {seconds:.3f} s", flush=True)
    _record(self, seconds)


margin.AnswerMargin.record = _printed
handle = start(conftest._config(pathlib.Path(tempfile.mkdtemp())))
request = client.parse_request("PlanRoutes", (ROOT / "examples" / "sanitation.json").read_text())
request.options.time_budget.FromNanoseconds(30 * 10**9)
stub = client.stub(client.channel(handle.target))
late = 0
for i in range(int(sys.argv[1]) if len(sys.argv) > 1 else 12):
    began = time.monotonic()
    try:
        answer = stub.PlanRoutes(request, timeout=2.0)
        info = answer.solve_info
        outcome = f"OK {info.engine}" + (" DEGRADED" if info.degraded else "")
    except grpc.RpcError as error:
        outcome = error.code().name
        late += 1
    print(f"call {i}: {time.monotonic() - began:.3f} s {outcome}", flush=True)
print(f"late: {late}")
handle.shutdown(grace=0.5)
