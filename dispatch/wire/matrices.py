"""dispatch.v1.TravelMatrix <-> numpy arrays: the one place that knows both encodings."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dispatch._proto.dispatch.v1 import common_pb2

__all__ = ["distances", "durations", "encode", "flat"]


def flat(values: Sequence[int], raw: bytes) -> np.ndarray:
    """The entries of one quantity in row-major order, from whichever encoding is set.

    Sizes are not checked here: validation calls this only after checking them.
    """
    if raw:
        return np.frombuffer(raw, dtype="<i4")
    return np.fromiter(values, dtype=np.int64, count=len(values))


def _decode(values: Sequence[int], raw: bytes, rows: int, cols: int) -> np.ndarray | None:
    if not raw and not len(values):
        return None
    return flat(values, raw).reshape(rows, cols).astype(np.int64)


def durations(matrix: common_pb2.TravelMatrix, rows: int, cols: int) -> np.ndarray:
    """Travel times as an int64 array of shape (rows, cols); the matrix must be validated first."""
    decoded = _decode(matrix.durations, matrix.durations_bytes, rows, cols)
    if decoded is None:
        return np.zeros((rows, cols), dtype=np.int64)
    return decoded


def distances(matrix: common_pb2.TravelMatrix, rows: int, cols: int) -> np.ndarray | None:
    """Travel distances in metres, or None when the matrix carries none."""
    return _decode(matrix.distances, matrix.distances_bytes, rows, cols)


def encode(
    durations_s: np.ndarray, distances_m: np.ndarray | None = None
) -> common_pb2.TravelMatrix:
    """A TravelMatrix in the fast bytes encoding (for clients, examples and benchmarks)."""
    matrix = common_pb2.TravelMatrix(
        durations_bytes=np.ascontiguousarray(durations_s, dtype="<i4").tobytes()
    )
    if distances_m is not None:
        matrix.distances_bytes = np.ascontiguousarray(distances_m, dtype="<i4").tobytes()
    return matrix
