"""Offsets in seconds -> absolute google.protobuf.Timestamps, from the request's horizon_start.

Every time in the contract is an offset from ``horizon_start``; answers carry the absolute time
beside each offset so that a caller (a crew's tablet, a dispatcher's screen) need not redo the
arithmetic, and cannot get it wrong across midnight or a DST change. The arithmetic is exact:
a timestamp minus horizon_start is the offset, to the second. A request without a
horizon_start has no absolute times: the fields stay unset.
"""

from __future__ import annotations

from google.protobuf import timestamp_pb2
from google.protobuf.message import Message

__all__ = ["at", "horizon_of"]


def horizon_of(request: Message) -> timestamp_pb2.Timestamp | None:
    """The request's ``horizon_start``, or None when it has none."""
    if request.HasField("horizon_start"):  # type: ignore[attr-defined]
        return request.horizon_start  # type: ignore[attr-defined]
    return None


def at(horizon: timestamp_pb2.Timestamp | None, offset: int) -> timestamp_pb2.Timestamp | None:
    """``horizon`` + ``offset`` seconds (None without a horizon), nanoseconds kept."""
    if horizon is None:
        return None
    seconds = horizon.seconds + int(offset)
    return timestamp_pb2.Timestamp(seconds=seconds, nanos=horizon.nanos)
