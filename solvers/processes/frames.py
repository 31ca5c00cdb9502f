"""Length-prefixed pickle frames: the one wire format between a parent and its children.

A frame is a 4-byte little-endian length, then a pickle. A child streams as many frames as it
likes (improving plans as it finds them), so a parent that stops waiting still holds the last
complete frame; a half-written frame at a kill is simply not read.
"""

from __future__ import annotations

import pickle
import struct
from typing import IO, Any

_LENGTH = struct.Struct("<I")


def encode(obj: Any) -> bytes:
    """One object as a whole frame (pickled here, so a bad object fails in the sender)."""
    payload = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    return _LENGTH.pack(len(payload)) + payload


def write_frame(stream: IO[bytes], obj: Any) -> None:
    """Send one object as a frame and flush it (the reader may be waiting on it)."""
    write_encoded(stream, encode(obj))


def write_encoded(stream: IO[bytes], frame: bytes) -> None:
    """Send a frame made by :func:`encode` and flush it."""
    stream.write(frame)
    stream.flush()


def read_frame(stream: IO[bytes]) -> Any:
    """The next frame's object; EOFError when the stream ends (cleanly or mid-frame)."""
    header = _read_exactly(stream, _LENGTH.size)
    (length,) = _LENGTH.unpack(header)
    return pickle.loads(_read_exactly(stream, length))


def _read_exactly(stream: IO[bytes], n: int) -> bytes:
    chunks, missing = [], n
    while missing:
        chunk = stream.read(missing)
        if not chunk:
            raise EOFError("stream ended")
        chunks.append(chunk)
        missing -= len(chunk)
    return b"".join(chunks)
