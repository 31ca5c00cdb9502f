"""Request bodies are parsed by our handlers, never by grpcio.

When a registered ``request_deserializer`` raises, grpcio 1.85 answers INTERNAL ("Exception
deserializing request!"), logs a traceback and keeps about 20 KB of memory per call for good
(DESIGN.md, facts measured 2026-12-02). DispatchService is therefore registered with
``request_deserializer=None`` (``dispatch.service.add_to_server``): grpcio hands over the raw
bytes and :class:`RawRequestHandler` parses them, so an undecodable body is an
``InvalidProblemError`` like any other bad request, answered INVALID_ARGUMENT by the one mapping
in ``dispatch.errors``. Responses are still serialised by grpcio as usual.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf.message import DecodeError, Message

from dispatch.errors import FieldProblem, InvalidProblemError

#: The field path of a problem with the request body as a whole (it is not any one field).
BODY_PATH = ""


def decode_request(request_type: type[Message], raw: bytes) -> Message:
    """``raw`` parsed as ``request_type``; InvalidProblemError (path ``""``) when it is not one.

    Only DecodeError means "not a message of this type"; anything else from the parser would be a
    bug and stays unexpected (INTERNAL, logged).
    """
    try:
        return request_type.FromString(raw)
    except DecodeError:
        # ``from None``: the parser's exception adds nothing for the caller and is not kept.
        raise InvalidProblemError(
            FieldProblem(
                BODY_PATH,
                f"The request body ({len(raw)} bytes) is not a valid "
                f"{request_type.DESCRIPTOR.full_name} message in the protobuf binary format.",
            )
        ) from None


@dataclass(frozen=True)
class RawRequestHandler:
    """A servicer method behind a handler that receives the request as raw bytes.

    Calling it parses the bytes (:func:`decode_request`) and calls ``behavior`` with the message.
    ``dispatch.interceptors`` calls :meth:`decode` and ``behavior`` separately, so the call's log
    line can carry the request's ids and a decoding failure is mapped like any other error.
    """

    request_type: type[Message]
    behavior: Callable[[Any, grpc.ServicerContext], Any]

    def decode(self, raw: bytes) -> Message:
        """The request message in ``raw`` (raises InvalidProblemError when there is none)."""
        return decode_request(self.request_type, raw)

    def __call__(self, raw: bytes, context: grpc.ServicerContext) -> Any:
        return self.behavior(self.decode(raw), context)
