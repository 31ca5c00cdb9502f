"""Run part jobs as Ray tasks: one CPU each, retried, progress as each part finishes.

``connect("local", cpus)`` starts a Ray inside this process (tests, one machine);
``connect("HOST:PORT")`` joins a running cluster. An address nobody answers is refused at once
with :class:`ClusterUnavailableError` naming it: ``ray.init`` itself keeps retrying an
unreachable GCS for minutes, so the address is probed with a plain TCP connect first.

The large problem is put into Ray's object store once per run (coordinates, or the caller's
matrices, which workers on the same node then read without a copy); each task builds only its
part's sub-matrix (``solvers.routing.decompose.part_problem``). A task that raises, or whose
worker dies, is retried ``retries`` times by Ray; after that the run raises
:class:`~solvers.routing.decompose.PartFailedError` naming the part, and the parts still
running are cancelled.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from solvers.errors import CancelledError, DispatchError
from solvers.routing.decompose import (
    LargeProblem,
    PartFailedError,
    PartJob,
    PartResult,
    PartRunner,
    solve_part,
)

#: Seconds to wait for a TCP answer from a cluster address before refusing it.
PROBE_SECONDS = 3.0
#: Object store of a local Ray: the default (30 % of RAM) is too greedy on a shared machine.
LOCAL_OBJECT_STORE_BYTES = 512 * 1024 * 1024

#: Seconds between looks at the cancel flag while parts run.
WAIT_SECONDS = 0.5

PartTask = Callable[[LargeProblem, PartJob], PartResult]


class ClusterUnavailableError(DispatchError):
    """Ray is missing or the cluster cannot be reached: the caller must not start half-way."""


def connect(address: str, cpus: int | None = None) -> int:
    """Connect this process to Ray (``local`` starts one here); returns the cluster's CPUs."""
    try:
        import ray
    except ImportError as exc:
        raise ClusterUnavailableError(
            "Ray is not installed; install the ray extra: pip install 'city-dispatch[ray]'"
        ) from exc
    if address != "local":
        _probe(address)
    if ray.is_initialized():
        return int(ray.cluster_resources().get("CPU", 1))
    if address == "local":
        _start_local(ray, cpus)
    else:
        try:
            ray.init(address=address, logging_level="WARNING", log_to_driver=False)
        except Exception as exc:  # Ray raises ConnectionError, RuntimeError, ...
            raise ClusterUnavailableError(f"Ray cluster at {address}: {exc}") from exc
    return int(ray.cluster_resources().get("CPU", 1))


def _start_local(ray: Any, cpus: int | None) -> None:
    """Start Ray in this process, trying twice: its GCS or raylet now and then misses its own
    start-up timeout on a 2-core machine (about 1 start in 3 here, RuntimeError or a plain
    Exception from Ray); a second start usually comes up."""
    for attempt in (1, 2):
        try:
            ray.init(
                num_cpus=cpus,
                include_dashboard=False,
                object_store_memory=LOCAL_OBJECT_STORE_BYTES,
                logging_level="WARNING",
                log_to_driver=False,
            )
            return
        except Exception as exc:  # Ray raises RuntimeError or a bare Exception here
            ray.shutdown()
            if attempt == 2:
                raise ClusterUnavailableError(f"a local Ray did not start: {exc}") from exc


def is_connected() -> bool:
    """Whether this process is connected to a Ray already (False when Ray is not installed)."""
    try:
        import ray
    except ImportError:
        return False
    return bool(ray.is_initialized())


def shutdown() -> None:
    """Disconnect from Ray (and stop a local one)."""
    import ray

    ray.shutdown()


def _probe(address: str) -> None:
    """Refuse an address whose head does not accept a TCP connection within PROBE_SECONDS."""
    target = address.removeprefix("ray://")
    host, _, port = target.rpartition(":")
    if not host or not port.isdigit():
        raise ClusterUnavailableError(
            f"Ray address {address!r} is not HOST:PORT, ray://HOST:PORT or 'local'"
        )
    try:
        with socket.create_connection((host, int(port)), timeout=PROBE_SECONDS):
            pass
    except OSError as exc:
        raise ClusterUnavailableError(f"Ray cluster at {address} is unreachable: {exc}") from exc


class RayRunner(PartRunner):
    """A :class:`~solvers.routing.decompose.PartRunner` on the connected Ray cluster."""

    def __init__(
        self,
        workers: int,
        retries: int = 1,
        task: PartTask = solve_part,
        is_cancelled: Callable[[], bool] = lambda: False,
    ) -> None:
        self._workers = max(1, workers)
        self.retries = retries
        self.task = task
        self.is_cancelled = is_cancelled
        #: The problem in Ray's object store: put once per problem, not once per round.
        self._stored: tuple[LargeProblem, Any] | None = None

    @property
    def workers(self) -> int:
        """Parts that run at the same time (the cluster's CPUs, one per task)."""
        return self._workers

    def finished(
        self, large: LargeProblem, jobs: Sequence[PartJob]
    ) -> Iterator[tuple[int, PartResult]]:
        """Every job as a Ray task; each index and result as the task returns."""
        import ray

        remote = ray.remote(num_cpus=1, max_retries=self.retries, retry_exceptions=True)(_run_task)
        if self._stored is None or self._stored[0] is not large:
            self._stored = (large, ray.put(large))
        problem = self._stored[1]
        pending: dict[Any, int] = {
            remote.remote(self.task, problem, job): i for i, job in enumerate(jobs)
        }
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1, timeout=WAIT_SECONDS)
            if self.is_cancelled():
                for other in pending:
                    ray.cancel(other, force=True)
                raise CancelledError("the decomposed solve was cancelled")
            for ref in ready:
                i = pending.pop(ref)
                try:
                    result = ray.get(ref)
                except Exception as exc:  # RayTaskError, WorkerCrashedError, ...
                    for other in pending:
                        ray.cancel(other, force=True)
                    raise PartFailedError(jobs[i].part.name, _cause(exc)) from exc
                yield i, result


def _run_task(task: PartTask, large: LargeProblem, job: PartJob) -> PartResult:
    """The body of a Ray task (module level, so workers import it by reference)."""
    return task(large, job)


def _cause(exc: Exception) -> str:
    """The first line of the task's own error (Ray wraps it in a long traceback)."""
    cause = getattr(exc, "cause", None) or exc
    return f"{type(cause).__name__}: {str(cause).splitlines()[0] if str(cause) else ''}"
