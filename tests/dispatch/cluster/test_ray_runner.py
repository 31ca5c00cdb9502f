"""The Ray runner on a real local Ray (2 CPUs): parts as tasks, progress, retries, refusal."""

from __future__ import annotations

import socket
import sys
import time
from pathlib import Path

import pytest

ray = pytest.importorskip("ray")

from benchmarks.bignight.generate import night  # noqa: E402
from dispatch.cluster import ClusterUnavailableError, RayRunner, connect  # noqa: E402
from solvers.errors import CancelledError  # noqa: E402
from solvers.routing.checker import evaluate  # noqa: E402
from solvers.routing.decompose import (  # noqa: E402
    DecomposeOptions,
    LargeProblem,
    Part,
    PartFailedError,
    PartJob,
    PartResult,
    part_problem,
    solve_decomposed,
    solve_part,
)


@pytest.fixture(scope="module")
def cluster(local_ray: int) -> int:
    """The session's local Ray (2 CPUs); the flaky tasks below travel by value."""
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    return local_ray


class Flaky:
    """A part task that fails its first ``failures`` attempts (counted in files, across
    worker processes), then solves."""

    def __init__(self, folder: Path, failures: int) -> None:
        self.folder = folder
        self.failures = failures

    def __call__(self, large: LargeProblem, job: PartJob) -> PartResult:
        attempt = len(list(self.folder.iterdir())) + 1
        (self.folder / f"attempt-{attempt}-{time.monotonic_ns()}").touch()
        if attempt <= self.failures:
            raise RuntimeError(f"attempt {attempt} failed on purpose")
        return solve_part(large, job)


def small_job() -> tuple[LargeProblem, PartJob]:
    """A 20-stop night as one part with a 1 s budget."""
    large = night(20)
    part = Part("the-part", tuple(range(20)), tuple(range(len(large.vehicles))))
    return large, PartJob(part, 1.0)


def test_a_night_is_solved_as_ray_tasks_with_progress_per_part(cluster: int) -> None:
    """Each part reports as it finishes, and the stitched plan passes the full checker."""
    large = night(200)
    seen: list[tuple[str, int, int, str]] = []
    options = DecomposeOptions(max_part_stops=60, border_share=0.0)
    outcome = solve_decomposed(
        large,
        8.0,
        RayRunner(cluster),
        options,
        on_part=lambda phase, done, total, r: seen.append((phase, done, total, r.name)),
    )
    parts = [p for p in outcome.parts if p.stops]
    assert len(parts) >= 3
    assert sorted(name for *_, name in seen) == sorted(p.name for p in parts)
    assert [done for _, done, _, _ in seen] == list(range(1, len(parts) + 1))
    whole = Part("all", tuple(range(len(large.stops))), tuple(range(len(large.vehicles))))
    assert evaluate(part_problem(large, whole), outcome.plan).feasible
    assert outcome.evaluation.feasible


def test_a_failed_part_is_retried(cluster: int, tmp_path: Path) -> None:
    """A part whose first attempt raises is solved by its second."""
    large, job = small_job()
    [result] = RayRunner(cluster, retries=1, task=Flaky(tmp_path, 1)).run(large, [job])
    assert result.name == "the-part"
    assert len(list(tmp_path.iterdir())) == 2


def test_a_part_failing_every_retry_fails_the_run_naming_it(cluster: int, tmp_path: Path) -> None:
    """After 1 + retries attempts the run raises PartFailedError with the part's name."""
    large, job = small_job()
    with pytest.raises(PartFailedError) as caught:
        RayRunner(cluster, retries=1, task=Flaky(tmp_path, 5)).run(large, [job])
    assert caught.value.part == "the-part"
    assert len(list(tmp_path.iterdir())) == 2


def test_an_unreachable_cluster_is_refused_naming_its_address() -> None:
    """Nothing listens on the port: ClusterUnavailableError names the address at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    address = f"127.0.0.1:{port}"
    with pytest.raises(ClusterUnavailableError, match=address):
        connect(address)


def test_a_cancelled_run_stops_waiting_for_its_parts(cluster: int) -> None:
    """When the cancel flag turns true the run raises CancelledError, not after the solve."""
    large = night(60)
    part = Part("long-part", tuple(range(60)), tuple(range(len(large.vehicles))))
    asked = time.monotonic()
    runner = RayRunner(cluster, is_cancelled=lambda: time.monotonic() - asked > 1.0)
    with pytest.raises(CancelledError):
        runner.run(large, [PartJob(part, 120.0)])
