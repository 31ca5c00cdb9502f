"""PlanRoutes over a real server: real workers, real OR-Tools, real cancellation."""

from __future__ import annotations

import os
import signal
import time

import grpc
import pytest

from dispatch import client
from dispatch._proto.dispatch.v1 import common_pb2, routing_pb2

Kind = routing_pb2.Visit.Kind


def _budget(request: routing_pb2.PlanRoutesRequest, seconds: float) -> None:
    request.options.time_budget.FromMilliseconds(int(seconds * 1000))


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def _wait(predicate, seconds: float = 10.0) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def _assert_accounted(
    request: routing_pb2.PlanRoutesRequest, response: routing_pb2.PlanRoutesResponse
) -> None:
    served = [v.id for r in response.routes for v in r.visits if v.kind == Kind.STOP]
    skipped = [s.stop_id for s in response.skipped_stops]
    assert len(served) == len(set(served))
    assert sorted(served + skipped) == sorted(s.id for s in request.stops)
    for s in response.skipped_stops:
        assert s.reason != routing_pb2.SkippedStop.REASON_UNSPECIFIED


def test_sanitation_example_is_planned_and_verified(stub, examples) -> None:
    """The sanitation example: verified FEASIBLE plan, every route unloads last, every stop counted.

    The objective is the checker's and equals the KPI total and the sum of its terms.
    """
    request = examples["sanitation"]
    _budget(request, 10.0)  # room for a first solution on a loaded machine
    response = stub.PlanRoutes(request, timeout=60)
    info = response.solve_info
    assert info.verified
    # AUTO's two primary engines; whichever found the better plan answers. On a starved machine
    # (load 10-20 on 2 cores seen) the deadline wins: the best checked plan the service had by
    # then, which may be the constructed checkpoint, flagged as late.
    late = info.degraded and "overran its deadline" in info.degraded_reason
    assert info.engine in ("ortools.routing", "pyvrp") or late, info
    assert not info.degraded or late, info
    assert info.status == common_pb2.FEASIBLE
    assert info.objective == pytest.approx(response.kpis.total_cost)
    assert info.objective == pytest.approx(sum(t.value for t in info.objective_terms))
    assert response.routes
    for route in response.routes:
        kinds = [v.kind for v in route.visits]
        assert kinds[0] == Kind.START and kinds[-1] == Kind.END
        assert [k for k in kinds if k != Kind.BREAK][-2] == Kind.FACILITY
    _assert_accounted(request, response)


def test_maintenance_example_respects_skills(stub, examples) -> None:
    """Every served work order goes to a crew with all its required skills."""
    request = examples["maintenance"]
    _budget(request, 1.0)
    response = stub.PlanRoutes(request, timeout=30)
    skills = {v.id: set(v.skills) for v in request.vehicles}
    needs = {s.id: set(s.required_skills) for s in request.stops}
    for route in response.routes:
        for visit in route.visits:
            if visit.kind == Kind.STOP:
                assert needs[visit.id] <= skills[route.vehicle_id]
    _assert_accounted(request, response)


def test_answer_arrives_before_a_short_grpc_deadline(stub, examples) -> None:
    """A 30 s budget under a 2 s gRPC deadline is cut to fit: the plan arrives in time."""
    request = examples["sanitation"]
    _budget(request, 30.0)
    begin = time.monotonic()
    response = stub.PlanRoutes(request, timeout=2.0)
    assert time.monotonic() - begin < 2.0
    assert response.solve_info.verified


def test_health_and_assign_units_answer_while_a_long_solve_runs(make_server, examples) -> None:
    """OR-Tools holds the GIL while it solves; in a worker process it cannot stall the server.

    Health checks and an emergency AssignUnits call are answered while a 20 s route solve
    runs. The bound (1 s per call) checks isolation, not speed.
    """
    handle = make_server(routing_workers=1)
    request = examples["sanitation"]
    _budget(request, 20.0)
    emergency = examples["emergency"]
    with client.channel(handle.target) as chan:
        stub = client.stub(chan)
        future = stub.PlanRoutes.future(request, timeout=60)
        assert _wait(lambda: handle.routing.pool.busy() == 1)
        time.sleep(1.0)  # well into the search
        for _ in range(5):
            begin = time.monotonic()
            assert client.health_status(chan) == "SERVING"
            assert time.monotonic() - begin < 1.0
        begin = time.monotonic()
        answer = stub.AssignUnits(emergency, timeout=5)
        assert time.monotonic() - begin < 1.0
        assert answer.solve_info.verified
        assert not future.done()
        future.cancel()


def test_client_cancel_kills_the_worker_and_frees_the_slot(make_server, examples) -> None:
    """Cancelling the call kills the solving process; a new worker in its slot serves the next."""
    handle = make_server(routing_workers=1)
    (old,) = handle.routing.pool.pids()
    request = examples["sanitation"]
    _budget(request, 30.0)
    with client.channel(handle.target) as chan:
        stub = client.stub(chan)
        future = stub.PlanRoutes.future(request, timeout=60)
        assert _wait(lambda: handle.routing.pool.busy() == 1)
        time.sleep(0.5)
        future.cancel()
        assert _wait(lambda: not _alive(old))
        assert _wait(lambda: handle.routing.pool.busy() == 0)
        assert handle.routing.pool.pids() != [old]
        quick = examples["maintenance"]
        _budget(quick, 0.5)
        response = stub.PlanRoutes(quick, timeout=60)
        assert response.solve_info.verified


def test_crashed_worker_gives_unavailable_and_is_replaced(make_server, examples) -> None:
    """A worker killed from outside (as by the OOM killer) fails the call with UNAVAILABLE
    (retryable; tests/dispatch/test_worker_failures.py checks its RetryInfo).

    The pool replaces it, so the following call is answered normally.
    """
    handle = make_server(routing_workers=1)
    (old,) = handle.routing.pool.pids()
    request = examples["sanitation"]
    _budget(request, 30.0)
    with client.channel(handle.target) as chan:
        stub = client.stub(chan)
        future = stub.PlanRoutes.future(request, timeout=60)
        assert _wait(lambda: handle.routing.pool.busy() == 1)
        time.sleep(0.5)
        os.kill(old, signal.SIGKILL)
        with pytest.raises(grpc.RpcError) as info:
            future.result(timeout=30)
        assert info.value.code() == grpc.StatusCode.UNAVAILABLE
        quick = examples["maintenance"]
        quick.options.deterministic = True  # work limits: the same call on a loaded machine
        _budget(quick, 25.0)
        assert stub.PlanRoutes(quick, timeout=30).solve_info.verified


def test_progress_from_the_worker_reaches_the_caller(examples) -> None:
    """Improving solutions found in the worker process arrive as RoutingProgress, in order."""
    from dispatch.routing import RoutingProgress, RoutingService
    from solvers.budget import Deadline

    service = RoutingService(workers=1)
    try:
        request = examples["maintenance"]
        seen: list[RoutingProgress] = []
        # Work limits end the search, so a loaded machine reports the same progress, later.
        request.options.deterministic = True
        response = service.plan_routes(request, Deadline.after(60.0), on_progress=seen.append)
        assert response.solve_info.verified
        assert seen
        assert all(isinstance(p, RoutingProgress) for p in seen)
        assert [p.solutions_found for p in seen] == sorted(p.solutions_found for p in seen)
        # Penalties of unserved mandatory stops are not part of the reported objective.
        assert 0 <= seen[-1].best_objective < 10 * response.solve_info.objective + 1
    finally:
        service.close()
