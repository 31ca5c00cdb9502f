"""A process that owns a JobService, for tests that kill it with SIGKILL.

Usage: ``python job_host.py STORE REQUEST_ID:BUDGET_SECONDS ...``. It submits the jobs in order
(one slot) and prints one JSON line per observed state change until it is killed.
"""

from __future__ import annotations

import json
import sys
import time

from job_helpers import plan_request
from ticking_routing import TickingRouting

from dispatch.jobs import JobService


def main(argv: list[str]) -> None:
    """Run until killed, reporting state changes on stdout."""
    store, specs = argv[0], argv[1:]
    service = JobService(store, TickingRouting(workers=1), workers=1, queue_limit=100)
    service.start()
    ids = []
    for spec in specs:
        request_id, budget = spec.split(":")
        ids.append(service.create(plan_request(request_id, budget=float(budget))).job_id)
    seen: dict[str, int] = {}
    while True:
        for job_id in ids:
            job = service.get(job_id)
            if seen.get(job_id) != job.state:
                seen[job_id] = job.state
                line = {
                    "job_id": job_id,
                    "request_id": job.request_id,
                    "state": job.state,
                    "objective": job.result.solve_info.objective,
                }
                print(json.dumps(line), flush=True)
        time.sleep(0.02)


if __name__ == "__main__":
    main(sys.argv[1:])
