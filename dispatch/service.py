"""The DispatchService servicer: validate, pick a deadline, delegate; never convert or solve here.

Handlers raise; ``dispatch.interceptors`` maps exceptions to status codes and logs each call. The
workload modules (``dispatch.emergency``, ``dispatch.routing``, ``dispatch.jobs``) are looked up at
call time, so the servicer stays thin and each module can change independently.
:func:`add_to_server` registers the servicer so that its handlers receive raw request bytes and
parse them themselves (``dispatch.decoding``): grpcio never sees an undecodable body.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import grpc
from google.protobuf import message_factory

from dispatch import emergency, replanning, validation
from dispatch._proto.dispatch.v1 import (
    common_pb2,
    dispatch_service_pb2,
    dispatch_service_pb2_grpc,
    emergency_pb2,
    jobs_pb2,
    replanning_pb2,
    routing_pb2,
)
from dispatch.answer_margin import AnswerMargin
from dispatch.decoding import RawRequestHandler
from dispatch.errors import DispatchError, QueueFullError
from dispatch.jobs.rows import JobQuery
from dispatch.routing import RoutingService
from dispatch.wire import durations
from solvers.budget import Deadline
from solvers.errors import CancelledError

#: Per-workload budgets when the caller sets none (see SolveOptions.time_budget).
DEFAULT_EMERGENCY_BUDGET = 1.0
DEFAULT_ROUTING_BUDGET = 10.0
DEFAULT_ADVICE_BUDGET = 1.0
DEFAULT_PAGE_SIZE = 50
SERVICE = dispatch_service_pb2.DESCRIPTOR.services_by_name["DispatchService"]
#: A gRPC call without a deadline reports a huge time_remaining(); treat anything beyond a day
#: as "no deadline".
_NO_DEADLINE = 86_400.0

_log = logging.getLogger("dispatch.service")

#: Called with the name of the step a solving call is about to start ("validation",
#: "conversion", then the workload's own: "solve", "answer", "move_up"); raises
#: :class:`CallOverError` when the call should not go on.
Checkpoint = Callable[[str], None]


class CallOverError(DispatchError):
    """The call's deadline has passed or its caller cancelled it, before ``step``: the step and all
    after it are skipped. Ends the call with ``code`` (DEADLINE_EXCEEDED or CANCELLED), which no
    caller reads any more but the call's log line and metrics show."""

    def __init__(self, code: grpc.StatusCode, step: str) -> None:
        self.code = code
        self.step = step
        why = "its deadline passed" if code == grpc.StatusCode.DEADLINE_EXCEEDED else "cancelled"
        super().__init__(f"the call was stopped before {step}: {why}")


#: Seconds before its deadline (as the server counts it) that an inactive call is taken to
#: have timed out rather than been cancelled: the time the call's headers took to arrive, which
#: on loopback is milliseconds and under load rarely more than a scheduling delay or two.
DEADLINE_SKEW = 0.25


def call_over(context: grpc.ServicerContext) -> grpc.StatusCode | None:
    """DEADLINE_EXCEEDED once the call's deadline has passed, CANCELLED once its caller has gone
    (cancelled, disconnected), None while an answer can still reach the caller.

    The deadline is read first: grpcio cancels a call when its deadline passes, so an inactive
    call past its deadline timed out rather than being cancelled. So did an inactive call within
    ``DEADLINE_SKEW`` of it: the server's copy of the deadline starts when the call's headers
    arrive, so the client's own timeout usually reaches the server as a cancel just before it.
    A short deadline that has not passed is not over: that call gets the best answer that fits
    (``solve_deadline``).
    """
    remaining = context.time_remaining()
    if remaining is not None and remaining <= 0:
        return grpc.StatusCode.DEADLINE_EXCEEDED
    if not context.is_active():
        if remaining is not None and remaining <= DEADLINE_SKEW:
            return grpc.StatusCode.DEADLINE_EXCEEDED
        return grpc.StatusCode.CANCELLED
    return None


def checkpoint_for(method: str, request: Any, context: grpc.ServicerContext) -> Checkpoint:
    """The checkpoint of one call: raises CallOverError, with one log line, once it is over."""

    def checkpoint(step: str) -> None:
        code = call_over(context)
        if code is None:
            return
        _log.info(
            "%s stopped before %s: %s",
            method,
            step,
            code.name,
            extra={
                "event": "call_stopped",
                "method": method,
                "stopped_before": step,
                "code": code.name,
                "request_id": request.request_id,
                "label": request.label,
            },
        )
        raise CallOverError(code, step)

    return checkpoint


def solve_deadline(
    options: common_pb2.SolveOptions,
    default_budget: float,
    time_remaining: float | None,
    margins: AnswerMargin | None = None,
    load_per_core: float | None = None,
) -> Deadline:
    """The deadline a solve must meet: the caller's budget, cut to the gRPC deadline minus a margin.

    The margin is 10% of the time left or 20 ms, whichever is larger, so a 100 ms call gets
    80 ms of solving and a 10 s call 9 s; more when ``margins`` has seen this workload's recent
    answers leave later than that after their solve deadline, or when the machine is busier than
    it has cores (``dispatch.answer_margin``; ``load_per_core`` defaults to the machine's). A
    budget of 0 (unset) means the workload default.
    """
    budget = durations.seconds(options.time_budget) if options.HasField("time_budget") else 0.0
    if budget <= 0:
        budget = default_budget
    if time_remaining is not None and time_remaining < _NO_DEADLINE:
        margin = (margins or AnswerMargin()).margin(time_remaining, load_per_core)
        budget = min(budget, time_remaining - margin)
    return Deadline.after(budget)


def _validate_only(options: common_pb2.SolveOptions) -> bool:
    return options.solving_mode == common_pb2.VALIDATE_ONLY


def _not_solved(response_type: type[Any], request: Any, start: float) -> Any:
    """The VALIDATE_ONLY answer: no plan, status NOT_SOLVED, the caller's keys echoed."""
    return response_type(
        label=request.label,
        request_id=request.request_id,
        solve_info=common_pb2.SolveInfo(
            status=common_pb2.NOT_SOLVED,
            wall_time=durations.duration(time.perf_counter() - start),
        ),
    )


def _keys_only(response_type: type[Any], request: Any) -> Any:
    """The VALIDATE_ONLY answer of a call that solves nothing: only the caller's keys."""
    return response_type(label=request.label, request_id=request.request_id)


def _echo(response: Any, request: Any) -> Any:
    """Make sure label and request_id come back even if a workload module forgot them."""
    if not response.label:
        response.label = request.label
    if not response.request_id:
        response.request_id = request.request_id
    return response


class DispatchServicer(dispatch_service_pb2_grpc.DispatchServiceServicer):
    """Implements dispatch.v1.DispatchService over the workload modules.

    ``jobs`` is a ``dispatch.jobs.JobService`` or None when this build has none; job RPCs then
    answer UNIMPLEMENTED after validation.
    """

    def __init__(
        self, routing: RoutingService, jobs: Any | None = None, long_call_limit: int = 24
    ) -> None:
        self._routing = routing
        self._jobs = jobs
        self._long_calls = threading.BoundedSemaphore(long_call_limit)
        #: Inline live plans of AdviseInsertion, validated and built (replanning.InlinePlans).
        self.inline_plans = replanning.InlinePlans()
        self._margins = {
            method: AnswerMargin() for method in ("AssignUnits", "PlanRoutes", "AdviseInsertion")
        }

    def _deadline(
        self, method: str, options: common_pb2.SolveOptions, budget: float, context: Any
    ) -> Deadline:
        """The call's solve deadline, with the margin this method's recent answers call for."""
        return solve_deadline(options, budget, context.time_remaining(), self._margins[method])

    def _answered(self, method: str, deadline: Deadline, response: Any) -> Any:
        """Note how far past its solve deadline the answer left, for the next calls' margin."""
        self._margins[method].record(time.monotonic() - deadline.at)
        return response

    @contextlib.contextmanager
    def _long_call(self, what: str) -> Iterator[None]:
        """Hold one long-call slot, or refuse at once: a blocked handler thread is one fewer
        for AssignUnits and health checks, so these calls must never take them all."""
        if not self._long_calls.acquire(blocking=False):
            raise QueueFullError(
                f"too many concurrent {what} calls; retry later or use CreatePlanJob"
            )
        try:
            yield
        finally:
            self._long_calls.release()

    def _solving_call(
        self,
        method: str,
        request: Any,
        context: grpc.ServicerContext,
        budget: float,
        validate: Callable[[Any], None],
        unsolved: Callable[[], Any],
        solve: Callable[[Deadline, Checkpoint], Any],
    ) -> Any:
        """Every solving call: the deadline is fixed before validating (validation and
        conversion spend from the same budget), VALIDATE_ONLY answers ``unsolved()``, and the
        answer's delay past its solve deadline feeds the method's margin. A call that is over
        (``call_over``) before validation, before conversion or before a step ``solve`` checks
        is ended DEADLINE_EXCEEDED or CANCELLED without doing the rest."""
        deadline = self._deadline(method, request.options, budget, context)
        checkpoint = checkpoint_for(method, request, context)
        try:
            checkpoint("validation")
            validate(request)
            if _validate_only(request.options):
                return unsolved()
            checkpoint("conversion")
            response = solve(deadline, checkpoint)
        except CallOverError as over:
            context.abort(over.code, str(over))  # raises; the call wrapper logs the code
        except CancelledError as exc:
            # A solve stopped because the call ended (waiting for a worker or in one): once
            # the deadline has passed the call timed out, whatever stopped it; the caller did
            # not cancel it. Its log line and metrics say so.
            if call_over(context) != grpc.StatusCode.DEADLINE_EXCEEDED:
                raise
            context.abort(grpc.StatusCode.DEADLINE_EXCEEDED, f"the call's deadline passed: {exc}")
        return self._answered(method, deadline, _echo(response, request))

    def AssignUnits(
        self, request: emergency_pb2.AssignUnitsRequest, context: grpc.ServicerContext
    ) -> emergency_pb2.AssignUnitsResponse:
        start = time.perf_counter()
        return self._solving_call(
            "AssignUnits",
            request,
            context,
            DEFAULT_EMERGENCY_BUDGET,
            validation.validate_assign_units,
            lambda: _not_solved(emergency_pb2.AssignUnitsResponse, request, start),
            lambda deadline, checkpoint: emergency.assign_units(request, deadline, checkpoint),
        )

    def PlanRoutes(
        self, request: routing_pb2.PlanRoutesRequest, context: grpc.ServicerContext
    ) -> routing_pb2.PlanRoutesResponse:
        start = time.perf_counter()

        def solve(deadline: Deadline, _checkpoint: Checkpoint) -> routing_pb2.PlanRoutesResponse:
            # The worker converts and solves; it stops when the caller goes (is_cancelled).
            with self._long_call("PlanRoutes"):
                return self._routing.plan_routes(
                    request, deadline, is_cancelled=lambda: not context.is_active()
                )

        return self._solving_call(
            "PlanRoutes",
            request,
            context,
            DEFAULT_ROUTING_BUDGET,
            validation.validate_plan_routes,
            lambda: _not_solved(routing_pb2.PlanRoutesResponse, request, start),
            solve,
        )

    def EvaluatePlan(
        self, request: routing_pb2.EvaluatePlanRequest, context: grpc.ServicerContext
    ) -> routing_pb2.EvaluatePlanResponse:
        validation.validate_evaluate_plan(request)
        if _validate_only(request.problem.options):
            return _keys_only(routing_pb2.EvaluatePlanResponse, request)
        return _echo(self._routing.evaluate_plan(request), request)

    def AdviseInsertion(
        self, request: replanning_pb2.AdviseInsertionRequest, context: grpc.ServicerContext
    ) -> replanning_pb2.AdviseInsertionResponse:
        # Cheap (checker simulations, no OR-Tools): answered in this thread, like EvaluatePlan.
        # An inline live plan sent before, byte for byte, is validated and built already.
        found: list[replanning.InlineLookup | None] = [None]

        def validate(message: replanning_pb2.AdviseInsertionRequest) -> None:
            found[0] = self.inline_plans.lookup(message)
            checked = found[0] is not None and found[0].entry is not None
            validation.validate_advise_insertion(message, live_plan_checked=checked)

        def solve(deadline: Deadline, _: Checkpoint) -> replanning_pb2.AdviseInsertionResponse:
            inline = (self.inline_plans, found[0]) if found[0] is not None else None
            return replanning.advise_insertion(request, deadline, self._jobs, inline)

        return self._solving_call(
            "AdviseInsertion",
            request,
            context,
            DEFAULT_ADVICE_BUDGET,
            validate,
            lambda: _keys_only(replanning_pb2.AdviseInsertionResponse, request),
            solve,
        )

    def _job_service(self) -> Any:
        if self._jobs is None:
            raise NotImplementedError("plan jobs are not available in this build")
        return self._jobs

    def CreatePlanJob(
        self, request: jobs_pb2.CreatePlanJobRequest, context: grpc.ServicerContext
    ) -> jobs_pb2.PlanJob:
        validation.validate_create_plan_job(request)
        if self._jobs is not None:  # what this server's jobs cannot run is refused here too
            self._jobs.check_runnable(request.request)
        if _validate_only(request.request.options):
            # Nothing is created: an empty job (no job_id) echoing the caller's keys.
            return _keys_only(jobs_pb2.PlanJob, request.request)
        return self._job_service().create(request.request)

    def GetPlanJob(
        self, request: jobs_pb2.GetPlanJobRequest, context: grpc.ServicerContext
    ) -> jobs_pb2.PlanJob:
        validation.validate_job_ref(request)
        return self._job_service().get(request.job_id, request.include_request)

    def WatchPlanJob(
        self, request: jobs_pb2.WatchPlanJobRequest, context: grpc.ServicerContext
    ) -> Iterator[jobs_pb2.PlanJobEvent]:
        validation.validate_job_ref(request)
        jobs = self._job_service()
        with self._long_call("WatchPlanJob"):
            yield from jobs.watch(request.job_id, context.is_active)

    def CancelPlanJob(
        self, request: jobs_pb2.CancelPlanJobRequest, context: grpc.ServicerContext
    ) -> jobs_pb2.PlanJob:
        validation.validate_job_ref(request)
        return self._job_service().cancel(request.job_id)

    def ListPlanJobs(
        self, request: jobs_pb2.ListPlanJobsRequest, context: grpc.ServicerContext
    ) -> jobs_pb2.ListPlanJobsResponse:
        validation.validate_list_plan_jobs(request)
        query = JobQuery(
            request.page_size or DEFAULT_PAGE_SIZE,
            request.page_token,
            tuple(request.states),
            request.label,
        )
        return self._job_service().list(query)


def method_handlers(servicer: DispatchServicer) -> dict[str, grpc.RpcMethodHandler]:
    """One handler per DispatchService method, taking the request as raw bytes.

    Built from the service descriptor like the generated ``add_DispatchServiceServicer_to_server``
    (same methods, response serialisers and streaming kinds), except that
    ``request_deserializer`` is None: grpcio passes the body through untouched and
    :class:`~dispatch.decoding.RawRequestHandler` parses it, so a body that is not a valid
    message is answered INVALID_ARGUMENT instead of grpcio's INTERNAL (which also logs a
    traceback and leaks memory per call).
    """
    handlers: dict[str, grpc.RpcMethodHandler] = {}
    for method in SERVICE.methods:
        request_type = message_factory.GetMessageClass(method.input_type)
        response_type = message_factory.GetMessageClass(method.output_type)
        behavior = RawRequestHandler(request_type, getattr(servicer, method.name))
        make = (
            grpc.unary_stream_rpc_method_handler
            if method.server_streaming
            else grpc.unary_unary_rpc_method_handler
        )
        handlers[method.name] = make(
            behavior,
            request_deserializer=None,
            response_serializer=response_type.SerializeToString,
        )
    return handlers


def add_to_server(servicer: DispatchServicer, server: grpc.Server) -> None:
    """Register ``servicer`` on ``server`` with raw-bytes handlers (see :func:`method_handlers`).

    Registered both ways, as the generated code does: as a generic handler, and as registered
    methods (the fast path grpcio uses for calls from generated stubs).
    """
    handlers = method_handlers(servicer)
    server.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler(SERVICE.full_name, handlers),)
    )
    server.add_registered_method_handlers(SERVICE.full_name, handlers)
