"""Proto enum values <-> the solvers' enums.

The solvers' enums mirror the proto ones by name, so every table is built from the names: a
value added to both sides needs no edit here. The emergency-only table lives in
``dispatch.wire.emergency``: importing ``solvers.assignment`` here would load CP-SAT into every
routing worker.
"""

from __future__ import annotations

import enum
from typing import Any

from dispatch._proto.dispatch.v1 import common_pb2, routing_pb2
from solvers.routing.plan import SkipReason, ViolationType, VisitKind
from solvers.status import SolverFamily, Status

__all__ = [
    "SKIP_REASON",
    "SOLVER",
    "STATUS",
    "VIOLATION_TYPE",
    "VISIT_KIND",
    "VISIT_KIND_IN",
    "solver_family",
    "to_proto",
]


def to_proto(members: type[enum.Enum], proto_enum: Any) -> dict[Any, int]:
    """Solver enum member -> proto enum value, matched by name."""
    return {member: proto_enum.Value(member.value) for member in members}


SOLVER = to_proto(SolverFamily, common_pb2.Solver)
STATUS = to_proto(Status, common_pb2.SolveStatus)
VISIT_KIND = to_proto(VisitKind, routing_pb2.Visit.Kind)
VIOLATION_TYPE = to_proto(ViolationType, routing_pb2.Violation.Type)
SKIP_REASON = to_proto(SkipReason, routing_pb2.SkippedStop.Reason)
#: The kinds a caller may name in a planned route (START and END are implied).
VISIT_KIND_IN = {
    VISIT_KIND[kind]: kind for kind in (VisitKind.STOP, VisitKind.FACILITY, VisitKind.BREAK)
}
_SOLVER_IN = {value: family for family, value in SOLVER.items()}


def solver_family(value: int) -> SolverFamily:
    """The requested solver; unspecified (or unknown) means AUTO."""
    return _SOLVER_IN.get(value, SolverFamily.AUTO)
