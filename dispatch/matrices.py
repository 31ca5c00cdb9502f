"""Decode dispatch.v1.TravelMatrix into numpy arrays (the one place that knows both encodings)."""

from __future__ import annotations

import numpy as np

from dispatch._proto.dispatch.v1 import common_pb2


def _decode(values, raw: bytes, rows: int, cols: int) -> np.ndarray | None:
    if raw:
        array = np.frombuffer(raw, dtype="<i4")
    elif len(values):
        array = np.asarray(values, dtype=np.int32)
    else:
        return None
    return array.reshape(rows, cols).astype(np.int64)


def entry_count(values, raw: bytes) -> int:
    """Number of entries in one encoded quantity (bytes length must be checked by the caller)."""
    return len(raw) // 4 if raw else len(values)


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
    """Build a TravelMatrix in the fast bytes encoding (used by clients, examples, benchmarks)."""
    matrix = common_pb2.TravelMatrix(
        durations_bytes=np.ascontiguousarray(durations_s, dtype="<i4").tobytes()
    )
    if distances_m is not None:
        matrix.distances_bytes = np.ascontiguousarray(distances_m, dtype="<i4").tobytes()
    return matrix
