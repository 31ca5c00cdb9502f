"""Proto enum values <-> the solvers' enums.

The solvers' enums mirror the proto ones by name, so every table is built from the names: a
value added to both sides needs no edit here.
"""

from __future__ import annotations

import enum
from typing import Any

from dispatch._proto.dispatch.v1 import common_pb2, emergency_pb2, routing_pb2
from solvers.assignment import UnfilledReason
from solvers.routing.plan import SkipReason, ViolationType, VisitKind
from solvers.status import SolverFamily, Status

__all__ = [
    "SKIP_REASON",
    "SOLVER",
    "STATUS",
    "UNFILLED_REASON",
    "VIOLATION_TYPE",
    "VISIT_KIND",
    "VISIT_KIND_IN",
    "solver_family",
]


def _to_proto(members: type[enum.Enum], proto_enum: Any) -> dict[Any, int]:
    return {member: proto_enum.Value(member.value) for member in members}


SOLVER = _to_proto(SolverFamily, common_pb2.Solver)
STATUS = _to_proto(Status, common_pb2.SolveStatus)
VISIT_KIND = _to_proto(VisitKind, routing_pb2.Visit.Kind)
VIOLATION_TYPE = _to_proto(ViolationType, routing_pb2.Violation.Type)
SKIP_REASON = _to_proto(SkipReason, routing_pb2.SkippedStop.Reason)
UNFILLED_REASON = _to_proto(UnfilledReason, emergency_pb2.UnfilledSlot.Reason)
#: The kinds a caller may name in a planned route (START and END are implied).
VISIT_KIND_IN = {
    VISIT_KIND[kind]: kind for kind in (VisitKind.STOP, VisitKind.FACILITY, VisitKind.BREAK)
}
_SOLVER_IN = {value: family for family, value in SOLVER.items()}


def solver_family(value: int) -> SolverFamily:
    """The requested solver; unspecified (or unknown) means AUTO."""
    return _SOLVER_IN.get(value, SolverFamily.AUTO)
