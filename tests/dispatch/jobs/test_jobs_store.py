"""The SQLite job store on its own: what is written is what a restarted server reads back."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from job_helpers import plan_request

from dispatch._proto.dispatch.v1 import common_pb2, jobs_pb2, routing_pb2
from dispatch.jobs import JobNotFoundError, JobStore, StoreUnavailableError
from dispatch.jobs.rows import JobQuery
from dispatch.jobs.store import CANCELLED, FAILED, QUEUED, RUNNING, SUCCEEDED
from solvers.errors import InvalidProblemError

NS = 1_000_000_000


@pytest.fixture
def store(store_path: str) -> JobStore:
    """An open store in a folder that did not exist."""
    s = JobStore(store_path)
    s.open()
    yield s
    s.close()


def _insert(store: JobStore, job_id: str, now: int, label: str = "night") -> str:
    job, _, created = store.insert_or_get(job_id, plan_request(f"req-{job_id}", label), now)
    assert created
    return job


def _finish(store: JobStore, job_id: str, now: int, state: int = SUCCEEDED) -> None:
    assert store.transition(job_id, RUNNING, now, "started", (QUEUED,))
    result = routing_pb2.PlanRoutesResponse(request_id=f"req-{job_id}")
    result.solve_info.status = common_pb2.FEASIBLE
    result.solve_info.objective = 123.5
    assert store.transition(job_id, state, now + 1, "done", (RUNNING,), result=result)


def test_open_creates_folder_and_uses_wal(store_path: str) -> None:
    """The store must come up on a fresh machine, and WAL is what lets readers not block writers."""
    s = JobStore(store_path)
    s.open()
    s.close()
    assert Path(store_path).is_file()
    conn = sqlite3.connect(store_path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_created_job_is_queued_with_history(store: JobStore) -> None:
    """A new job starts QUEUED, keeps its request and records why it entered each state."""
    request = plan_request("r1", "monday")
    store.insert_or_get("j1", request, 5 * NS)
    job = store.get("j1", include_request=True)
    assert job.state == QUEUED
    assert (job.request_id, job.label) == ("r1", "monday")
    assert job.request == request
    assert job.create_time.ToNanoseconds() == 5 * NS
    assert [(h.state, h.reason) for h in job.history] == [(QUEUED, "created")]
    assert not store.get("j1").HasField("request")


def test_same_request_id_returns_existing_job_and_digest(store: JobStore) -> None:
    """Idempotency lives in the store, so two racing creates cannot both insert."""
    first = store.insert_or_get("j1", plan_request("r1"), NS)
    again = store.insert_or_get("j2", plan_request("r1", budget=9), 2 * NS)
    assert first[2] and not again[2]
    assert again[0] == "j1"
    assert again[1] == first[1]  # the stored digest, for the caller to compare
    with pytest.raises(JobNotFoundError):
        store.get("j2")


def test_queue_limit_refuses_insert_when_full(store: JobStore) -> None:
    """The limit is checked in the insert transaction, so it holds under concurrent creates."""
    _insert(store, "a", NS)
    assert store.insert_or_get("b", plan_request("rb"), NS, queue_limit=1) == ("", "", False)
    assert store.insert_or_get("b", plan_request("req-a"), NS, queue_limit=1)[0] == "a"


def test_transition_only_from_expected_states(store: JobStore) -> None:
    """A cancel and a finishing worker race; the loser's write must not overwrite the winner."""
    _insert(store, "j", NS)
    assert store.transition("j", CANCELLED, 2 * NS, "cancelled", (QUEUED, RUNNING))
    assert not store.transition("j", RUNNING, 3 * NS, "started", (QUEUED,))
    job = store.get("j")
    assert job.state == CANCELLED
    assert job.end_time.ToNanoseconds() == 2 * NS
    assert job.attempts == 0


def test_running_counts_attempt_and_success_keeps_result(store: JobStore) -> None:
    """attempts counts worker starts; the result is stored with the final state in one commit."""
    _insert(store, "j", NS)
    _finish(store, "j", 2 * NS)
    job = store.get("j")
    assert job.state == SUCCEEDED
    assert job.attempts == 1
    assert job.start_time.ToNanoseconds() == 2 * NS
    assert job.result.solve_info.objective == 123.5
    assert [h.state for h in job.history] == [QUEUED, RUNNING, SUCCEEDED]


def test_unknown_job_is_not_found(store: JobStore) -> None:
    """Callers get NOT_FOUND for ids that never existed."""
    with pytest.raises(JobNotFoundError):
        store.get("nope")


def test_second_server_on_same_store_is_refused(store: JobStore, store_path: str) -> None:
    """Two servers on one store would run every job twice."""
    other = JobStore(store_path)
    with pytest.raises(StoreUnavailableError):
        other.open()


def test_recovery_on_copied_store_requeues_and_keeps_results(
    store: JobStore, tmp_path: Path
) -> None:
    """Copying the live files mid-operation is what a crash leaves on disk: recovery must cope."""
    _insert(store, "done", NS)
    _finish(store, "done", 2 * NS)
    _insert(store, "waiting", 3 * NS)
    _insert(store, "running", 4 * NS)
    assert store.transition("running", RUNNING, 5 * NS, "started", (QUEUED,))
    copy = tmp_path / "copy" / "jobs.sqlite3"
    copy.parent.mkdir()
    for suffix in ("", "-wal", "-shm"):
        src = Path(f"{store.path}{suffix}")
        if src.exists():
            shutil.copy(src, f"{copy}{suffix}")
    restarted = JobStore(copy)
    restarted.open()
    try:
        recovery = restarted.recover(10 * NS, max_attempts=3)
        assert set(recovery.requeued) == {"waiting", "running"}
        assert recovery.failed == ()
        running = restarted.get("running")
        assert running.state == QUEUED
        assert running.attempts == 1
        assert "restart" in running.history[-1].reason
        assert restarted.get("done").result.solve_info.objective == 123.5
        assert restarted.queued_ids() == ["waiting", "running"]
    finally:
        restarted.close()


def test_recovery_fails_job_after_max_attempts(store: JobStore) -> None:
    """A request that keeps killing the server must stop being retried, with a reason."""
    _insert(store, "poison", NS)
    for attempt in range(2):
        assert store.transition("poison", RUNNING, (2 + attempt) * NS, "started", (QUEUED,))
        store.recover((3 + attempt) * NS, max_attempts=2)
    job = store.get("poison")
    assert job.state == FAILED
    assert job.attempts == 2
    assert "attempt 2 of 2" in job.error_message


def test_list_pages_newest_first_without_gaps(store: JobStore) -> None:
    """Every job appears exactly once across pages, newest first, even with equal create times."""
    for i in range(7):
        _insert(store, f"j{i}", (i // 2) * NS)  # pairs share a create time
    seen: list[str] = []
    token = ""
    while True:
        page = store.list(JobQuery(page_size=3, page_token=token))
        seen += [j.job_id for j in page.jobs]
        token = page.next_page_token
        if not token:
            break
    assert seen == ["j6", "j5", "j4", "j3", "j2", "j1", "j0"]


def test_list_new_jobs_do_not_shift_later_pages(store: JobStore) -> None:
    """A token is a cursor, not an offset: jobs created between pages must not cause repeats."""
    for i in range(4):
        _insert(store, f"j{i}", (i + 1) * NS)
    first = store.list(JobQuery(page_size=2))
    _insert(store, "late", 100 * NS)
    second = store.list(JobQuery(page_size=2, page_token=first.next_page_token))
    assert [j.job_id for j in second.jobs] == ["j1", "j0"]


def test_list_filters_by_state_and_label(store: JobStore) -> None:
    """The scheduler asks for e.g. the failed sanitation jobs of the night."""
    _insert(store, "a", NS, label="north")
    _insert(store, "b", 2 * NS, label="south")
    _insert(store, "c", 3 * NS, label="north")
    _finish(store, "c", 4 * NS, state=FAILED)
    assert [j.job_id for j in store.list(JobQuery(label="north")).jobs] == ["c", "a"]
    assert [j.job_id for j in store.list(JobQuery(states=[QUEUED])).jobs] == ["b", "a"]
    assert [j.job_id for j in store.list(JobQuery(states=[FAILED], label="south")).jobs] == []


def test_list_omits_request_and_result(store: JobStore) -> None:
    """A list of a thousand nightly jobs must not carry a thousand plans."""
    _insert(store, "a", NS)
    _finish(store, "a", 2 * NS)
    job = store.list().jobs[0]
    assert not job.HasField("result") and not job.HasField("request")


@pytest.mark.parametrize("token", ["garbage!", "bm90IGpzb24", "WzEsMl0"])
def test_bad_page_token_is_invalid_argument(store: JobStore, token: str) -> None:
    """A forged or corrupted token is the caller's error, named by its field."""
    with pytest.raises(InvalidProblemError) as info:
        store.list(JobQuery(page_token=token))
    assert info.value.problems[0].path == "page_token"


def test_bad_page_size_and_state_name_their_fields(store: JobStore) -> None:
    """Negative sizes and unknown states are rejected with their field paths."""
    with pytest.raises(InvalidProblemError) as size:
        store.list(JobQuery(page_size=-1))
    assert size.value.problems[0].path == "page_size"
    with pytest.raises(InvalidProblemError) as state:
        store.list(JobQuery(states=[jobs_pb2.PlanJob.STATE_UNSPECIFIED]))
    assert state.value.problems[0].path == "states[0]"


def test_purge_deletes_only_old_finished_jobs(store: JobStore) -> None:
    """Retention must never delete work that is still waiting or running, however old."""
    _insert(store, "old-done", NS)
    _finish(store, "old-done", 2 * NS)
    _insert(store, "old-queued", NS)
    _insert(store, "new-done", 50 * NS)
    _finish(store, "new-done", 60 * NS)
    assert store.purge_finished(before_ns=10 * NS) == 1
    with pytest.raises(JobNotFoundError):
        store.get("old-done")
    assert store.get("old-queued").state == QUEUED
    assert store.get("new-done").state == SUCCEEDED


@settings(max_examples=25, deadline=None)
@given(
    times=st.lists(st.integers(0, 5), min_size=0, max_size=30),
    page_size=st.integers(1, 7),
    label_every=st.integers(1, 3),
)
def test_pages_concatenate_to_the_sorted_filtered_list(
    tmp_path_factory: pytest.TempPathFactory, times: list[int], page_size: int, label_every: int
) -> None:
    """Whatever the create times (ties included) and page size, paging loses and repeats nothing."""
    store = JobStore(tmp_path_factory.mktemp("pages") / "jobs.sqlite3")
    store.open()
    try:
        expected = []
        for i, t in enumerate(times):
            label = "x" if i % label_every == 0 else "y"
            _insert(store, f"j{i:02d}", t * NS, label=label)
            if label == "x":
                expected.append((t, f"j{i:02d}"))
        expected.sort(reverse=True)
        seen: list[str] = []
        token = ""
        while True:
            page = store.list(JobQuery(page_size=page_size, page_token=token, label="x"))
            assert len(page.jobs) <= page_size
            seen += [j.job_id for j in page.jobs]
            token = page.next_page_token
            if not token:
                break
        assert seen == [job_id for _, job_id in expected]
    finally:
        store.close()


def test_request_ids_are_per_owner(store: JobStore) -> None:
    """Two principals using the same request_id get two jobs; each retry finds its own."""
    alice = store.insert_or_get("a", plan_request("night"), NS, owner="alice")
    bob = store.insert_or_get("b", plan_request("night"), NS, owner="bob")
    assert alice[2] and bob[2]
    assert store.insert_or_get("x", plan_request("night"), 2 * NS, owner="bob")[0] == "b"
    assert (store.owner_of("a"), store.owner_of("b")) == ("alice", "bob")


def test_list_filters_by_owner(store: JobStore) -> None:
    """Listing for a principal pages through its jobs only; None lists everyone's."""
    for i, owner in enumerate(["alice", "bob", "alice", ""]):
        store.insert_or_get(f"j{i}", plan_request(f"r{i}"), (i + 1) * NS, owner=owner)
    assert [j.job_id for j in store.list(owner="alice").jobs] == ["j2", "j0"]
    assert [j.job_id for j in store.list(JobQuery(page_size=1), owner="alice").jobs] == ["j2"]
    assert [j.job_id for j in store.list(owner="").jobs] == ["j3"]
    assert len(store.list().jobs) == 4
