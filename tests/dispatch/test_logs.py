"""The log: every record one JSON object on one line, in process and from ``dispatch serve``."""

from __future__ import annotations

import io
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from dispatch import client, logs
from dispatch._proto.dispatch.v1 import emergency_pb2

ROOT = Path(__file__).resolve().parents[2]


def _format(record: logging.LogRecord) -> dict:
    line = logs.JsonFormatter().format(record)
    assert "\n" not in line
    return json.loads(line)


def _record(message: str, *args: object, **extra: object) -> logging.LogRecord:
    logger = logging.getLogger("dispatch.test")
    record = logger.makeRecord(
        logger.name, logging.WARNING, __file__, 1, message, args, None, extra=extra
    )
    return record


def test_record_has_time_level_logger_message_and_extra_fields():
    """The standard fields and every extra= field are top-level keys."""
    line = _format(_record("job %s failed", "j-1", job_id="j-1", attempts=3))
    assert line["level"] == "WARNING"
    assert line["logger"] == "dispatch.test"
    assert line["message"] == "job j-1 failed"
    assert line["job_id"] == "j-1" and line["attempts"] == 3
    assert line["time"].endswith("+00:00") and "T" in line["time"]


def test_exception_is_a_traceback_field_on_the_same_line():
    """A logged exception keeps its traceback, escaped into one field of the one line."""
    try:
        raise RuntimeError("boom\nsecond line")
    except RuntimeError:
        record = logging.getLogger("x").makeRecord(
            "x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info()
        )
    line = _format(record)
    assert line["exc_type"] == "RuntimeError"
    assert line["exception"].startswith("Traceback") and "boom\nsecond line" in line["exception"]


def test_json_message_is_merged_not_quoted():
    """The call wrapper's JSON message becomes top-level fields (method, code) of the line."""
    message = json.dumps({"event": "rpc", "method": "AssignUnits", "code": "OK", "level": "INFO"})
    line = _format(_record(message))
    assert line["method"] == "AssignUnits" and line["code"] == "OK"
    assert line["logger"] == "dispatch.test" and line["message"] == "rpc"


def test_json_message_cannot_override_the_records_own_fields():
    """A JSON message adds fields but never changes level or logger; one built from arguments
    (possibly caller text) stays a plain message."""
    forged = json.dumps({"level": "CRITICAL", "logger": "dispatch.security", "x": 1})
    line = _format(_record(forged))
    assert line["level"] == "WARNING" and line["logger"] == "dispatch.test" and line["x"] == 1
    quoted = _format(_record("%s", forged))
    assert quoted["message"] == forged and "x" not in quoted


def test_values_that_are_not_json_are_written_as_text():
    """An extra field JSON cannot encode is written as its str(), never dropping the line."""
    line = _format(_record("path", where=Path("/var/x")))
    assert line["where"] == "/var/x"


@pytest.fixture
def configured() -> Iterator[io.StringIO]:
    """``logs.configure`` into a buffer; the logging setup and hooks are restored afterwards."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, sys.excepthook, threading.excepthook)
    stream = io.StringIO()
    logs.configure("INFO", stream)
    try:
        yield stream
    finally:
        logging.captureWarnings(False)
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        sys.excepthook, threading.excepthook = saved[2], saved[3]


def _lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_library_records_warnings_and_thread_crashes_are_json(configured):
    """Records of other libraries, warnings and an uncaught thread exception all come out as
    JSON lines."""
    logging.getLogger("grpc._server").error("library says %d", 7)
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.warn("old setting", DeprecationWarning, stacklevel=1)
    thread = threading.Thread(target=lambda: 1 / 0, name="crashing-thread")
    thread.start()
    thread.join()
    lines = _lines(configured)
    assert {"logger": "grpc._server", "message": "library says 7"}.items() <= lines[0].items()
    assert lines[1]["logger"] == "py.warnings" and "old setting" in lines[1]["message"]
    assert lines[2]["exc_type"] == "ZeroDivisionError"
    assert "crashing-thread" in lines[2]["message"]


def test_level_filters_records(configured):
    """Records below the configured level are not written."""
    logging.getLogger("dispatch.test").debug("hidden")
    logging.getLogger("dispatch.test").info("shown")
    assert [line["message"] for line in _lines(configured)] == ["shown"]


def test_serve_writes_only_json_lines(tmp_path, examples):
    """``dispatch serve``: startup, calls (good and rejected), shutdown: every stderr line is a
    JSON object, and call lines keep method and code at the top level."""
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "dispatch.cli", "serve"),
            *("--address", "127.0.0.1:0", "--store", str(tmp_path / "s.sqlite3")),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "DISPATCH_LOG_LEVEL": "INFO"},
    )
    try:
        target = process.stdout.readline().split("serving on ", 1)[1].split()[0]
        with client.channel(target) as chan:
            stub = client.stub(chan)
            stub.AssignUnits(examples["emergency"], timeout=60)
            with pytest.raises(grpc.RpcError):
                stub.AssignUnits(emergency_pb2.AssignUnitsRequest(), timeout=30)
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    lines = [json.loads(line) for line in err.splitlines()]
    assert all({"time", "level", "logger", "message"} <= line.keys() for line in lines)
    calls = [(line["method"], line["code"]) for line in lines if line.get("event") == "rpc"]
    assert calls == [("AssignUnits", "OK"), ("AssignUnits", "INVALID_ARGUMENT")]
    messages = [line["message"] for line in lines]
    assert "shutting down (grace 10.0 s)" in messages and "stopped" in messages
