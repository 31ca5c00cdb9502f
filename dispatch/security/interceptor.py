"""The one authentication interceptor: bearer token -> principal -> scope check -> handler.

Every DispatchService call must carry ``authorization: Bearer <token>``; the token is looked up
in the token file (by hash) or verified as a JWT. No or bad token: UNAUTHENTICATED. A principal
without the method's scope (``admin`` has them all): PERMISSION_DENIED. Health and reflection pass
untouched: probes carry no token, and reflection is switched off separately.

The check runs on the handler thread, not in ``intercept_service`` (grpcio calls that on its one
polling thread, where a slow check would hold up every connection). The principal is set with
``acting_as`` only while the handler's own code runs: around the call of a unary handler, and
around each step of a streaming one, so a watch stream paused between answers leaves no caller
behind on the thread, and the context variable is always reset on the thread that set it.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import grpc

from dispatch.interceptors import SERVICE_PREFIX, DispatchServiceInterceptor
from dispatch.security.jwt_keys import InvalidTokenError, JwtVerifier
from dispatch.security.principal import (
    SCOPE_ADMIN,
    SCOPE_DISPATCH,
    SCOPE_PLAN,
    Principal,
    acting_as,
)
from dispatch.security.tokens import TokenTable

#: The scope each DispatchService method needs. A method missing here needs ``admin``: a new
#: RPC is closed until someone decides who may call it.
METHOD_SCOPES = {
    "AssignUnits": SCOPE_DISPATCH,
    "PlanRoutes": SCOPE_PLAN,
    "EvaluatePlan": SCOPE_PLAN,
    "AdviseInsertion": SCOPE_PLAN,
    "CreatePlanJob": SCOPE_PLAN,
    "GetPlanJob": SCOPE_PLAN,
    "WatchPlanJob": SCOPE_PLAN,
    "CancelPlanJob": SCOPE_PLAN,
    "ListPlanJobs": SCOPE_PLAN,
}
_BEARER = "bearer "
#: Told about each refused call once its status is set: (method, context, (wall ns, perf start)).
RefusalReport = Callable[[str, grpc.ServicerContext, tuple[int, float]], None]

_log = logging.getLogger("dispatch.calls")


class Refused(Exception):
    """Why a call may not run: the status code and the message sent to the caller."""

    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def required_scope(method: str) -> str:
    """The scope a full method name (``/dispatch.v1.DispatchService/X``) needs."""
    return METHOD_SCOPES.get(method.removeprefix(SERVICE_PREFIX), SCOPE_ADMIN)


class Authenticator:
    """Turns a bearer token into a principal: the token file first, then the JWT key set."""

    def __init__(self, tokens: TokenTable | None = None, jwt: JwtVerifier | None = None) -> None:
        if tokens is None and jwt is None:
            raise ValueError("an Authenticator needs a token file or a JWT key set")
        self._tokens = tokens
        self._jwt = jwt

    def authenticate(self, metadata: Any) -> Principal:
        """The caller named by the ``authorization`` metadata; Refused(UNAUTHENTICATED)."""
        values = [v for k, v in metadata or () if k == "authorization"]
        if not values:
            raise Refused(
                grpc.StatusCode.UNAUTHENTICATED,
                "no bearer token: send the metadata 'authorization: Bearer <token>'",
            )
        if len(values) > 1 or not isinstance(values[0], str):
            raise Refused(grpc.StatusCode.UNAUTHENTICATED, "send exactly one authorization value")
        value = values[0]
        if value[: len(_BEARER)].lower() != _BEARER or not value[len(_BEARER) :].strip():
            raise Refused(
                grpc.StatusCode.UNAUTHENTICATED, "the authorization value must be 'Bearer <token>'"
            )
        token = value[len(_BEARER) :].strip()
        if self._tokens is not None:
            principal = self._tokens.lookup(token)
            if principal is not None:
                return principal
        if self._jwt is not None and token.count(".") == 2:
            try:
                return self._jwt.verify(token)
            except InvalidTokenError as exc:
                raise Refused(grpc.StatusCode.UNAUTHENTICATED, str(exc)) from None
        raise Refused(grpc.StatusCode.UNAUTHENTICATED, "unknown bearer token")

    def admit(self, metadata: Any, method: str) -> Principal:
        """The authenticated caller, if it holds the scope ``method`` needs; Refused otherwise."""
        principal = self.authenticate(metadata)
        scope = required_scope(method)
        if not principal.is_admin and scope not in principal.scopes:
            raise Refused(
                grpc.StatusCode.PERMISSION_DENIED,
                f"{principal.name!r} lacks the scope {scope!r} that "
                f"{method.removeprefix(SERVICE_PREFIX)} needs",
            )
        return principal


def _log_refusal(method: str, context: grpc.ServicerContext, refused: Refused) -> None:
    """One JSON line per refused call, shaped like the call log (``dispatch.interceptors``)."""
    record = {
        "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "level": "WARNING",
        "event": "rpc",
        "method": method.removeprefix(SERVICE_PREFIX),
        "code": refused.code.name,
        "reason": refused.message,
        "peer": context.peer(),
    }
    _log.warning(json.dumps(record, sort_keys=True))


class AuthInterceptor(DispatchServiceInterceptor):
    """Admits DispatchService calls by bearer token and scope; sets the current principal."""

    def __init__(
        self, authenticator: Authenticator, on_refused: RefusalReport | None = None
    ) -> None:
        self._authenticator = authenticator
        self._on_refused = on_refused

    def _admit(self, method: str, context: grpc.ServicerContext) -> Principal:
        times = (time.time_ns(), time.perf_counter())
        try:
            return self._authenticator.admit(context.invocation_metadata(), method)
        except Refused as refused:
            _log_refusal(method, context, refused)
            if self._on_refused is not None:
                # The call wrapper behind this interceptor never sees a refused call.
                context.set_code(refused.code)
                context.set_details(refused.message)
                self._on_refused(method, context, times)
            context.abort(refused.code, refused.message)
            raise  # pragma: no cover - abort raises

    def wrap_unary(self, behavior: Callable[..., Any], method: str) -> Callable[..., Any]:
        def handler(request: Any, context: grpc.ServicerContext) -> Any:
            principal = self._admit(method, context)
            with acting_as(principal):
                return behavior(request, context)

        return handler

    def wrap_stream(self, behavior: Callable[..., Any], method: str) -> Callable[..., Any]:
        def handler(request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
            principal = self._admit(method, context)
            with acting_as(principal):
                answers = iter(behavior(request, context))
            try:
                while True:
                    with acting_as(principal):
                        try:
                            answer = next(answers)
                        except StopIteration:
                            return
                    yield answer
            finally:
                close = getattr(answers, "close", None)
                if close is not None:
                    with acting_as(principal):
                        close()

        return handler

    def other_kind(self, handler: grpc.RpcMethodHandler) -> grpc.RpcMethodHandler:
        # DispatchService has no client-streaming methods; refuse rather than pass one through.
        return _refuse_all(handler)


def _refuse_all(handler: grpc.RpcMethodHandler) -> grpc.RpcMethodHandler:
    def refuse(request: Any, context: grpc.ServicerContext) -> Any:
        context.abort(grpc.StatusCode.PERMISSION_DENIED, "this kind of call is not served")

    if handler.stream_unary is not None:
        return grpc.stream_unary_rpc_method_handler(refuse)
    return grpc.stream_stream_rpc_method_handler(refuse)
