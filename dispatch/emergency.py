"""AssignUnits: proto <-> solvers.assignment within the deadline (to be built: issue 3)."""

from __future__ import annotations

from dispatch._proto.dispatch.v1 import emergency_pb2
from solvers.budget import Deadline


def assign_units(
    request: emergency_pb2.AssignUnitsRequest, deadline: Deadline
) -> emergency_pb2.AssignUnitsResponse:
    """Solve a validated AssignUnits request before ``deadline`` (runs in the calling thread)."""
    raise NotImplementedError("AssignUnits is not implemented yet")
