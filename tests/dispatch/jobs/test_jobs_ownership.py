"""Jobs belong to the principal that created them; others see NOT_FOUND unless admin.

The principal is set the way the authentication interceptor sets it (``acting_as``) around
JobService calls; without a principal (authentication off) every caller is the same operator.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from job_helpers import plan_request

from dispatch._proto.dispatch.v1 import jobs_pb2
from dispatch.jobs import JobNotFoundError, JobService
from dispatch.security.principal import (
    SCOPE_ADMIN,
    SCOPE_PLAN,
    Principal,
    acting_as,
)

Job = jobs_pb2.PlanJob
MakeService = Callable[..., JobService]

ALICE = Principal("alice", frozenset({SCOPE_PLAN}))
BOB = Principal("bob", frozenset({SCOPE_PLAN}))
ADMIN = Principal("ops", frozenset({SCOPE_ADMIN}))


def _create_as(service: JobService, principal: Principal | None, request_id: str) -> Job:
    with acting_as(principal):
        return service.create(plan_request(request_id, budget=60))


def test_another_principal_cannot_get_the_job(make_service: MakeService) -> None:
    """Reading someone else's job (request and plan included) is NOT_FOUND, not a leak."""
    service = make_service()
    job = _create_as(service, ALICE, "a1")
    with acting_as(BOB), pytest.raises(JobNotFoundError):
        service.get(job.job_id, include_request=True)
    with acting_as(ALICE):
        assert service.get(job.job_id).job_id == job.job_id


def test_another_principal_cannot_cancel_the_job_but_an_admin_can(
    make_service: MakeService,
) -> None:
    """A cancel by a stranger is NOT_FOUND and leaves the job alone; operators with the admin
    scope read and cancel any principal's job."""
    service = make_service()
    job = _create_as(service, ALICE, "a1")
    with acting_as(BOB), pytest.raises(JobNotFoundError):
        service.cancel(job.job_id)
    with acting_as(ALICE):
        assert service.get(job.job_id).state in (Job.QUEUED, Job.RUNNING)
    with acting_as(ADMIN):
        assert service.get(job.job_id).job_id == job.job_id
        assert service.cancel(job.job_id).state == Job.CANCELLED


def test_another_principal_cannot_watch_the_job(make_service: MakeService) -> None:
    """A watch follows progress and plans, so it is refused like a get."""
    service = make_service()
    job = _create_as(service, ALICE, "a1")
    with acting_as(BOB), pytest.raises(JobNotFoundError):
        service.watch(job.job_id, lambda: True)
    assert service.watches.open_streams() == 0


def test_list_shows_only_the_callers_jobs_unless_admin(make_service: MakeService) -> None:
    """ListPlanJobs is filtered per owner; admins and unauthenticated servers see everything."""
    service = make_service(queue_limit=10)
    a = _create_as(service, ALICE, "a1")
    b = _create_as(service, BOB, "b1")
    with acting_as(ALICE):
        assert [j.job_id for j in service.list().jobs] == [a.job_id]
    with acting_as(BOB):
        assert [j.job_id for j in service.list().jobs] == [b.job_id]
    with acting_as(ADMIN):
        assert {j.job_id for j in service.list().jobs} == {a.job_id, b.job_id}
    assert {j.job_id for j in service.list().jobs} == {a.job_id, b.job_id}


def test_same_request_id_of_two_principals_is_two_jobs(make_service: MakeService) -> None:
    """Idempotency is per owner: bob reusing alice's id must not be handed alice's job."""
    service = make_service()
    a = _create_as(service, ALICE, "night-42")
    b = _create_as(service, BOB, "night-42")
    assert a.job_id != b.job_id
    assert _create_as(service, ALICE, "night-42").job_id == a.job_id
    assert _create_as(service, BOB, "night-42").job_id == b.job_id


def test_jobs_created_without_authentication_are_not_a_principals(
    make_service: MakeService,
) -> None:
    """Jobs of the anonymous operator (before auth was turned on) are only visible to admins."""
    service = make_service()
    job = _create_as(service, None, "anon")
    assert service.get(job.job_id).job_id == job.job_id
    with acting_as(ALICE), pytest.raises(JobNotFoundError):
        service.get(job.job_id)
    with acting_as(ADMIN):
        assert service.get(job.job_id).job_id == job.job_id
