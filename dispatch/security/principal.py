"""The authenticated caller of the RPC being served, for code far from the interceptor.

The authentication interceptor sets it for the duration of one call; handlers and the job
service read it to decide ownership. ``None`` means the server runs without authentication
(loopback development, or ``--insecure``): every caller is then the same anonymous operator.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from dataclasses import dataclass

#: AssignUnits.
SCOPE_DISPATCH = "dispatch"
#: PlanRoutes, EvaluatePlan, AdviseInsertion and the plan-job RPCs.
SCOPE_PLAN = "plan"
#: Everything, and every principal's jobs.
SCOPE_ADMIN = "admin"
SCOPES = (SCOPE_DISPATCH, SCOPE_PLAN, SCOPE_ADMIN)


@dataclass(frozen=True)
class Principal:
    """A caller the server has authenticated: a stable name and the scopes it was granted."""

    name: str
    scopes: frozenset[str]

    @property
    def is_admin(self) -> bool:
        """Admins see and cancel every principal's jobs."""
        return SCOPE_ADMIN in self.scopes


_current: contextvars.ContextVar[Principal | None] = contextvars.ContextVar(
    "dispatch_principal", default=None
)


def current_principal() -> Principal | None:
    """The caller of the RPC on this thread, or None when authentication is off."""
    return _current.get()


@contextlib.contextmanager
def acting_as(principal: Principal | None) -> Iterator[None]:
    """Make ``principal`` the current caller inside the block (the interceptor's one use)."""
    token = _current.set(principal)
    try:
        yield
    finally:
        _current.reset(token)


def may_see(owner: str, principal: Principal | None) -> bool:
    """Whether ``principal`` may read or cancel a job created by ``owner``.

    Without authentication there is one anonymous operator and every job is theirs.
    """
    return principal is None or principal.is_admin or principal.name == owner
