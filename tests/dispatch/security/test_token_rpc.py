"""Bearer tokens from the token file over a real TLS server: who may call what.

Requests are the bundled examples in VALIDATE_ONLY mode: the check under test happens before any
solving, and an OK answer proves the call got through to the handler.
"""

from __future__ import annotations

import json
import logging

import grpc
import pytest
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from dispatch import client
from dispatch._proto.dispatch.v1 import common_pb2, jobs_pb2

TIMEOUT = 20.0


@pytest.fixture
def requests(examples):
    """AssignUnits, PlanRoutes and ListPlanJobs requests that validate without solving."""
    assign, plan = examples["emergency"], examples["sanitation"]
    assign.options.solving_mode = common_pb2.VALIDATE_ONLY
    plan.options.solving_mode = common_pb2.VALIDATE_ONLY
    return {
        "AssignUnits": assign,
        "PlanRoutes": plan,
        "ListPlanJobs": jobs_pb2.ListPlanJobsRequest(),
    }


def _code(chan: grpc.Channel, method: str, request) -> grpc.StatusCode:
    try:
        client.call(chan, method, request, timeout=TIMEOUT)
    except grpc.RpcError as error:
        return error.code()
    return grpc.StatusCode.OK


def test_no_token_is_unauthenticated(secure_server, dial, requests):
    """A call without a token is refused UNAUTHENTICATED, saying what to send."""
    chan = dial(secure_server.target)
    with pytest.raises(grpc.RpcError) as info:
        client.call(chan, "AssignUnits", requests["AssignUnits"], timeout=TIMEOUT)
    assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert "authorization: Bearer" in info.value.details()


def test_unknown_token_is_unauthenticated(secure_server, dial, requests):
    """A token that is not in the file is refused UNAUTHENTICATED."""
    chan = dial(secure_server.target, token="not-a-token-anyone-was-given")
    assert _code(chan, "AssignUnits", requests["AssignUnits"]) == grpc.StatusCode.UNAUTHENTICATED


def test_wrong_scope_is_permission_denied(secure_server, dial, tokens, requests):
    """A dispatch-only token calling PlanRoutes is PERMISSION_DENIED, naming the scope."""
    chan = dial(secure_server.target, token=tokens["dispatcher"])
    with pytest.raises(grpc.RpcError) as info:
        client.call(chan, "PlanRoutes", requests["PlanRoutes"], timeout=TIMEOUT)
    assert info.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "'plan'" in info.value.details()


def test_plan_token_cannot_assign_units(secure_server, dial, tokens, requests):
    """Scopes do not nest: plan does not include dispatch."""
    chan = dial(secure_server.target, token=tokens["planner"])
    assert _code(chan, "AssignUnits", requests["AssignUnits"]) == (
        grpc.StatusCode.PERMISSION_DENIED
    )


def test_dispatch_token_assigns_units(secure_server, dial, tokens, requests):
    """The dispatch scope is enough for AssignUnits."""
    chan = dial(secure_server.target, token=tokens["dispatcher"])
    assert _code(chan, "AssignUnits", requests["AssignUnits"]) == grpc.StatusCode.OK


def test_plan_token_plans_and_lists_jobs(secure_server, dial, tokens, requests):
    """The plan scope covers PlanRoutes and the job RPCs."""
    chan = dial(secure_server.target, token=tokens["planner"])
    assert _code(chan, "PlanRoutes", requests["PlanRoutes"]) == grpc.StatusCode.OK
    assert _code(chan, "ListPlanJobs", requests["ListPlanJobs"]) == grpc.StatusCode.OK


def test_admin_token_may_call_everything(secure_server, dial, tokens, requests):
    """admin holds every scope."""
    chan = dial(secure_server.target, token=tokens["ops"])
    codes = {method: _code(chan, method, request) for method, request in requests.items()}
    assert codes == dict.fromkeys(requests, grpc.StatusCode.OK)


def test_health_needs_no_token(secure_server, dial):
    """Load balancers probe health without credentials."""
    assert client.health_status(dial(secure_server.target), timeout=TIMEOUT) == "SERVING"


def test_reflection_can_be_switched_off(secure_server, dial, tokens):
    """With reflection off, its service is not there (UNIMPLEMENTED), even for an admin."""
    stub = reflection_pb2_grpc.ServerReflectionStub(dial(secure_server.target, token=tokens["ops"]))
    answers = stub.ServerReflectionInfo(
        iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=TIMEOUT
    )
    with pytest.raises(grpc.RpcError) as info:
        list(answers)
    assert info.value.code() == grpc.StatusCode.UNIMPLEMENTED


def test_refusal_is_logged_as_one_json_line(secure_server, dial, requests, caplog):
    """Every refused call leaves one JSON record with the method, code and reason."""
    chan = dial(secure_server.target)
    with caplog.at_level(logging.WARNING, logger="dispatch.calls"):
        _code(chan, "PlanRoutes", requests["PlanRoutes"])
    records = [json.loads(r.getMessage()) for r in caplog.records if r.name == "dispatch.calls"]
    refused = [r for r in records if r.get("code") == "UNAUTHENTICATED"]
    assert len(refused) == 1
    assert refused[0]["method"] == "PlanRoutes"
    assert "no bearer token" in refused[0]["reason"]
