"""AdviseInsertion by job_id answers from a cache of built live plans (issue #13, item 4).

Through the real server: the first call on a SUCCEEDED job builds its live plan and keeps it,
the next ones are answered from it, and the answers are the same as a fresh build's and as the
inline form's; access checks, states and new-stop checks still apply on every call. The live
plan is the bundled maintenance example planned by a job with the constructive heuristic
(real solvers, fast). The LRU itself is checked against a model with hypothesis.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from pathlib import Path

import grpc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dispatch import client, replanning
from dispatch._proto.dispatch.v1 import common_pb2, jobs_pb2, replanning_pb2, routing_pb2
from dispatch.examples import EXAMPLES
from dispatch.examples import read_text as examples_text
from dispatch.replanning import LivePlan, LivePlanCache, job_plan_cache
from dispatch.security.credentials import ClientSecurity
from dispatch.security.tokens import hash_token
from dispatch.wire.routing import problem_from_request
from dispatch.wire.routing_answer import planned_routes_of
from solvers.budget import Deadline
from solvers.routing.plan import RoutingPlan

TIMEOUT = 60.0


def _finished_job(stub, request: routing_pb2.PlanRoutesRequest) -> str:
    """A SUCCEEDED plan job of ``request`` (constructive heuristic): its id."""
    job_request = routing_pb2.PlanRoutesRequest()
    job_request.CopyFrom(request)
    job_request.request_id = f"advise-cache-{time.time_ns()}"
    job_request.options.solver = common_pb2.GREEDY
    job_request.options.time_budget.FromSeconds(2)
    job = stub.CreatePlanJob(jobs_pb2.CreatePlanJobRequest(request=job_request), timeout=TIMEOUT)
    watch = jobs_pb2.WatchPlanJobRequest(job_id=job.job_id)
    final = list(stub.WatchPlanJob(watch, timeout=TIMEOUT))
    assert final[-1].job.state == jobs_pb2.PlanJob.SUCCEEDED
    return job.job_id


def _new_stop(request: routing_pb2.PlanRoutesRequest, **fields) -> routing_pb2.Stop:
    """A new 30-minute work order at the location of the request's fourth stop."""
    stop = routing_pb2.Stop(
        id="burst-main", location_id=request.stops[3].location_id, service_duration=1800
    )
    for name, value in fields.items():
        setattr(stop, name, value)
    return stop


def _by_job(job_id: str, *stops: routing_pb2.Stop) -> replanning_pb2.AdviseInsertionRequest:
    return replanning_pb2.AdviseInsertionRequest(
        label="who", request_id="c-1", job_id=job_id, new_stops=stops, max_options=8
    )


def _without_wall_time(
    answer: replanning_pb2.AdviseInsertionResponse,
) -> replanning_pb2.AdviseInsertionResponse:
    out = replanning_pb2.AdviseInsertionResponse()
    out.CopyFrom(answer)
    out.ClearField("wall_time")
    return out


def _failure(stub, request) -> client.ErrorDetails:
    with pytest.raises(grpc.RpcError) as info:
        stub.AdviseInsertion(request, timeout=TIMEOUT)
    return client.error_details(info.value)


@pytest.fixture
def maintenance(examples) -> routing_pb2.PlanRoutesRequest:
    """The bundled maintenance example (30 work orders, 5 crews)."""
    return examples["maintenance"]


def test_a_cache_hit_answers_what_the_first_call_and_the_inline_plan_answer(
    server, stub, maintenance
) -> None:
    """The first call builds and keeps the job's live plan, the second is a hit; both answers
    are the same, and the same as sending the job's request and plan inline."""
    job_id = _finished_job(stub, maintenance)
    cache = job_plan_cache(server.jobs)
    assert job_id not in cache
    request = _by_job(job_id, _new_stop(maintenance))
    first = stub.AdviseInsertion(request, timeout=TIMEOUT)
    assert job_id in cache
    hits = cache.hits
    second = stub.AdviseInsertion(request, timeout=TIMEOUT)
    assert cache.hits == hits + 1
    assert first.advice[0].options
    assert _without_wall_time(second) == _without_wall_time(first)
    job = stub.GetPlanJob(
        jobs_pb2.GetPlanJobRequest(job_id=job_id, include_request=True), timeout=TIMEOUT
    )
    routes = planned_routes_of(job.result.routes)
    inline = replanning_pb2.AdviseInsertionRequest(
        label="who",
        request_id="c-1",
        problem=job.request,
        routes=routes,
        new_stops=request.new_stops,
        max_options=8,
    )
    assert _without_wall_time(stub.AdviseInsertion(inline, timeout=TIMEOUT)) == _without_wall_time(
        first
    )


def test_a_bad_new_stop_on_a_cached_job_is_invalid_argument_with_its_field(
    server, stub, maintenance
) -> None:
    """With the job's plan cached, a new stop at an unknown location, or with the id of a stop
    the job already has, is INVALID_ARGUMENT on that field; a good stop still gets options."""
    job_id = _finished_job(stub, maintenance)
    good = _by_job(job_id, _new_stop(maintenance))
    assert stub.AdviseInsertion(good, timeout=TIMEOUT).advice[0].options
    assert job_id in job_plan_cache(server.jobs)
    unknown = _by_job(job_id, _new_stop(maintenance, location_id="nowhere"))
    details = _failure(stub, unknown)
    assert details.code == grpc.StatusCode.INVALID_ARGUMENT
    assert details.fields == ["new_stops[0].location_id"]
    taken = _by_job(job_id, _new_stop(maintenance, id=maintenance.stops[0].id))
    assert _failure(stub, taken).fields == ["new_stops[0].id"]
    assert stub.AdviseInsertion(good, timeout=TIMEOUT).advice[0].options


@pytest.fixture
def tokens(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A token file for planner and surveyor (plan), dispatcher (dispatch) and ops (admin)."""
    scopes = {"planner": "plan", "surveyor": "plan", "dispatcher": "dispatch", "ops": "admin"}
    tokens = {name: f"token-of-{name}-{time.time_ns()}" for name in scopes}
    path = tmp_path / "tokens.txt"
    path.write_text("".join(f"{n} {hash_token(tokens[n])} {scopes[n]}\n" for n in scopes))
    return path, tokens


def test_a_cached_job_is_still_refused_to_other_principals(
    make_server, tokens, maintenance
) -> None:
    """After the owner's calls put the job's plan in the cache, another plan principal still
    gets NOT_FOUND and a principal without the plan scope PERMISSION_DENIED, answered without
    the cache; an admin gets the owner's answer."""
    path, secrets = tokens
    handle = make_server(auth_tokens=str(path))
    channels: list[grpc.Channel] = []

    def stub_of(name: str):
        security = ClientSecurity(token=secrets[name])
        channels.append(client.channel(handle.target, security=security))
        return client.stub(channels[-1])

    try:
        owner = stub_of("planner")
        job_id = _finished_job(owner, maintenance)
        request = _by_job(job_id, _new_stop(maintenance))
        answer = owner.AdviseInsertion(request, timeout=TIMEOUT)
        owner.AdviseInsertion(request, timeout=TIMEOUT)
        cache = job_plan_cache(handle.jobs)
        assert job_id in cache and cache.hits == 1
        assert _failure(stub_of("surveyor"), request).code == grpc.StatusCode.NOT_FOUND
        denied = _failure(stub_of("dispatcher"), request).code
        assert denied == grpc.StatusCode.PERMISSION_DENIED
        assert cache.hits == 1
        admin = stub_of("ops").AdviseInsertion(request, timeout=TIMEOUT)
        assert _without_wall_time(admin) == _without_wall_time(answer)
    finally:
        for chan in channels:
            chan.close()


# -- inline live plans ----------------------------------------------------------------------------


def _inline(
    stub, request: routing_pb2.PlanRoutesRequest, *stops: routing_pb2.Stop
) -> replanning_pb2.AdviseInsertionRequest:
    """The example's constructed plan, inline, with ``stops`` to advise."""
    plan = stub.PlanRoutes(_greedy(request), timeout=TIMEOUT)
    return replanning_pb2.AdviseInsertionRequest(
        label="who",
        request_id="i-1",
        problem=request,
        routes=planned_routes_of(plan.routes),
        new_stops=stops,
        max_options=8,
    )


def _greedy(request: routing_pb2.PlanRoutesRequest) -> routing_pb2.PlanRoutesRequest:
    out = routing_pb2.PlanRoutesRequest()
    out.CopyFrom(request)
    out.options.solver = common_pb2.GREEDY
    return out


def test_an_inline_plan_sent_again_is_answered_from_the_cache_alike(
    server, stub, maintenance
) -> None:
    """The same inline plan twice (another new stop the second time): the second call is a
    hit, and its answer is the answer of a server that builds the plan afresh."""
    cache = server.servicer.inline_plans.cache
    request = _inline(stub, maintenance, _new_stop(maintenance))
    first = stub.AdviseInsertion(request, timeout=TIMEOUT)
    hits = cache.hits
    again = replanning_pb2.AdviseInsertionRequest()
    again.CopyFrom(request)
    again.new_stops[0].service_duration = 600
    answer = stub.AdviseInsertion(again, timeout=TIMEOUT)
    assert cache.hits == hits + 1
    assert first.advice[0].options and answer.advice[0].options
    fresh = replanning.advise_insertion(again, Deadline.after(TIMEOUT))
    assert _without_wall_time(answer) == _without_wall_time(fresh)


def test_a_changed_inline_plan_is_built_again(server, stub, maintenance) -> None:
    """One route one stop shorter is another plan: a miss, whose answer is its own."""
    cache = server.servicer.inline_plans.cache
    request = _inline(stub, maintenance, _new_stop(maintenance))
    stub.AdviseInsertion(request, timeout=TIMEOUT)
    changed = replanning_pb2.AdviseInsertionRequest()
    changed.CopyFrom(request)
    route = next(r for r in changed.routes if len(r.visits) > 1)
    del route.visits[-1]
    misses = cache.misses
    answer = stub.AdviseInsertion(changed, timeout=TIMEOUT)
    assert cache.misses == misses + 1
    fresh = replanning.advise_insertion(changed, Deadline.after(TIMEOUT))
    assert _without_wall_time(answer) == _without_wall_time(fresh)


def test_an_invalid_inline_plan_is_never_kept(server, stub, maintenance) -> None:
    """A live plan that fails validation is refused every time it is sent (nothing cached
    lets the second call skip its checks), with the field path."""
    request = _inline(stub, maintenance, _new_stop(maintenance))
    request.problem.vehicles[0].shift.end = -5  # before its start
    for _ in range(2):
        details = _failure(stub, request)
        assert details.code == grpc.StatusCode.INVALID_ARGUMENT
        assert any(f.startswith("problem.vehicles[0]") for f in details.fields)
    assert server.servicer.inline_plans.lookup(request).entry is None


# -- the LRU -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def entry() -> LivePlan:
    """A live plan (the maintenance example, no routes): the LRU never looks inside entries."""
    request = client.parse_request(EXAMPLES["maintenance"], examples_text("maintenance"))
    return LivePlan.build(request, problem_from_request(request), RoutingPlan(()))


_KEYS = st.sampled_from(["a", "b", "c", "d", "e", "f"])
_OPS = st.lists(st.tuples(st.sampled_from(["get", "put"]), _KEYS), max_size=40)


@settings(max_examples=200, deadline=None)
@given(size=st.integers(1, 4), ops=_OPS)
def test_the_cache_keeps_the_most_recently_used_jobs(entry, size: int, ops) -> None:
    """Against a model LRU, for any sequence of gets and puts: the same hits and misses, the
    same job ids kept, never more than ``size``."""
    cache, model = LivePlanCache(size), OrderedDict()
    hits = misses = 0
    for op, key in ops:
        if op == "put":
            cache.put(key, entry)
            model[key] = True
            model.move_to_end(key)
            while len(model) > size:
                model.popitem(last=False)
        else:
            found = cache.get(key) is not None
            assert found == (key in model)
            if found:
                model.move_to_end(key)
                hits += 1
            else:
                misses += 1
        assert len(cache) == len(model) <= size
        assert all(k in cache for k in model)
    assert (cache.hits, cache.misses) == (hits, misses)
