"""A routing worker that does not answer in time: the caller still gets a checked plan, flagged.

Faults are injected for real: the worker process is stopped with SIGSTOP (a process starved of
CPU or stuck in a solver phase that does not watch the clock looks the same from outside).
"""

from __future__ import annotations

import os
import signal
import threading

from dispatch import client
from dispatch._proto.dispatch.v1 import common_pb2, routing_pb2
from dispatch.routing import RoutingCheckpoint
from solvers.budget import Deadline

Kind = routing_pb2.Visit.Kind


def _accounted(request: routing_pb2.PlanRoutesRequest, response) -> bool:
    served = [v.id for r in response.routes for v in r.visits if v.kind == Kind.STOP]
    skipped = [s.stop_id for s in response.skipped_stops]
    return sorted(served + skipped) == sorted(s.id for s in request.stops)


def test_a_stalled_worker_is_answered_with_its_last_checked_plan(make_server, examples) -> None:
    """The worker stops after handing over a plan of its search; the answer is that plan, on
    time, marked degraded.

    The worker is stopped once an OR-Tools plan has arrived (not at a fixed time after the
    first progress line), with a budget long enough that the search is still running then."""
    handle = make_server(routing_workers=1)
    (worker,) = handle.routing.pool.pids()
    # Maintenance: OR-Tools' first plans there beat the constructed checkpoint at once (on the
    # sanitation example the repaired construction outranks them for the first seconds).
    request = examples["maintenance"]
    request.options.solver = common_pb2.ORTOOLS  # the engine whose search streams its plans
    searched = threading.Event()

    def checkpoint(update: RoutingCheckpoint) -> None:
        answer = routing_pb2.PlanRoutesResponse.FromString(update.response)
        if answer.solve_info.engine == "ortools.routing":
            searched.set()

    def stop_worker() -> None:
        if searched.wait(60):
            os.kill(worker, signal.SIGSTOP)

    threading.Thread(target=stop_worker, daemon=True).start()
    deadline = Deadline.after(20.0)
    response = handle.routing.plan_routes(request, deadline, on_checkpoint=checkpoint)
    info = response.solve_info
    assert searched.is_set()
    assert info.verified and info.degraded
    assert "overran its deadline" in info.degraded_reason
    assert info.engine == "ortools.routing"
    assert response.routes and _accounted(request, response)


def test_a_worker_with_nothing_by_the_deadline_gets_the_constructed_plan(
    make_server, examples
) -> None:
    """A worker that never starts the job: the server constructs a checked plan itself, flagged."""
    handle = make_server(routing_workers=1)
    (worker,) = handle.routing.pool.pids()
    os.kill(worker, signal.SIGSTOP)
    request = examples["maintenance"]
    response = handle.routing.plan_routes(request, Deadline.after(0.5))
    info = response.solve_info
    assert info.verified and info.degraded
    assert info.engine == "greedy.construct"
    assert "no plan by its deadline" in info.fallback_reason
    assert _accounted(request, response)


def test_a_stalled_worker_is_replaced_for_the_next_call(make_server, examples) -> None:
    """After a late answer the stopped worker is killed and a new one serves the next call."""
    handle = make_server(routing_workers=1)
    (worker,) = handle.routing.pool.pids()
    os.kill(worker, signal.SIGSTOP)
    handle.routing.plan_routes(examples["maintenance"], Deadline.after(0.5))
    assert handle.routing.pool.pids() != [worker]
    quick = examples["maintenance"]
    # Ends on work limits (under a second here), so a budget this long is never what stops it:
    # a fresh worker still starting up on a loaded machine cannot make the answer late.
    quick.options.deterministic = True
    quick.options.time_budget.FromSeconds(50)
    with client.channel(handle.target) as chan:
        response = client.stub(chan).PlanRoutes(quick, timeout=60)
    assert response.solve_info.verified and not response.solve_info.degraded


def test_a_stalled_pyvrp_worker_is_answered_with_the_plan_it_constructed_first(
    make_server, examples
) -> None:
    """PyVRP hands over no plan while it searches, so the worker hands over a constructed plan
    before the search: a caller whose worker stalls gets that plan, not one the server has to
    construct after the deadline."""
    handle = make_server(routing_workers=1)
    (worker,) = handle.routing.pool.pids()
    request = examples["sanitation"]
    request.options.solver = common_pb2.PYVRP
    handed_over = threading.Event()

    def stop_worker() -> None:
        if handed_over.wait(60):
            os.kill(worker, signal.SIGSTOP)

    threading.Thread(target=stop_worker, daemon=True).start()
    # 15 s: on a loaded machine the worker's conversion, construction and repair before the
    # hand-over once took longer than 8 s.
    response = handle.routing.plan_routes(
        request, Deadline.after(15.0), on_checkpoint=lambda _: handed_over.set()
    )
    info = response.solve_info
    assert handed_over.is_set()
    assert info.verified and info.degraded
    assert "overran its deadline" in info.degraded_reason
    assert "no plan by its deadline" not in info.fallback_reason
    assert info.engine == "greedy.construct"
    assert response.routes and _accounted(request, response)
