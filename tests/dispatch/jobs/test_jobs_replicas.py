"""Two `dispatch serve` replicas on one PostgreSQL store, and the store lost or missing.

Real parts only: the server processes, their routing workers and solver, and the PostgreSQL
server are the real ones. A replica is killed with SIGKILL (its whole process group, as when its
container dies); the other takes the job over once the lease (2 s here, ``--store-lease``)
expires, and the lease records show the two attempts never overlapped.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from job_helpers import FINAL, sanitation, wait_for
from postgres_server import PostgresServer, free_port

from dispatch import client
from dispatch._proto.dispatch.v1 import common_pb2, jobs_pb2
from dispatch.config import ServerConfig
from dispatch.server import JOBS_HEALTH_NAME, SERVICE_NAME, start

Job = jobs_pb2.PlanJob
SERVING = re.compile(r"serving on (\S+) \(port (\d+)\)")
ROOT = Path(__file__).resolve().parents[3]
LEASE = 2.0


class Replica:
    """One `dispatch serve --store postgresql://...` process in a session of its own."""

    def __init__(self, store: str) -> None:
        command = [sys.executable, "-m", "dispatch.cli", "serve", "--address", "127.0.0.1:0"]
        command += ["--store", store, "--store-lease", str(LEASE)]
        command += ["--workers", "1", "--job-workers", "1", "--log-level", "WARNING"]
        self.proc = subprocess.Popen(
            command, stdout=subprocess.PIPE, text=True, cwd=ROOT, start_new_session=True
        )
        line = self.proc.stdout.readline()  # type: ignore[union-attr]
        match = SERVING.search(line)
        assert match, f"no address in {line!r}"
        self.target = match.group(1)
        self.channel = client.channel(self.target)
        self.stub = client.stub(self.channel)

    def get(self, job_id: str) -> jobs_pb2.PlanJob:
        return self.stub.GetPlanJob(jobs_pb2.GetPlanJobRequest(job_id=job_id), timeout=10)

    def kill(self) -> None:
        """SIGKILL the replica and its routing workers at once."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        self.channel.close()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)  # leftovers of a killed replica


@pytest.fixture
def replicas(pg_url: str) -> Iterator[list[Replica]]:
    """Replicas started by the test (append to the list); all stopped at teardown."""
    started: list[Replica] = []
    yield started
    for replica in started:
        replica.stop()


def _leases(url: str, job_id: str) -> list[tuple]:
    """The job's lease records, read straight from the database."""
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT attempt, replica, taken_at, expires_at, released_at, how FROM job_leases "
            "WHERE job_id = %s ORDER BY seq",
            (job_id,),
        ).fetchall()


@pytest.mark.slow
def test_killed_replica_job_is_finished_by_the_other(pg_url: str, replicas: list[Replica]) -> None:
    """SIGKILL the replica solving a job: the other replica takes it over after the lease,
    solves it (attempt 2) to a checked plan, and the two leases never overlapped."""
    replicas += [Replica(pg_url), Replica(pg_url)]
    job = replicas[0].stub.CreatePlanJob(
        jobs_pb2.CreatePlanJobRequest(request=sanitation("night-shared", budget=8.0)), timeout=30
    )
    wait_for(lambda: _leases(pg_url, job.job_id), timeout=60, interval=0.05)
    holder = _leases(pg_url, job.job_id)[0][1]
    first, second = sorted(replicas, key=lambda r: f":{r.proc.pid}:" not in holder)
    first.kill()  # the replica solving the job, mid-solve
    wait_for(lambda: second.get(job.job_id).state in FINAL, timeout=180, interval=0.2)
    done = second.get(job.job_id)
    assert (done.state, done.attempts) == (Job.SUCCEEDED, 2)
    assert done.result.solve_info.status in (common_pb2.OPTIMAL, common_pb2.FEASIBLE)
    reasons = [h.reason for h in done.history]
    assert any("stopped renewing its lease on attempt 1 of 3" in r for r in reasons)
    (a1, dead, _, dead_expires, dead_released, how1), (a2, alive, taken, *_rest, how2) = _leases(
        pg_url, job.job_id
    )
    assert (a1, a2) == (1, 2)
    assert f":{first.proc.pid}:" in dead and f":{second.proc.pid}:" in alive
    assert how1 == "expired" and dead_released is not None
    assert dead_expires <= taken  # attempt 2 began only after attempt 1's lease ran out
    assert how2 != "expired"


def test_unreachable_database_at_start_refuses_to_serve(postgres: object) -> None:
    """`dispatch serve` with no PostgreSQL at the store URL exits 3, naming the store and why.
    (``postgres`` only for its skip rule: psycopg must be installed.)"""
    url = f"postgresql://dispatch@127.0.0.1:{free_port()}/nightly"
    done = subprocess.run(
        [sys.executable, "-m", "dispatch.cli", "serve", "--address", "127.0.0.1:0", "--store", url],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 3
    assert "cannot start" in done.stderr and url in done.stderr and "unreachable" in done.stderr
    assert "serving on" not in done.stdout


@pytest.fixture(scope="module")
def _stoppable_postgres(postgres: PostgresServer) -> Iterator[PostgresServer]:
    """A PostgreSQL server of this module's own (one initdb), apart from the session's."""
    server = PostgresServer()
    server.start()
    yield server
    server.remove()


@pytest.fixture
def own_postgres(_stoppable_postgres: PostgresServer) -> PostgresServer:
    """A PostgreSQL server the test may stop mid-test (running when the test begins; each test
    uses a database of its own on it)."""
    if not (_stoppable_postgres.data / "postmaster.pid").exists():
        _stoppable_postgres.start()
    return _stoppable_postgres


def test_lost_database_makes_jobs_unavailable_not_emergency(
    own_postgres: PostgresServer, examples: dict
) -> None:
    """With the database gone mid-service the job RPCs answer UNAVAILABLE while AssignUnits
    still answers; once the database is back the job RPCs work again without a restart."""
    url = own_postgres.new_database()
    config = ServerConfig(store_path=url, job_workers=1, store_lease_seconds=LEASE)
    handle = start(config)
    channel = grpc.insecure_channel(handle.target)
    stub = client.stub(channel)
    try:
        job = stub.CreatePlanJob(
            jobs_pb2.CreatePlanJobRequest(request=sanitation("before", budget=0.5)), timeout=30
        )
        own_postgres.stop()
        answer = stub.AssignUnits(examples["emergency"], timeout=30)
        assert answer.incidents and answer.solve_info.status in (
            common_pb2.OPTIMAL,
            common_pb2.FEASIBLE,
        )
        for call in (
            lambda: stub.GetPlanJob(jobs_pb2.GetPlanJobRequest(job_id=job.job_id), timeout=30),
            lambda: stub.ListPlanJobs(jobs_pb2.ListPlanJobsRequest(), timeout=30),
            lambda: stub.CreatePlanJob(
                jobs_pb2.CreatePlanJobRequest(request=sanitation("during", budget=0.5)),
                timeout=30,
            ),
        ):
            with pytest.raises(grpc.RpcError) as raised:
                call()
            assert raised.value.code() == grpc.StatusCode.UNAVAILABLE
        own_postgres.start()
        again = stub.GetPlanJob(jobs_pb2.GetPlanJobRequest(job_id=job.job_id), timeout=30)
        assert again.job_id == job.job_id
    finally:
        channel.close()
        handle.shutdown(grace=0.5)


def test_jobs_health_follows_the_database(own_postgres: PostgresServer, examples: dict) -> None:
    """The jobs health entry turns NOT_SERVING while the database is stopped and SERVING once it
    is back, with no job call made; the overall entries stay SERVING and AssignUnits answers."""
    handle = start(ServerConfig(store_path=own_postgres.new_database(), job_workers=1))
    channel = grpc.insecure_channel(handle.target)
    health = health_pb2_grpc.HealthStub(channel)

    def status(name: str) -> int:
        request = health_pb2.HealthCheckRequest(service=name)
        return health.Check(request, timeout=10).status

    serving, down = (
        health_pb2.HealthCheckResponse.SERVING,
        health_pb2.HealthCheckResponse.NOT_SERVING,
    )
    try:
        assert status(JOBS_HEALTH_NAME) == serving
        own_postgres.stop()
        wait_for(lambda: status(JOBS_HEALTH_NAME) == down, timeout=30, interval=0.1)
        assert (status(""), status(SERVICE_NAME)) == (serving, serving)
        answer = client.stub(channel).AssignUnits(examples["emergency"], timeout=30)
        assert answer.incidents
        own_postgres.start()
        wait_for(lambda: status(JOBS_HEALTH_NAME) == serving, timeout=30, interval=0.1)
    finally:
        channel.close()
        handle.shutdown(grace=0.5)


def test_store_url_and_lease_come_from_the_environment() -> None:
    """DISPATCH_STORE selects PostgreSQL and DISPATCH_STORE_LEASE_SECONDS sets the lease."""
    env = {"DISPATCH_STORE": "postgresql://u@db:5432/jobs", "DISPATCH_STORE_LEASE_SECONDS": "7.5"}
    config = ServerConfig.from_env(env)
    assert (config.store_path, config.store_lease_seconds) == ("postgresql://u@db:5432/jobs", 7.5)
    with pytest.raises(ValueError, match="DISPATCH_STORE_LEASE_SECONDS"):
        ServerConfig.from_env({"DISPATCH_STORE_LEASE_SECONDS": "soon"})
    with pytest.raises(ValueError, match="store_lease_seconds"):
        ServerConfig.from_env({"DISPATCH_STORE_LEASE_SECONDS": "0"})
