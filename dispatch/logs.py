"""The server's log: every record one JSON object on one line, whoever wrote it.

``configure`` puts :class:`JsonFormatter` on the root logger, so records of grpcio, OR-Tools
wrappers, the job service and the call wrapper all come out the same way; warnings and uncaught
exceptions (main thread and other threads) are routed through logging too, so no bare traceback
breaks a log shipper's parse. Each object has ``time`` (UTC, ISO 8601, milliseconds), ``level``,
``logger``, ``message``, ``thread``, every ``extra=`` field of the call, and for an exception
``exc_type`` and ``exception`` (the traceback as one string).

The call wrapper writes its record as a JSON object already (``dispatch.interceptors``); a message
that is one JSON object (logged as the format string itself, without arguments) is merged into the
line instead of being quoted inside ``message``, so a call line keeps its fields (method, code,
latency_ms, request_id) at the top level. Merged fields never override the record's own time,
level, logger and thread.

Only Python logging is covered: grpcio's C core writes its rare errors straight to stderr (see
GRPC_VERBOSITY), outside any formatter.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, TextIO

#: Attributes every LogRecord has; anything else on a record came from ``extra=``.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "taskName",
}


def _embedded(message: str) -> dict[str, Any] | None:
    """The message as a dict when it is exactly one JSON object, else None."""
    if not (message.startswith("{") and message.endswith("}")):
        return None
    try:
        value = json.loads(message)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line (newlines inside values are escaped)."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": message,
            "thread": record.threadName,
        }
        embedded = None if record.args else _embedded(message)
        if embedded is not None:
            # It may add fields, never change what the record itself says (time, level, ...).
            line["message"] = str(embedded.get("message", embedded.get("event", "")))
            line.update((k, v) for k, v in embedded.items() if k not in line)
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_") and key not in line:
                line[key] = value
        if record.exc_info and record.exc_info[0] is not None:
            line["exc_type"] = record.exc_info[0].__name__
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, default=str, ensure_ascii=False)


def _log_uncaught(
    kind: type[BaseException], value: BaseException, tb: TracebackType | None
) -> None:
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, value, tb)
        return
    logging.getLogger("dispatch.uncaught").critical(
        "uncaught exception", exc_info=(kind, value, tb)
    )


def _log_uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit:
        return
    logging.getLogger("dispatch.uncaught").error(
        "uncaught exception in thread %s",
        args.thread.name if args.thread is not None else "?",
        exc_info=(args.exc_type, args.exc_value, args.exc_traceback),  # type: ignore[arg-type]
    )


def configure(level: str = "INFO", stream: TextIO | None = None) -> logging.Handler:
    """Make every log record one JSON line on ``stream`` (default stderr) at ``level`` and up.

    Replaces the root logger's handlers, routes ``warnings`` and uncaught exceptions through
    logging, and returns the handler it installed.
    """
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    logging.basicConfig(level=level.upper(), handlers=[handler], force=True)
    logging.captureWarnings(True)
    sys.excepthook = _log_uncaught
    threading.excepthook = _log_uncaught_in_thread
    return handler
