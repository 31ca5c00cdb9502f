"""A generated night as a PlanRoutesRequest, for the server path (``dispatch jobs submit``).

The request carries the full matrices (the contract's only travel source) in the bytes
encoding: 8 bytes per location pair for seconds and metres, so the server's default 128 MiB
message limit holds about 4,000 locations and protobuf's 2 GB about 16,000 (``--max-message-
bytes`` on both sides). Bigger nights run through ``python -m benchmarks bignight``, which
never builds the full matrix.
"""

from __future__ import annotations

import numpy as np

from benchmarks.readers.common import skeleton, window
from dispatch._proto.dispatch.v1 import routing_pb2
from solvers.routing.decompose import LargeProblem


def to_request(large: LargeProblem, budget_seconds: float) -> routing_pb2.PlanRoutesRequest:
    """The whole night as one request (matrices computed from the travel model)."""
    ids = list(large.location_ids)
    every = np.arange(len(ids), dtype=np.int64)
    seconds, metres = large.travel.block(0, every, every)
    if metres is None:
        metres = np.zeros_like(seconds)
    request = skeleton(
        large.label, routing_pb2.SANITATION, ids, seconds, metres, False, list(large.dimensions)
    )
    for v in large.vehicles:
        request.vehicles.add(
            id=v.id,
            start_location_id=ids[v.start],
            end_location_id=ids[v.end],
            shift=window(v.shift.start, v.shift.end),
            capacities=list(v.capacities or ()),
            breaks=[
                routing_pb2.Break(
                    id=b.id,
                    start_window=window(b.start_window.start, b.start_window.end),
                    duration=b.duration,
                )
                for b in v.breaks
            ],
        )
    for f in large.facilities:
        opening = window(f.opening.start, f.opening.end) if f.opening else None
        request.facilities.add(
            id=f.id, location_id=ids[f.location], opening=opening, unload_duration=f.unload_duration
        )
    for s in large.stops:
        request.stops.add(
            id=s.id,
            location_id=ids[s.location],
            demands=list(s.demands),
            service_duration=s.service_duration,
            time_windows=[window(w.start, w.end) for w in s.time_windows],
        )
    request.options.time_budget.seconds = int(budget_seconds)
    return request
