"""google.protobuf.Duration <-> float seconds."""

from __future__ import annotations

from google.protobuf import duration_pb2

__all__ = ["duration", "seconds"]


def duration(value: float) -> duration_pb2.Duration:
    """``value`` seconds as a Duration, truncated to whole nanoseconds; negatives become 0."""
    out = duration_pb2.Duration()
    out.FromNanoseconds(int(max(0.0, value) * 1e9))
    return out


def seconds(value: duration_pb2.Duration) -> float:
    """A Duration as float seconds; reads malformed ones too (validation reports those)."""
    return value.seconds + value.nanos / 1e9
