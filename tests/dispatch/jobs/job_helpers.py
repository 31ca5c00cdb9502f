"""Helpers shared by the job tests: small requests and polling with a timeout."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from dispatch import client
from dispatch._proto.dispatch.v1 import dispatch_service_pb2_grpc, jobs_pb2, routing_pb2
from dispatch.examples import read_text
from dispatch.jobs import JobService

FINAL = (jobs_pb2.PlanJob.SUCCEEDED, jobs_pb2.PlanJob.FAILED, jobs_pb2.PlanJob.CANCELLED)


def plan_request(
    request_id: str = "", label: str = "night", budget: float = 0.5, stops: int = 2
) -> routing_pb2.PlanRoutesRequest:
    """A small valid sanitation request; ``budget`` is its time budget in seconds."""
    ids = ["depot"] + [f"s{i}" for i in range(stops)]
    n = len(ids)
    request = routing_pb2.PlanRoutesRequest(
        label=label,
        request_id=request_id,
        workload=routing_pb2.SANITATION,
        location_ids=ids,
        load_dimensions=["volume_l"],
    )
    request.travel.durations.extend(
        0 if i == j else 60 * (abs(i - j) + 1) for i in range(n) for j in range(n)
    )
    request.options.time_budget.FromNanoseconds(int(budget * 1e9))
    vehicle = request.vehicles.add(id="truck-1", start_location_id="depot", end_location_id="depot")
    vehicle.shift.start, vehicle.shift.end = 0, 28800
    vehicle.capacities.append(1000)
    for i in range(stops):
        request.stops.add(id=f"stop-{i}", location_id=f"s{i}", demands=[10], service_duration=30)
    return request


def wait_for(predicate: Callable[[], bool], timeout: float = 10.0, interval: float = 0.02) -> None:
    """Poll until ``predicate()`` holds; fail the test after ``timeout`` seconds."""
    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > end:
            raise AssertionError("condition not reached in time")
        time.sleep(interval)


def wait_state(service: JobService, job_id: str, *states: int, timeout: float = 10.0) -> None:
    """Wait until the job is in one of ``states``."""
    wait_for(lambda: service.get(job_id).state in states, timeout)


@dataclass
class Served:
    """A running server, a stub on it and the job service behind it."""

    stub: dispatch_service_pb2_grpc.DispatchServiceStub
    jobs: JobService
    target: str


def sanitation(request_id: str, budget: float) -> routing_pb2.PlanRoutesRequest:
    """The bundled sanitation example (42 stops, 4 trucks, 2 facilities) with a short budget."""
    request = client.parse_request("PlanRoutes", read_text("sanitation"))
    assert isinstance(request, routing_pb2.PlanRoutesRequest)
    request.request_id = request_id
    request.options.time_budget.FromMilliseconds(int(budget * 1000))
    return request
