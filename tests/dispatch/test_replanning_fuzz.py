"""Re-planning input never crashes: mutated AdviseInsertion requests and reference plans are
either rejected with the documented errors or answered; never an unexpected exception (which the
server would turn into INTERNAL).

Documents start from the maintenance example, its constructed plan and two new stops, and are
mutated at the JSON level (replace, delete, duplicate, empty) like test_validation_fuzz.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import json
from typing import Any

from google.protobuf import json_format
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dispatch import client, validation
from dispatch._proto.dispatch.v1 import replanning_pb2, routing_pb2
from dispatch.errors import InvalidProblemError, RequestTooLargeError
from dispatch.examples import read_text
from dispatch.replanning import advise_insertion
from dispatch.wire.replanning import plan_diff
from dispatch.wire.routing import problem_from_request
from solvers.budget import Deadline
from solvers.routing.checker import evaluate
from solvers.routing.engines.construct import greedy_plan
from solvers.routing.plan import VisitKind

FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.text(max_size=5),
    st.sampled_from(["", "STOP", "START", "BREAK", "FACILITY", "wo-2205", "yard-central", "-1"]),
    st.just({}),
    st.lists(st.just({}), max_size=2),
)


@functools.cache
def _document() -> dict[str, Any]:
    """An AdviseInsertion request (inline live plan, two new stops) as canonical JSON."""
    request = client.parse_request("PlanRoutes", read_text("maintenance"))
    problem = problem_from_request(request)
    plan = greedy_plan(problem)
    kinds = {VisitKind.STOP: "STOP", VisitKind.FACILITY: "FACILITY", VisitKind.BREAK: "BREAK"}
    routes = []
    for r in plan.routes:
        visits = []
        for v in r.visits:
            table = {
                VisitKind.STOP: problem.stops,
                VisitKind.FACILITY: problem.facilities,
                VisitKind.BREAK: problem.vehicles[r.vehicle].breaks,
            }[v.kind]
            visits.append({"kind": kinds[v.kind], "id": table[v.ref].id})
        routes.append({"vehicle_id": problem.vehicles[r.vehicle].id, "visits": visits})
    doc = json.loads(client.to_json(request))
    new = [
        {"id": "n1", "location_id": request.stops[3].location_id, "service_duration": 600},
        {"id": "n2", "location_id": request.stops[9].location_id, "time_windows": [{"end": 9000}]},
    ]
    return {"label": "fuzz", "problem": doc, "routes": routes, "new_stops": new, "max_options": 3}


def _mutate(draw: st.DrawFn, doc: dict[str, Any], roots: tuple[str, ...]) -> dict[str, Any]:
    """1 to 5 mutations under the given top-level keys."""
    doc = copy.deepcopy(doc)
    for _ in range(draw(st.integers(1, 5))):
        paths = [p for root in roots if root in doc for p in _paths(doc[root], (root,))]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = doc
        for step in path[:-1]:
            parent = parent[step]
        key = path[-1]
        op = draw(st.sampled_from(["replace", "delete", "duplicate", "empty"]))
        if op == "replace":
            parent[key] = draw(VALUES)
        elif op == "delete":
            del parent[key]
        elif op == "duplicate" and isinstance(parent, list):
            parent.insert(key, copy.deepcopy(parent[key]))
        elif op == "empty" and isinstance(parent[key], list | dict | str):
            parent[key] = type(parent[key])()
    return doc


def _paths(node: Any, prefix: tuple) -> list[tuple]:
    """Paths into a document (long lists sampled: matrices stay cheap)."""
    out = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out.extend(_paths(value, (*prefix, key)))
    elif isinstance(node, list):
        for i in range(0, len(node), max(1, len(node) // 6)):
            out.extend(_paths(node[i], (*prefix, i)))
    return out


@st.composite
def _advise_documents(draw: st.DrawFn) -> dict[str, Any]:
    return _mutate(draw, _document(), ("routes", "new_stops", "max_options", "problem"))


@FUZZ
@given(_advise_documents())
def test_mutated_advise_requests_are_rejected_or_answered(doc) -> None:
    """Whatever parses is either rejected by validation with the documented errors, or gets
    advice for every new stop: validation leaves nothing for the advice to trip over."""
    request = replanning_pb2.AdviseInsertionRequest()
    try:
        json_format.ParseDict(doc, request)
    except json_format.ParseError:
        return
    try:
        validation.validate(request)
    except (InvalidProblemError, RequestTooLargeError):
        return
    answer = advise_insertion(request, Deadline.after(5.0))
    assert len(answer.advice) == len(request.new_stops)


@st.composite
def _reference_documents(draw: st.DrawFn) -> dict[str, Any]:
    doc = copy.deepcopy(_document()["problem"])
    doc["reference_plan"] = {"routes": copy.deepcopy(_document()["routes"])}
    return _mutate(draw, doc, ("reference_plan",))


@FUZZ
@given(_reference_documents())
def test_mutated_reference_plans_are_rejected_or_diffed(doc) -> None:
    """A reference plan validation accepts can always be diffed against a plan of the request,
    however many of its ids the request no longer has."""
    request = routing_pb2.PlanRoutesRequest()
    with contextlib.suppress(json_format.ParseError):
        json_format.ParseDict(doc, request)
        try:
            validation.validate(request)
        except (InvalidProblemError, RequestTooLargeError):
            return
        problem = problem_from_request(request)
        diff = plan_diff(problem, request.reference_plan, evaluate(problem, greedy_plan(problem)))
        referenced = {
            v.id
            for r in request.reference_plan.routes
            for v in r.visits
            if v.kind == routing_pb2.Visit.STOP
        }
        assert referenced <= {s.stop_id for s in diff.stops}
