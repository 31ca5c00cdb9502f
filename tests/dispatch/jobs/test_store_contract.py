"""The store contract, run against both stores: SQLite (the default) and PostgreSQL (shared).

``JobService`` relies on exactly these behaviours (``dispatch.jobs.store_protocol``); a store that
passes them can carry the service. PostgreSQL runs on a real server the fixtures start.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from job_helpers import plan_request

from dispatch._proto.dispatch.v1 import common_pb2, jobs_pb2, routing_pb2
from dispatch.jobs.errors import JobNotFoundError, JobStoreFullError
from dispatch.jobs.rows import JobQuery
from dispatch.jobs.store import CANCELLED, FAILED, QUEUED, RUNNING, SUCCEEDED
from dispatch.jobs.store_protocol import JobStoreProtocol, make_store
from solvers.errors import InvalidProblemError

NS = 1_000_000_000


@pytest.fixture
def store(any_store_path: str) -> Iterator[JobStoreProtocol]:
    """An open store of either kind, empty."""
    s = make_store(any_store_path)
    s.open()
    yield s
    s.close()


def _insert(store: JobStoreProtocol, job_id: str, now: int, label: str = "night") -> None:
    _, _, created = store.insert_or_get(job_id, plan_request(f"req-{job_id}", label), now)
    assert created


def _result(objective: float) -> routing_pb2.PlanRoutesResponse:
    result = routing_pb2.PlanRoutesResponse(request_id="r")
    result.solve_info.status = common_pb2.FEASIBLE
    result.solve_info.objective = objective
    return result


def test_store_implements_the_protocol(store: JobStoreProtocol) -> None:
    """The service only calls what the protocol lists; both stores must offer all of it."""
    assert isinstance(store, JobStoreProtocol)


def test_created_job_is_queued_with_request_and_history(store: JobStoreProtocol) -> None:
    """A new job is QUEUED, keeps its request bytes and records why it entered its state."""
    request = plan_request("r1", "monday")
    store.insert_or_get("j1", request, 5 * NS)
    job = store.get("j1", include_request=True)
    assert (job.state, job.request_id, job.label) == (QUEUED, "r1", "monday")
    assert job.request == request
    assert job.create_time.ToNanoseconds() == 5 * NS
    assert [(h.state, h.reason) for h in job.history] == [(QUEUED, "created")]
    assert not store.get("j1").HasField("request")
    assert store.get_request("j1") == request


def test_request_id_is_idempotent_per_owner(store: JobStoreProtocol) -> None:
    """The same owner's request_id returns the first job and its digest; another owner's same
    id is a job of its own."""
    first = store.insert_or_get("j1", plan_request("r1"), NS, owner="alice")
    again = store.insert_or_get("j2", plan_request("r1", budget=9), 2 * NS, owner="alice")
    other = store.insert_or_get("j3", plan_request("r1"), 3 * NS, owner="bob")
    assert first == ("j1", first[1], True)
    assert again == ("j1", first[1], False)
    assert other[0] == "j3" and other[2]
    assert (store.owner_of("j1"), store.owner_of("j3")) == ("alice", "bob")
    with pytest.raises(JobNotFoundError):
        store.get("j2")


def test_queue_limit_refuses_a_new_job(store: JobStoreProtocol) -> None:
    """With queue_limit jobs QUEUED the insert answers ('', '', False) and writes nothing."""
    _insert(store, "j1", NS)
    assert store.insert_or_get("j2", plan_request("r2"), 2 * NS, queue_limit=1) == ("", "", False)
    assert store.queued_ids() == ["j1"]


def test_transition_checks_the_current_state(store: JobStoreProtocol) -> None:
    """A transition from a state the job is not in changes nothing (a cancel racing a finish)."""
    _insert(store, "j1", NS)
    assert not store.transition("j1", SUCCEEDED, 2 * NS, "done", (RUNNING,))
    assert store.transition("j1", CANCELLED, 2 * NS, "cancelled by caller", (QUEUED, RUNNING))
    assert not store.transition("j1", RUNNING, 3 * NS, "started", (QUEUED,))
    assert store.state("j1") == CANCELLED
    assert not store.transition("nope", RUNNING, 3 * NS, "started", (QUEUED,))


def test_running_counts_attempts_and_success_keeps_the_plan(store: JobStoreProtocol) -> None:
    """Entering RUNNING counts an attempt and sets start time; SUCCEEDED stores the plan."""
    _insert(store, "j1", NS)
    assert store.transition("j1", RUNNING, 2 * NS, "started (attempt 1)", (QUEUED,))
    progress = jobs_pb2.PlanJobProgress(best_objective=7.5, plans_checked=2)
    store.save_progress("j1", progress)
    assert store.get("j1").progress == progress
    assert store.transition("j1", SUCCEEDED, 3 * NS, "done", (RUNNING,), result=_result(7.5))
    job = store.get("j1", include_request=True)
    assert (job.state, job.attempts) == (SUCCEEDED, 1)
    assert job.result.solve_info.objective == 7.5
    assert (job.start_time.ToNanoseconds(), job.end_time.ToNanoseconds()) == (2 * NS, 3 * NS)
    assert job.HasField("request")
    assert [h.state for h in job.history] == [QUEUED, RUNNING, SUCCEEDED]


def test_failed_job_drops_its_request_and_resubmit_restores_it(store: JobStoreProtocol) -> None:
    """FAILED deletes the request bytes; a resubmit queues it again with a fresh attempt count."""
    request = plan_request("req-j1")
    store.insert_or_get("j1", request, NS)
    store.transition("j1", RUNNING, 2 * NS, "started", (QUEUED,))
    store.transition("j1", FAILED, 3 * NS, "boom", (RUNNING,), error_message="boom")
    assert store.get_request("j1") == routing_pb2.PlanRoutesRequest()
    assert store.resubmit("j1", request, 4 * NS, "resubmitted after FAILED: boom")
    job = store.get("j1", include_request=True)
    assert (job.state, job.attempts, job.error_message) == (QUEUED, 0, "")
    assert job.request == request
    assert job.history[-1].reason == "resubmitted after FAILED: boom"
    assert not store.resubmit("j1", request, 5 * NS, "again")  # only FAILED or CANCELLED


def test_progress_is_saved_only_while_running(store: JobStoreProtocol) -> None:
    """A late progress write after the job ended must not overwrite its final figures."""
    _insert(store, "j1", NS)
    store.save_progress("j1", jobs_pb2.PlanJobProgress(best_objective=1.0))
    assert not store.get("j1").HasField("progress")


def test_unknown_job_is_not_found(store: JobStoreProtocol) -> None:
    """Every read of an unknown id raises JobNotFoundError (NOT_FOUND)."""
    for read in (store.get, store.state, store.owner_of, store.get_request):
        with pytest.raises(JobNotFoundError):
            read("missing")


def test_queued_ids_oldest_first_and_count(store: JobStoreProtocol) -> None:
    """The queue runs oldest first; count reports jobs per state."""
    for i, now in enumerate((3, 1, 2)):
        _insert(store, f"j{i}", now * NS)
    store.transition("j2", RUNNING, 4 * NS, "started", (QUEUED,))
    assert store.queued_ids() == ["j1", "j0"]
    assert (store.count(QUEUED), store.count(RUNNING), store.count(SUCCEEDED)) == (2, 1, 0)


def test_list_pages_newest_first_with_filters(store: JobStoreProtocol) -> None:
    """Pages concatenate to the newest-first list; filters by state, label and owner apply."""
    for i in range(5):
        _insert(store, f"j{i}", (i + 1) * NS, label="a" if i % 2 else "b")
    store.transition("j4", CANCELLED, 9 * NS, "cancelled", (QUEUED,))
    seen: list[str] = []
    token = ""
    while True:
        page = store.list(JobQuery(page_size=2, page_token=token))
        seen += [j.job_id for j in page.jobs]
        token = page.next_page_token
        if not token:
            break
    assert seen == ["j4", "j3", "j2", "j1", "j0"]
    by_label = store.list(JobQuery(label="a", states=[QUEUED]))
    assert [j.job_id for j in by_label.jobs] == ["j3", "j1"]
    assert not store.list(owner="someone").jobs
    assert not store.list().jobs[0].HasField("result")


def test_bad_page_token_names_its_field(store: JobStoreProtocol) -> None:
    """A token the store did not hand out is INVALID_ARGUMENT at page_token, never INTERNAL."""
    with pytest.raises(InvalidProblemError) as raised:
        store.list(JobQuery(page_token="not-a-token"))
    assert raised.value.problems[0].path == "page_token"


def test_purge_deletes_only_old_finished_jobs(store: JobStoreProtocol) -> None:
    """Retention removes finished jobs that ended before the cutoff, never active ones."""
    _insert(store, "old", NS)
    _insert(store, "new", 2 * NS)
    _insert(store, "waiting", 3 * NS)
    store.transition("old", CANCELLED, 5 * NS, "cancelled", (QUEUED,))
    store.transition("new", CANCELLED, 50 * NS, "cancelled", (QUEUED,))
    assert store.purge_finished(10 * NS) == 1
    assert sorted(j.job_id for j in store.list().jobs) == ["new", "waiting"]


def test_quota_refuses_a_new_job_but_answers_a_retry(store: JobStoreProtocol) -> None:
    """Past the quota a new job is JobStoreFullError; an existing request_id is still answered."""
    _insert(store, "j1", NS)
    store.quota_bytes = 1
    with pytest.raises(JobStoreFullError):
        store.insert_or_get("j2", plan_request("r2"), 2 * NS)
    assert store.insert_or_get("j9", plan_request("req-j1"), 3 * NS)[0] == "j1"


def test_jobs_survive_close_and_reopen(any_store_path: str) -> None:
    """What one server wrote, the next one (or another replica) reads back intact."""
    first = make_store(any_store_path)
    first.open()
    first.insert_or_get("j1", plan_request("r1"), NS)
    first.transition("j1", RUNNING, 2 * NS, "started", (QUEUED,))
    first.transition("j1", SUCCEEDED, 3 * NS, "done", (RUNNING,), result=_result(42.0))
    first.close()
    second = make_store(any_store_path)
    second.open()
    try:
        job = second.get("j1")
        assert (job.state, job.result.solve_info.objective) == (SUCCEEDED, 42.0)
    finally:
        second.close()
