"""A stand-in RoutingService with the real process behaviour, for job tests before routing lands.

It is not a solver: the worker process reports a "solution" every ``tick`` seconds (objective
1000 / n), each one also handed over as a checkpoint plan, until the deadline, then answers
FEASIBLE with the last one. What it does for real is what the job manager
depends on: each solve is a separate OS process, slots are bounded by a semaphore, progress crosses
a pipe, ``is_cancelled()`` kills the process, a crashing process becomes SolverFailedError.
Requests labelled ``crash`` make the worker exit with status 3 after one tick.
"""

from __future__ import annotations

import multiprocessing
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection

from dispatch._proto.dispatch.v1 import common_pb2, routing_pb2
from dispatch.routing import RoutingCheckpoint, RoutingProgress, RoutingService
from solvers.budget import Deadline
from solvers.errors import CancelledError, SolverFailedError


def _tick_worker(conn: Connection, seconds: float, tick: float, crash: bool) -> None:
    """Child process body: one message per tick, then 'done' (or exit 3 when crashing)."""
    import os as _os
    import time as _time

    start = _time.monotonic()
    n = 0
    try:
        while True:
            _time.sleep(tick)
            n += 1
            conn.send(("progress", n, 1000.0 / n, 1 + n % 3, _time.monotonic() - start))
            if crash:
                _os._exit(3)
            if _time.monotonic() - start + tick > seconds:
                break
        conn.send(("done", n))
    except (BrokenPipeError, EOFError):
        _os._exit(0)  # the parent died (a test killed it): nobody to report to


class TickingRouting(RoutingService):
    """RoutingService contract (process per solve, cancel kills it) without a real solver."""

    def __init__(self, workers: int = 1, tick: float = 0.1) -> None:
        super().__init__(workers)
        self.tick = tick
        self._slots = threading.BoundedSemaphore(workers)
        self._ctx = multiprocessing.get_context("spawn")
        self.processes: list[multiprocessing.process.BaseProcess] = []

    def plan_routes(
        self,
        request: routing_pb2.PlanRoutesRequest,
        deadline: Deadline,
        is_cancelled: Callable[[], bool] = lambda: False,
        on_progress: Callable[[RoutingProgress], None] | None = None,
        on_checkpoint: Callable[[RoutingCheckpoint], None] | None = None,
        on_late: Callable[[], None] | None = None,
    ) -> routing_pb2.PlanRoutesResponse:
        """Run one ticking worker process until the deadline, a cancel or a crash."""
        with self._slots:
            parent, child = self._ctx.Pipe(duplex=False)
            proc = self._ctx.Process(
                target=_tick_worker,
                args=(child, deadline.remaining(), self.tick, request.label == "crash"),
                daemon=True,
            )
            started = time.monotonic()
            proc.start()
            child.close()
            self.processes.append(proc)
            best: tuple[int, float, int] | None = None
            try:
                while True:
                    if is_cancelled():
                        proc.kill()
                        proc.join()
                        raise CancelledError("cancelled")
                    if parent.poll(0.02):
                        try:
                            msg = parent.recv()
                        except EOFError:
                            proc.join()
                            raise SolverFailedError(
                                f"worker exited with status {proc.exitcode}"
                            ) from None
                        if msg[0] == "done":
                            break
                        _, n, objective, vehicles, elapsed = msg
                        best = (n, objective, vehicles)
                        if on_progress is not None:
                            on_progress(RoutingProgress(n, objective, vehicles, elapsed))
                        if on_checkpoint is not None:
                            plan = _answer(request, best, time.monotonic() - started)
                            on_checkpoint(RoutingCheckpoint(plan.SerializeToString()))
                    elif not proc.is_alive() and not parent.poll():
                        raise SolverFailedError(f"worker exited with status {proc.exitcode}")
            finally:
                if proc.is_alive():
                    proc.kill()
                proc.join()
                parent.close()
        return _answer(request, best, time.monotonic() - started)


def _answer(
    request: routing_pb2.PlanRoutesRequest, best: tuple[int, float, int] | None, elapsed: float
) -> routing_pb2.PlanRoutesResponse:
    """The answer for the best tick so far (NO_SOLUTION_FOUND before the first)."""
    response = routing_pb2.PlanRoutesResponse(label=request.label, request_id=request.request_id)
    info = response.solve_info
    info.solver = common_pb2.GREEDY
    info.engine = "test.ticking"
    if best is None:
        info.status = common_pb2.NO_SOLUTION_FOUND
    else:
        info.status = common_pb2.FEASIBLE
        info.objective = best[1]
        response.kpis.vehicles_used = best[2]
        response.kpis.total_cost = best[1]
    info.wall_time.FromNanoseconds(int(elapsed * 1e9))
    return response
