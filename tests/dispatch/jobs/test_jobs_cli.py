"""`dispatch jobs ...` (through the real `dispatch` entry point) against a real server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from job_helpers import Served, plan_request, wait_for

from dispatch import client
from dispatch._proto.dispatch.v1 import common_pb2, jobs_pb2
from dispatch.cli import main
from dispatch.jobs_cli import progress_line

Job = jobs_pb2.PlanJob


def _request_file(tmp_path: Path, request_id: str, budget: float = 0.3) -> str:
    path = tmp_path / f"{request_id}.json"
    path.write_text(client.to_json(plan_request(request_id, budget=budget)))
    return str(path)


def _run(capsys: pytest.CaptureFixture[str], served: Served, *argv: str) -> tuple[int, str, str]:
    command, *rest = argv
    code = main(["jobs", command, "--target", served.target, *rest])
    out, err = capsys.readouterr()
    return code, out, err


def test_submit_twice_prints_the_same_job(
    served: Served, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Re-running a scheduler's submit command must not queue the night's plan twice."""
    path = _request_file(tmp_path, "night-7")
    code1, out1, _ = _run(capsys, served, "submit", path)
    code2, out2, _ = _run(capsys, served, "submit", path)
    assert code1 == code2 == 0
    assert json.loads(out1)["job_id"] == json.loads(out2)["job_id"]


def test_watch_prints_plain_progress_lines_until_success(
    served: Served, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Not a terminal: one line per event, last line SUCCEEDED, exit status 0."""
    _, out, _ = _run(capsys, served, "submit", _request_file(tmp_path, "w", budget=0.6))
    job_id = json.loads(out)["job_id"]
    code, out, _ = _run(capsys, served, "watch", job_id)
    lines = out.strip().splitlines()
    assert code == 0
    assert "\r" not in out
    assert len(lines) >= 3
    assert "SUCCEEDED" in lines[-1] and "best " in lines[-1] and "vehicles " in lines[-1]


def test_watch_json_prints_one_event_per_line(
    served: Served, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Scripts can follow a job as JSON lines."""
    _, out, _ = _run(capsys, served, "submit", _request_file(tmp_path, "j", budget=0.3))
    code, out, _ = _run(capsys, served, "watch", json.loads(out)["job_id"], "--json")
    events = [json.loads(line) for line in out.strip().splitlines()]
    assert code == 0
    assert events[0]["kind"] == "STATE_CHANGED"
    assert events[-1]["job"]["state"] == "SUCCEEDED"


def test_cancel_and_list_by_state(
    served: Served, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An operator cancels a runaway job and finds it among the cancelled ones."""
    _, out, _ = _run(capsys, served, "submit", _request_file(tmp_path, "long", budget=60))
    job_id = json.loads(out)["job_id"]
    wait_for(lambda: served.jobs.get(job_id).state == Job.RUNNING)
    code, out, _ = _run(capsys, served, "cancel", job_id)
    assert code == 0 and json.loads(out)["state"] == "CANCELLED"
    code, out, _ = _run(capsys, served, "list", "--state", "CANCELLED", "--label", "night")
    assert [j["job_id"] for j in json.loads(out)["jobs"]] == [job_id]
    code, out, _ = _run(capsys, served, "list", "--state", "SUCCEEDED")
    assert json.loads(out).get("jobs", []) == []


def test_watch_of_failed_job_exits_nonzero(
    served: Served, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A scheduler's `submit --watch && publish` must not publish a failed night."""
    path = tmp_path / "crash.json"
    path.write_text(client.to_json(plan_request("crash", label="crash")))
    code, out, err = _run(capsys, served, "submit", str(path), "--watch")
    assert code == 4
    assert "FAILED" in out.strip().splitlines()[-1]
    assert "status 3" in err


def test_unknown_job_prints_error_and_exits_3(
    served: Served, capsys: pytest.CaptureFixture[str]
) -> None:
    """Call failures name the status code on stderr; exit codes follow `dispatch call`."""
    code, out, err = _run(capsys, served, "get", "missing")
    assert code == 3 and out == ""
    assert "NOT_FOUND" in err


def test_progress_line_shows_elapsed_objective_vehicles() -> None:
    """The live line carries what the dispatcher watches: time, best cost, trucks."""
    job = Job(job_id="abc", state=Job.RUNNING, attempts=2)
    job.start_time.FromSeconds(100)
    job.progress.solutions_found = 4
    job.progress.plans_checked = 2
    job.progress.best_objective = 1234.5
    job.progress.vehicles_used = 3
    line = progress_line(job, now_ns=112_500_000_000)
    assert "RUNNING" in line and "12.5s" in line
    assert "best 1234.50" in line and "vehicles 3" in line and "attempt 2" in line


def test_progress_line_shows_no_best_before_a_checked_plan() -> None:
    """Solutions the search found but the checker has not seen yet give no "best 0.00"."""
    job = Job(job_id="abc", state=Job.RUNNING)
    job.progress.solutions_found = 3
    assert "best" not in progress_line(job, now_ns=0)


def test_progress_line_says_a_plan_was_stopped_early() -> None:
    """A job ended by its deadline or a cancel with a plan in hand says so on its line."""
    job = Job(job_id="abc", state=Job.CANCELLED)
    job.progress.plans_checked = 1
    job.progress.stopped_early = True
    assert "stopped early" in progress_line(job, now_ns=0)


def test_progress_line_shows_parts_of_a_decomposed_job() -> None:
    """A job solved in parts says how many are done and which finished last; a job solved
    whole (parts_total 0) says nothing about parts."""
    job = Job(job_id="abc", state=Job.RUNNING)
    job.progress.parts_done = 2
    job.progress.parts_total = 5
    job.progress.finished_parts.extend(["depot0-c2", "depot1-c0"])
    assert "parts 2/5 (last: depot1-c0)" in progress_line(job, now_ns=0)
    whole = Job(job_id="abc", state=Job.RUNNING)
    assert "parts" not in progress_line(whole, now_ns=0)


def test_watch_on_a_terminal_redraws_one_line(
    served: Served, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """On a TTY the progress is one line rewritten in place, ending on the final state."""
    _, out, _ = _run(capsys, served, "submit", _request_file(tmp_path, "tty", budget=1.0))
    job_id = json.loads(out)["job_id"]
    master, slave = os.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "dispatch.cli", "jobs", "watch", job_id, "--target", served.target],
        stdout=slave,
        stderr=subprocess.DEVNULL,
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    assert proc.wait(30) == 0
    text = b"".join(chunks).decode()
    redraws = text.split("\r\x1b[2K")
    assert len(redraws) >= 3
    assert text.count("\n") <= 2  # one line, not a scroll of lines
    assert "SUCCEEDED" in redraws[-1]


def test_submit_validate_only_creates_nothing(
    served: Served, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A dry run of the night's request checks it without queuing a solve, even with --watch."""
    request = plan_request("dry")
    request.options.solving_mode = common_pb2.VALIDATE_ONLY
    path = tmp_path / "dry.json"
    path.write_text(client.to_json(request))
    code, out, _ = _run(capsys, served, "submit", str(path), "--watch")
    assert code == 0
    assert "job_id" not in json.loads(out)
    assert served.jobs.list().jobs == []
