"""How one attempt at a plan job ends: the plan in hand, the state it ends in, the failure line.

While a worker searches it hands over every better plan that passed the checker (a checkpoint).
The job keeps the last one, so a job that is cancelled or cut off past its time budget ends with
that plan, flagged ``stopped_early``, instead of nothing: those are the two ways a caller's own
limits stop a solve. A worker that dies is retried from scratch like a server crash (a full
budget may well find a better plan); a solve that fails for good is FAILED with its reason.

The progress a job shows is always its plan's checked objective: the number the answer reports,
never the searching engine's own (PyVRP's is on a relaxation with breaks cut out, so it read
1512.09 live for a plan the checker priced at 1579.24).

``settle`` is a pure decision (no store, no threads), so every ending is in one place.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from dispatch._proto.dispatch.v1 import common_pb2, jobs_pb2, routing_pb2
from dispatch.cluster.routing import PartProgress
from dispatch.jobs.store import CANCELLED, FAILED, QUEUED, SUCCEEDED, State
from dispatch.routing import RoutingCheckpoint, RoutingProgress
from dispatch.wire.durations import duration
from dispatch.workers import WorkerCrashedError, WorkerTimeoutError
from solvers.errors import CancelledError, DispatchError

__all__ = [
    "Attempt",
    "Ending",
    "RunningJob",
    "attempt_of",
    "has_plan",
    "log_failure",
    "settle",
]

log = logging.getLogger(__name__)
_events = logging.getLogger("dispatch.jobs.events")

#: Solve statuses whose answer carries a checked plan (INFEASIBLE: one that skips stops).
_PLAN_STATUSES = (common_pb2.OPTIMAL, common_pb2.FEASIBLE, common_pb2.INFEASIBLE)

CANCELLED_REASON = "cancelled by caller"
SHUTDOWN_REASON = "requeued: server shut down while running"


def has_plan(response: routing_pb2.PlanRoutesResponse | None) -> bool:
    """True when ``response`` is an answer with a checked plan in it."""
    return response is not None and response.solve_info.status in _PLAN_STATUSES


@dataclass
class RunningJob:
    """A job a slot is working on: its cancel flag, live progress and best checked plan.

    ``progress`` is replaced, never changed in place, so readers in other threads (GetPlanJob,
    watchers) always see a whole message.
    """

    cancel: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)
    progress: jobs_pb2.PlanJobProgress = field(default_factory=jobs_pb2.PlanJobProgress)
    #: The best checked plan the worker has handed over so far.
    plan: routing_pb2.PlanRoutesResponse | None = None
    #: The worker did not answer in time; the routing service answered without it.
    late: bool = False
    last_saved: float = 0.0

    def searched(self, update: RoutingProgress) -> None:
        """The search found a better solution (count it: its objective is not the checker's),
        or a decomposed solve finished a part."""
        progress = _copy(self.progress)
        progress.solutions_found = max(progress.solutions_found, update.solutions_found)
        progress.elapsed.CopyFrom(duration(update.elapsed_seconds))
        if isinstance(update, PartProgress):  # a part of a decomposed solve: count and name it
            progress.parts_done = update.parts_done
            progress.parts_total = update.parts_total
            progress.finished_parts.append(update.part)
        self.progress = progress

    def checked(self, checkpoint: RoutingCheckpoint) -> None:
        """A better plan passed the checker: keep it, and show its checked figures."""
        plan = routing_pb2.PlanRoutesResponse.FromString(checkpoint.response)
        progress = _copy(self.progress)
        progress.plans_checked += 1
        _show_plan(progress, plan)
        self.plan = plan
        self.progress = progress

    def due_for_save(self, interval: float) -> bool:
        """True (and the clock restarted) when the last save is ``interval`` seconds old."""
        now = time.monotonic()
        if now - self.last_saved < interval:
            return False
        self.last_saved = now
        return True

    def mark_late(self) -> None:
        """Called by the routing service when it answers without the worker (past the budget)."""
        self.late = True


@dataclass(frozen=True)
class Attempt:
    """What the routing call gave: an answer, or the error that stopped it."""

    response: routing_pb2.PlanRoutesResponse | None = None
    error: str = ""
    #: The worker process died under the job (retried like a server crash).
    worker_died: bool = False
    #: The worker gave no answer by the deadline and was stopped.
    overran: bool = False


def attempt_of(job_id: str, solve: Callable[[], routing_pb2.PlanRoutesResponse]) -> Attempt:
    """Run ``solve`` (a RoutingService.plan_routes call) and sort what stopped it."""
    try:
        return Attempt(solve())
    except WorkerCrashedError as exc:
        return Attempt(error=str(exc), worker_died=True)
    except WorkerTimeoutError as exc:
        return Attempt(error=f"solve stopped: {exc}", overran=True)
    except CancelledError as exc:
        return Attempt(error=f"solve stopped: {exc}")
    except DispatchError as exc:
        return Attempt(error=f"{type(exc).__name__}: {exc}")
    except Exception as exc:  # a bug must end the job with a reason, not kill the slot
        log.exception("plan job %s: solve raised", job_id)
        return Attempt(error=f"internal error: {type(exc).__name__}: {exc}")


@dataclass(frozen=True)
class Ending:
    """The state an attempt leaves its job in, and what is recorded with it."""

    state: State
    reason: str
    progress: jobs_pb2.PlanJobProgress
    result: routing_pb2.PlanRoutesResponse | None = None
    error_message: str | None = None


def settle(
    running: RunningJob,
    attempt: Attempt,
    *,
    elapsed: float,
    cancelled: bool,
    stopping: bool,
    attempts: int,
    max_attempts: int,
) -> Ending:
    """How the attempt ends, in order of precedence:

    - cancelled: CANCELLED, with the answer if the solve had just finished, else the best
      checked plan in hand (``stopped_early``), else no plan;
    - the server shutting down mid-solve: back to QUEUED (a restart runs it again);
    - the worker died with attempts left: back to QUEUED, like a server crash (a requeued
      job solves from scratch, so its progress starts empty again);
    - an answer with a plan: SUCCEEDED (``stopped_early`` when the worker was cut off late);
    - stopped at the deadline without an answer, with a checked plan in hand: SUCCEEDED with
      that plan, ``stopped_early``;
    - otherwise FAILED with the reason.
    """
    answered = attempt.response if has_plan(attempt.response) else None
    if cancelled:
        plan = answered or running.plan
        early = answered is None or running.late
        return Ending(
            CANCELLED, CANCELLED_REASON, final_progress(running, plan, elapsed, early), plan
        )
    if attempt.response is None and stopping:
        return Ending(QUEUED, SHUTDOWN_REASON, jobs_pb2.PlanJobProgress())
    if attempt.worker_died and attempts < max_attempts:
        reason = (
            f"requeued: the routing worker died on attempt {attempts} of {max_attempts} "
            f"({attempt.error})"
        )
        return Ending(QUEUED, reason, jobs_pb2.PlanJobProgress())
    if answered is not None:
        reason = "solved" if not running.late else "solved; " + _LATE
        progress = final_progress(running, answered, elapsed, running.late)
        return Ending(SUCCEEDED, reason, progress, answered)
    error = _failure(attempt, attempts, max_attempts)
    if attempt.overran and running.plan is not None:
        reason = f"stopped early ({error}); ended with the best checked plan found before"
        return Ending(
            SUCCEEDED, reason, final_progress(running, running.plan, elapsed, True), running.plan
        )
    progress = final_progress(running, None, elapsed, False)
    return Ending(FAILED, error, progress, error_message=error)


_LATE = (
    "the worker overran the time budget; answered without it (its last checked plan, or a "
    "constructed one)"
)


def _failure(attempt: Attempt, attempts: int, max_attempts: int) -> str:
    """Why an attempt without a plan failed, in words for ``error_message``."""
    if attempt.worker_died:
        return (
            f"the routing worker died on attempt {attempts} of {max_attempts}; not retried "
            f"again ({attempt.error})"
        )
    response = attempt.response
    if response is not None:
        status = common_pb2.SolveStatus.Name(response.solve_info.status)
        error = f"no plan: solver status {status}"
        if response.solve_info.fallback_reason:
            error += f" ({response.solve_info.fallback_reason})"
        return error
    return attempt.error or "the solve ended without an answer"


def final_progress(
    running: RunningJob,
    plan: routing_pb2.PlanRoutesResponse | None,
    elapsed: float,
    stopped_early: bool,
) -> jobs_pb2.PlanJobProgress:
    """The figures a finished job keeps: those of its plan (the checker's), if it has one.

    A plan that is not the last checkpoint (the final answer after the search, or a plan
    constructed when the worker had none) counts as one more checked plan.
    """
    final = _copy(running.progress)
    final.elapsed.CopyFrom(duration(elapsed))
    if plan is None:
        return final
    if final.plans_checked == 0 or not _same_figures(final, plan):
        final.plans_checked += 1
    _show_plan(final, plan)
    final.solutions_found = max(final.solutions_found, 1)
    final.stopped_early = stopped_early
    return final


def log_failure(job: jobs_pb2.PlanJob, reason: str) -> None:
    """One JSON line for a job that FAILED, with its reason (every failure, wherever decided)."""
    record = {
        "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "level": "ERROR",
        "event": "plan_job_failed",
        "job_id": job.job_id,
        "request_id": job.request_id,
        "label": job.label,
        "attempts": job.attempts,
        "reason": reason,
    }
    _events.error(json.dumps(record, sort_keys=True))


def _show_plan(progress: jobs_pb2.PlanJobProgress, plan: routing_pb2.PlanRoutesResponse) -> None:
    progress.best_objective = plan.solve_info.objective
    progress.vehicles_used = plan.kpis.vehicles_used


def _same_figures(progress: jobs_pb2.PlanJobProgress, plan: routing_pb2.PlanRoutesResponse) -> bool:
    return (progress.best_objective, progress.vehicles_used) == (
        plan.solve_info.objective,
        plan.kpis.vehicles_used,
    )


def _copy(progress: jobs_pb2.PlanJobProgress) -> jobs_pb2.PlanJobProgress:
    copy = jobs_pb2.PlanJobProgress()
    copy.CopyFrom(progress)
    return copy
