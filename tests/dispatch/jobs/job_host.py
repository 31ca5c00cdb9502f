"""A process that owns a JobService, for tests that kill it with SIGKILL.

Usage: ``python job_host.py STORE MAX_ATTEMPTS [REQUEST_ID:BUDGET_SECONDS ...]``. It submits the
jobs in order (one slot), then prints one JSON line per state change it observes in any job of
the store (jobs recovered from an earlier run included) until it is killed.
"""

from __future__ import annotations

import json
import sys
import time

from job_helpers import plan_request
from ticking_routing import TickingRouting

from dispatch.jobs import JobService
from dispatch.jobs.rows import JobQuery


def main(argv: list[str]) -> None:
    """Run until killed, reporting state changes on stdout."""
    store, max_attempts, specs = argv[0], int(argv[1]), argv[2:]
    service = JobService(
        store, TickingRouting(workers=1), workers=1, queue_limit=100, max_attempts=max_attempts
    )
    service.start()
    for spec in specs:
        request_id, budget = spec.split(":")
        service.create(plan_request(request_id, budget=float(budget)))
    seen: dict[str, tuple[int, int]] = {}
    while True:
        for listed in reversed(service.list(JobQuery(page_size=500)).jobs):  # oldest first
            job = service.get(listed.job_id)
            if seen.get(job.job_id) != (job.state, job.attempts):
                seen[job.job_id] = (job.state, job.attempts)
                line = {
                    "job_id": job.job_id,
                    "request_id": job.request_id,
                    "state": job.state,
                    "attempts": job.attempts,
                    "objective": job.result.solve_info.objective,
                }
                print(json.dumps(line), flush=True)
        time.sleep(0.02)


if __name__ == "__main__":
    main(sys.argv[1:])
