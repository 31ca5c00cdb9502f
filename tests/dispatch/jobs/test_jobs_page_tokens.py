"""ListPlanJobs page tokens: anything but a token the service issued is INVALID_ARGUMENT.

Two kinds of token answered INTERNAL before (issue #15): a 3,000-character token of nested JSON
lists (``json.loads`` raised RecursionError) and one whose create time lies beyond int64 (SQLite
raised OverflowError binding it). Over the wire on the session server, then at the store.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import grpc
import pytest

from dispatch import client
from dispatch._proto.dispatch.v1 import jobs_pb2
from dispatch.errors import InvalidProblemError
from dispatch.jobs import JobStore
from dispatch.jobs.rows import JobQuery


def token_of(payload: str) -> str:
    """``payload`` in the service's token encoding (unpadded urlsafe base64 of JSON)."""
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


#: 2250 nested "[": json.loads recursed too deep on it; 3000 characters as a token.
NESTED_3000 = token_of("[" * 2250)
BAD_TOKENS = {
    "nested_3000_chars": NESTED_3000,
    "create_time_beyond_int64": token_of(f'[{2**63},"job"]'),
    "huge_create_time": token_of('[99999999999999999999999,"job"]'),
    "negative_create_time": token_of('[-1,"job"]'),
    "lone_surrogate_job_id": token_of('[1,"\\ud800"]'),
    "boolean_create_time": token_of('[true,"job"]'),
    "three_items": token_of('[1,"job",2]'),
    "not_base64": "page two, please",
}


def list_error(stub, token: str) -> client.ErrorDetails:
    """The error ListPlanJobs answers for ``token`` (fails the test if it answers a page)."""
    with pytest.raises(grpc.RpcError) as info:
        stub.ListPlanJobs(jobs_pb2.ListPlanJobsRequest(page_token=token), timeout=10)
    return client.error_details(info.value)


def test_nested_3000_character_token_is_invalid_argument(stub):
    """The 3,000-character token that crashed the decoder is refused by its length, at
    page_token."""
    assert len(NESTED_3000) == 3000
    details = list_error(stub, NESTED_3000)
    assert details.code == grpc.StatusCode.INVALID_ARGUMENT
    assert details.fields == ["page_token"]


def test_token_beyond_int64_is_invalid_argument(stub):
    """A well-formed token whose create time SQLite cannot hold names page_token."""
    details = list_error(stub, BAD_TOKENS["create_time_beyond_int64"])
    assert details.code == grpc.StatusCode.INVALID_ARGUMENT
    assert details.fields == ["page_token"]


@pytest.mark.parametrize("token", list(BAD_TOKENS.values()), ids=list(BAD_TOKENS))
def test_forged_tokens_are_invalid_argument_over_the_wire(stub, token):
    """Every malformed, overlong or out-of-range token: INVALID_ARGUMENT at page_token."""
    details = list_error(stub, token)
    assert (details.code, details.fields) == (grpc.StatusCode.INVALID_ARGUMENT, ["page_token"])


def test_token_at_the_length_limit_reaches_the_store(stub):
    """512 characters pass validation and get the store's own answer (still page_token)."""
    details = list_error(stub, "A" * 512)
    assert (details.code, details.fields) == (grpc.StatusCode.INVALID_ARGUMENT, ["page_token"])
    assert "not a token returned by ListPlanJobs" in details.message


@pytest.mark.parametrize("token", list(BAD_TOKENS.values()), ids=list(BAD_TOKENS))
def test_store_refuses_forged_tokens(tmp_path: Path, token):
    """The store checks tokens itself too (the CLI and the job service call it directly)."""
    store = JobStore(str(tmp_path / "jobs.sqlite3"))
    store.open()
    try:
        with pytest.raises(InvalidProblemError) as info:
            store.list(JobQuery(page_token=token))
        assert [p.path for p in info.value.problems] == ["page_token"]
    finally:
        store.close()


def test_store_reads_back_its_own_token_at_the_int64_limit(tmp_path: Path):
    """The largest create time SQLite holds is still a valid cursor (an empty page here)."""
    store = JobStore(str(tmp_path / "jobs.sqlite3"))
    store.open()
    try:
        page = store.list(JobQuery(page_token=token_of(json.dumps([2**63 - 1, "job"]))))
        assert list(page.jobs) == []
    finally:
        store.close()
