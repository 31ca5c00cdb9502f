"""Validation never crashes: random and mutated requests only ever yield the documented errors.

Requests start from the bundled examples (realistic structure) and are mutated at the JSON level
(replace, delete, duplicate, empty, switch a matrix to random bytes) or at the wire level
(flipped bytes of the serialized message). Parsing may reject them (ParseError/DecodeError);
once parsed, validation may only accept or raise InvalidProblemError/RequestTooLargeError.
The two slow tests feed what validation accepts to the real solvers (tiny budgets): whatever
passes validation must get an answer, never INTERNAL.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import functools
import json
from typing import Any

import pytest
from google.protobuf import json_format
from google.protobuf.message import DecodeError, Message
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dispatch import emergency, routing, validation
from dispatch._proto.dispatch.v1 import common_pb2, emergency_pb2, jobs_pb2, routing_pb2
from dispatch.errors import InvalidProblemError, RequestTooLargeError
from dispatch.examples import read_text
from solvers.budget import Deadline

ALLOWED = (InvalidProblemError, RequestTooLargeError)
FUZZ = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=6),
    st.sampled_from(
        [
            "NaN",
            "Infinity",
            "-Infinity",
            "",
            "-1",
            "1e400",
            "AVAILABLE",
            "EN_ROUTE",
            "BUSY",
            "STOP",
            "BREAK",
            "VALIDATE_ONLY",
            "-5s",
            "3601s",
            "1.5s",
            "AAAA",
            "2026-03-14T21:00:00Z",
        ]
    ),
)
JSON_VALUES = st.one_of(
    JSON_SCALARS,
    st.lists(st.integers(min_value=-3, max_value=3), max_size=4),
    st.just({}),
    st.lists(st.just({}), max_size=2),
)


@functools.cache
def _example(name: str) -> dict[str, Any]:
    return json.loads(read_text(name))


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path into a JSON document (matrices sampled, not listed, to keep this small)."""
    out = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out.extend(_paths(value, (*prefix, key)))
    elif isinstance(node, list):
        step = max(1, len(node) // 8)
        for i in range(0, len(node), step):
            out.extend(_paths(node[i], (*prefix, i)))
    return out


def _parent(doc: Any, path: tuple) -> tuple[Any, Any]:
    node = doc
    for step in path[:-1]:
        node = node[step]
    return node, path[-1]


def _matrices(node: Any) -> list[dict[str, Any]]:
    """Every TravelMatrix-like object (a dict holding durations or distances) in a document."""
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if {"durations", "distances"} & node.keys():
            found.append(node)
        for value in node.values():
            found.extend(_matrices(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(_matrices(value))
    return found


def _rewrite_matrix_as_bytes(draw: st.DrawFn, doc: dict[str, Any]) -> None:
    """Switch one quantity of one matrix to the bytes encoding: exact, perturbed or random."""
    matrices = _matrices(doc)
    if not matrices:
        return
    matrix = draw(st.sampled_from(matrices))
    quantity = draw(st.sampled_from(sorted({"durations", "distances"} & matrix.keys())))
    values = matrix.pop(quantity)
    if not isinstance(values, list) or not all(isinstance(v, int) for v in values):
        values = []
    style = draw(st.sampled_from(["exact", "negative", "truncated", "random"]))
    if style == "random":
        raw = draw(st.binary(max_size=64))
    else:
        ints = [v % 2**31 for v in values]
        if style == "negative" and ints:
            ints[draw(st.integers(0, len(ints) - 1))] = -draw(st.integers(1, 2**31))
        raw = b"".join(v.to_bytes(4, "little", signed=True) for v in ints)
        if style == "truncated":
            raw = raw[: draw(st.integers(0, max(0, len(raw) - 1)))]
    matrix[f"{quantity}_bytes"] = base64.b64encode(raw).decode()


@st.composite
def mutated(draw: st.DrawFn, name: str) -> dict[str, Any]:
    """An example with 1 to 6 random mutations."""
    doc = copy.deepcopy(_example(name))
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        paths = [p for p in _paths(doc) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        try:
            parent, key = _parent(doc, path)
        except (KeyError, IndexError, TypeError):
            continue
        op = draw(st.sampled_from(["replace", "delete", "duplicate", "empty", "bytes"]))
        if op == "replace":
            parent[key] = draw(JSON_VALUES)
        elif op == "delete":
            del parent[key]
        elif op == "duplicate" and isinstance(parent, list):
            parent.insert(key, copy.deepcopy(parent[key]))
        elif op == "empty" and isinstance(parent[key], list | dict | str):
            parent[key] = type(parent[key])()
        elif op == "bytes":
            _rewrite_matrix_as_bytes(draw, doc)
    return doc


def _validate_doc(doc: dict[str, Any], message: Message) -> None:
    try:
        json_format.ParseDict(doc, message)
    except json_format.ParseError:
        return  # rejected while parsing: the server never sees it
    with contextlib.suppress(*ALLOWED):
        validation.validate(message)


@FUZZ
@given(mutated("emergency"))
def test_mutated_assign_units_never_crash(doc):
    """Mutated AssignUnits requests are accepted or rejected with field problems, never crash."""
    _validate_doc(doc, emergency_pb2.AssignUnitsRequest())


@FUZZ
@given(mutated("sanitation"))
def test_mutated_sanitation_never_crash(doc):
    """Mutated PlanRoutes (sanitation) requests never crash validation."""
    _validate_doc(doc, routing_pb2.PlanRoutesRequest())


@FUZZ
@given(mutated("maintenance"), st.booleans())
def test_mutated_maintenance_as_evaluate_and_job_never_crash(doc, as_job):
    """The same mutations wrapped as EvaluatePlan (with a random plan) or CreatePlanJob."""
    if as_job:
        _validate_doc({"request": doc}, jobs_pb2.CreatePlanJobRequest())
    else:
        routes = [
            {
                "vehicle_id": "crew-electric-1",
                "visits": [{"kind": "STOP", "id": "wo-2201"}, {"kind": "BREAK", "id": "lunch"}],
            },
            {"vehicle_id": "crew-electric-1", "visits": [{"kind": "END"}]},
        ]
        _validate_doc({"problem": doc, "routes": routes}, routing_pb2.EvaluatePlanRequest())


@FUZZ
@given(st.sampled_from(["emergency", "sanitation"]), st.data())
def test_corrupted_wire_bytes_never_crash(name, data):
    """Flipped bytes in the serialized message: decode errors or field problems only."""
    message_type = (
        emergency_pb2.AssignUnitsRequest if name == "emergency" else (routing_pb2.PlanRoutesRequest)
    )
    wire = bytearray(json_format.ParseDict(_example(name), message_type()).SerializeToString())
    for _ in range(data.draw(st.integers(min_value=1, max_value=8))):
        position = data.draw(st.integers(min_value=0, max_value=len(wire) - 1))
        wire[position] = data.draw(st.integers(min_value=0, max_value=255))
    try:
        message = message_type.FromString(bytes(wire))
    except DecodeError:
        return
    with contextlib.suppress(*ALLOWED):
        validation.validate(message)


@FUZZ
@given(
    st.builds(
        jobs_pb2.ListPlanJobsRequest,
        page_size=st.integers(min_value=-(2**31), max_value=2**31 - 1),
        page_token=st.text(max_size=20),
        states=st.lists(st.integers(min_value=-5, max_value=9), max_size=4),
        label=st.text(max_size=300),
    )
)
def test_random_list_requests_never_crash(request):
    """ListPlanJobs with arbitrary numbers and text validates or reports problems."""
    with contextlib.suppress(*ALLOWED):
        validation.validate(request)


SOLVE = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _solve_if_valid(doc: dict[str, Any], message: Message, solve) -> None:
    try:
        json_format.ParseDict(doc, message)
        validation.validate(message)
    except (json_format.ParseError, *ALLOWED):
        return
    answer = solve(message)
    assert answer.solve_info.status in (
        common_pb2.OPTIMAL,
        common_pb2.FEASIBLE,
        common_pb2.INFEASIBLE,
        common_pb2.NO_SOLUTION_FOUND,
    )


@pytest.mark.slow
@SOLVE
@given(mutated("emergency"))
def test_what_validation_accepts_assign_units_can_answer(doc):
    """Validation is complete: every AssignUnits request it accepts gets an answer, not INTERNAL."""
    _solve_if_valid(
        doc,
        emergency_pb2.AssignUnitsRequest(),
        lambda m: emergency.assign_units(m, Deadline.after(0.2)),
    )


@pytest.mark.slow
@SOLVE
@given(mutated("maintenance"))
def test_what_validation_accepts_plan_routes_can_answer(doc):
    """Every PlanRoutes request validation accepts gets an answer from the in-process solver."""
    _solve_if_valid(
        doc,
        routing_pb2.PlanRoutesRequest(),
        lambda m: routing.solve_plan_routes(m, Deadline.after(0.3)),
    )
