"""Mutated request bodies over the wire: every answer is OK or INVALID_ARGUMENT, never INTERNAL.

A seeded byte mutator (bit and byte flips, truncate, cut, insert, repeat) turns valid requests,
built from the bundled examples, into a fixed number of bodies and sends each untouched (no
serialiser) to a server of the test's own. Whatever the bytes become (undecodable, a message
validation refuses, or a valid request the solvers must answer), the call ends OK or
INVALID_ARGUMENT, and the server is healthy and answers the unmutated requests afterwards.
Work is bounded: 200 bodies, solve budgets of 0.2 s in the base requests (a mutated budget can
only grow to about a second, or become invalid) and a 30 s gRPC deadline per call.
"""

from __future__ import annotations

import base64
import random
from dataclasses import dataclass

import grpc
import pytest

from dispatch import client
from dispatch._proto.dispatch.v1 import common_pb2, jobs_pb2, routing_pb2
from dispatch.examples import EXAMPLES
from dispatch.interceptors import SERVICE_PREFIX

SEED = 20261202
BODIES = 200
ALLOWED = {grpc.StatusCode.OK, grpc.StatusCode.INVALID_ARGUMENT}


@dataclass(frozen=True)
class Base:
    """A valid request body for one RPC."""

    name: str
    method: str
    body: bytes


def _budget(options: common_pb2.SolveOptions) -> None:
    options.time_budget.FromMilliseconds(200)


def bases(examples: dict[str, object]) -> list[Base]:
    """Valid bodies of every RPC the examples can feed (job lookups would be NOT_FOUND)."""
    out = []
    for name in ("emergency", "sanitation", "maintenance"):
        request = examples[name]
        _budget(request.options)
        out.append(Base(name, EXAMPLES[name], request.SerializeToString()))
    maintenance = examples["maintenance"]
    _budget(maintenance.options)
    evaluate = routing_pb2.EvaluatePlanRequest(request_id="fuzz-eval", problem=maintenance)
    route = evaluate.routes.add(vehicle_id=maintenance.vehicles[0].id)
    for stop in maintenance.stops[:3]:
        route.visits.add(kind=routing_pb2.Visit.STOP, id=stop.id)
    out.append(Base("evaluate", "EvaluatePlan", evaluate.SerializeToString()))
    job = routing_pb2.PlanRoutesRequest()
    job.CopyFrom(maintenance)
    job.request_id = ""  # a generated id per job: two mutants never conflict (ALREADY_EXISTS)
    job.options.solving_mode = common_pb2.VALIDATE_ONLY
    create = jobs_pb2.CreatePlanJobRequest(request=job)
    out.append(Base("create_job", "CreatePlanJob", create.SerializeToString()))
    token = base64.urlsafe_b64encode(b'[1700000000000000000,"job-7"]').decode().rstrip("=")
    listing = jobs_pb2.ListPlanJobsRequest(page_size=5, page_token=token, label="night")
    listing.states.append(jobs_pb2.PlanJob.QUEUED)
    out.append(Base("list_jobs", "ListPlanJobs", listing.SerializeToString()))
    return out


def mutate(body: bytes, rng: random.Random) -> tuple[bytes, str]:
    """One random mutation of ``body`` and a description of it (for failure messages).

    ``bit`` flips one of the low seven bits of a byte: varint continuation bits and UTF-8 lead
    bits survive, so the body often still decodes and the mutant reaches validation or a solver.
    The others mostly break the framing and test the decoder.
    """
    data = bytearray(body)
    kind = rng.choice(["bit", "bit", "bit", "byte", "byte", "truncate", "cut", "insert", "repeat"])
    at = rng.randrange(len(data))
    if kind == "bit":
        data[at] ^= 1 << rng.randrange(7)
        return bytes(data), f"bit flip at {at}"
    if kind == "byte":
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(data))
            data[at] ^= rng.randint(1, 255)
        return bytes(data), f"byte flips, last at {at}"
    if kind == "truncate":
        return bytes(data[:at]), f"truncate at {at}"
    length = rng.randint(1, 16)
    if kind == "cut":
        return bytes(data[:at] + data[at + length :]), f"cut {length} at {at}"
    if kind == "insert":
        extra = bytes(rng.randrange(256) for _ in range(length))
        return bytes(data[:at] + extra + data[at:]), f"insert {extra.hex()} at {at}"
    return bytes(data[:at] + data[at : at + length] * 2 + data[at + length :]), f"repeat at {at}"


def code_of(channel: grpc.Channel, method: str, body: bytes) -> tuple[grpc.StatusCode, str]:
    """The status a body gets, with the server's message."""
    try:
        channel.unary_unary(SERVICE_PREFIX + method)(body, timeout=30)
    except grpc.RpcError as error:
        return error.code(), error.details() or ""
    return grpc.StatusCode.OK, ""


@pytest.mark.slow
def test_mutated_bodies_get_ok_or_invalid_argument(fresh_server, examples):
    """200 mutants of valid requests of six kinds: none INTERNAL, UNKNOWN or anything else;
    both answers occur (the fuzz reaches past decoding), and the server stays healthy."""
    rng = random.Random(SEED)
    chan = client.channel(fresh_server.target)
    try:
        kinds = bases(examples)
        seen: dict[grpc.StatusCode, int] = {}
        bad = []
        for i in range(BODIES):
            base = kinds[i % len(kinds)]
            body, how = mutate(base.body, rng)
            code, message = code_of(chan, base.method, body)
            seen[code] = seen.get(code, 0) + 1
            if code not in ALLOWED:
                bad.append(f"{base.name} #{i} ({how}): {code.name} {message!r}")
        assert not bad, "\n".join(bad)
        assert seen.get(grpc.StatusCode.OK) and seen.get(grpc.StatusCode.INVALID_ARGUMENT), seen
        assert client.health_status(chan) == "SERVING"
        for base in kinds:
            assert code_of(chan, base.method, base.body)[0] == grpc.StatusCode.OK, base.name
    finally:
        chan.close()
