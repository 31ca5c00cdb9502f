"""The ``dispatch`` command, run as a real subprocess (exit codes are part of its contract)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from dispatch.cli import detect_method

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def dispatch(*args: str, timeout: float = 60, env: dict[str, str] | None = None):
    """Run ``python -m dispatch.cli ARGS``; returns the CompletedProcess."""
    return subprocess.run(
        [sys.executable, "-m", "dispatch.cli", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def write_json(path: Path, document: dict) -> str:
    path.write_text(json.dumps(document))
    return str(path)


def example(name: str) -> dict:
    return json.loads((EXAMPLES / f"{name}.json").read_text())


def test_validate_valid_example_exits_zero():
    """A valid request: exit 0 and says which request type it detected."""
    result = dispatch("validate", str(EXAMPLES / "sanitation.json"))
    assert result.returncode == 0, result.stderr
    assert "PlanRoutes" in result.stdout


def test_validate_invalid_request_lists_paths_and_exits_one(tmp_path):
    """Every problem is printed with its field path; exit 1."""
    document = example("emergency")
    document["units"][3]["status"] = "STATUS_UNSPECIFIED"
    document["incidents"][0]["priority"] = 0
    result = dispatch("validate", write_json(tmp_path / "bad.json", document))
    assert result.returncode == 1
    assert "units[3].status" in result.stderr
    assert "incidents[0].priority" in result.stderr


def test_validate_unparseable_file_exits_one(tmp_path):
    """A field that is not in the contract is a parse error, reported without a traceback."""
    path = write_json(tmp_path / "typo.json", {"units": [], "incidentz": []})
    result = dispatch("validate", path, "--method", "AssignUnits")
    assert result.returncode == 1
    assert "incidentz" in result.stderr
    assert "Traceback" not in result.stderr


def test_validate_reads_stdin():
    """'-' reads the request from standard input."""
    result = subprocess.run(
        [sys.executable, "-m", "dispatch.cli", "validate", "-"],
        input=(EXAMPLES / "maintenance.json").read_text(),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("name", ["emergency", "sanitation", "maintenance"])
def test_solve_example_offline(tmp_path, name):
    """Offline solve prints a verified answer echoing the request (1 s budget to keep it short)."""
    document = example(name)
    document["options"]["time_budget"] = "1s"
    result = dispatch("solve", write_json(tmp_path / f"{name}.json", document), timeout=120)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["request_id"] == document["request_id"]
    assert answer["solve_info"]["status"] in {"OPTIMAL", "FEASIBLE"}
    assert answer["solve_info"]["verified"] is True
    if name == "emergency":
        assert len(answer["incidents"]) == len(document["incidents"])
    else:
        assert answer["routes"]


def test_solve_validate_only_is_not_solved(tmp_path):
    """VALIDATE_ONLY works offline too: NOT_SOLVED, no routes (printed as an empty list)."""
    document = example("maintenance")
    document["options"]["solving_mode"] = "VALIDATE_ONLY"
    result = dispatch("solve", write_json(tmp_path / "v.json", document))
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["solve_info"]["status"] == "NOT_SOLVED"
    assert answer["routes"] == []


def test_call_prints_answer(server, tmp_path):
    """``call`` sends the file to a running server and prints the answer JSON."""
    document = example("emergency")
    document["options"]["solving_mode"] = "VALIDATE_ONLY"
    path = write_json(tmp_path / "v.json", document)
    result = dispatch("call", "AssignUnits", path, "--target", server.target)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["solve_info"]["status"] == "NOT_SOLVED"


def test_call_reports_status_and_violations(server, tmp_path):
    """A rejected call prints code, message and field paths, and exits non-zero."""
    document = example("sanitation")
    document["stops"][2]["time_windows"] = [{"start": "500", "end": "100"}]
    path = write_json(tmp_path / "bad.json", document)
    result = dispatch("call", "planroutes", path, "--target", server.target)
    assert result.returncode == 1
    assert "INVALID_ARGUMENT" in result.stderr
    assert "stops[2].time_windows[0]" in result.stderr


def test_health_serving(server):
    """``health`` exits 0 when the server is SERVING (the Docker HEALTHCHECK)."""
    result = dispatch("health", "--target", server.target)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "SERVING"


def test_health_unreachable_exits_nonzero(fresh_server):
    """No server listening: non-zero, so Docker marks the container unhealthy."""
    target = fresh_server.target
    fresh_server.shutdown(grace=0)
    result = dispatch("health", "--target", target, "--timeout", "1")
    assert result.returncode == 1


def test_serve_examples_then_exit(tmp_path):
    """``serve --exit-after-examples`` binds a free port, answers each example, stops cleanly."""
    result = dispatch(
        "serve",
        "--address",
        "127.0.0.1:0",
        "--exit-after-examples",
        env={"DISPATCH_STORE": str(tmp_path / "s.sqlite3")},
        timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("example ")]
    assert [line.split()[1] for line in lines] == ["emergency", "sanitation", "maintenance"]
    assert all(" OPTIMAL by " in line or " FEASIBLE by " in line for line in lines), lines
    records = [json.loads(line) for line in result.stderr.splitlines()]  # every line is JSON
    calls = [record for record in records if record.get("event") == "rpc"]
    assert [(c["method"], c["code"]) for c in calls] == [
        ("AssignUnits", "OK"),
        ("PlanRoutes", "OK"),
        ("PlanRoutes", "OK"),
    ]


def test_serve_stops_gracefully_on_sigterm(tmp_path):
    """SIGTERM shuts the server down in order and exits 0 (container stop)."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dispatch.cli",
            "serve",
            "--address",
            "127.0.0.1:0",
            "--store",
            str(tmp_path / "s.sqlite3"),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first = process.stdout.readline()
        assert "serving on 127.0.0.1:" in first
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert "shutting down" in err and "stopped" in err


def test_unknown_environment_value_is_usage_error(tmp_path):
    """A bad DISPATCH_WORKERS fails fast with a message instead of a traceback."""
    result = dispatch("serve", env={"DISPATCH_WORKERS": "many"})
    assert result.returncode == 2
    assert "DISPATCH_WORKERS" in result.stderr


@pytest.mark.parametrize(
    ("keys", "method"),
    [
        ({"units": [], "incidents": []}, "AssignUnits"),
        ({"location_ids": [], "stops": []}, "PlanRoutes"),
        ({"problem": {}, "routes": []}, "EvaluatePlan"),
    ],
)
def test_detect_method_from_keys(keys, method):
    """``solve`` and ``validate`` work without --method for the three solving requests."""
    assert detect_method(json.dumps(keys)) == method


def test_detect_method_refuses_to_guess():
    """A document with none of the telltale keys needs --method."""
    with pytest.raises(ValueError):
        detect_method('{"label": "x"}')


def test_solve_evaluate_plan_offline(tmp_path):
    """A caller plan is evaluated offline: violations typed, missing mandatory work reported."""
    problem = example("maintenance")
    plumbing = [s["id"] for s in problem["stops"] if "plumbing" in s.get("required_skills", [])]
    document = {
        "label": "manual plan",
        "problem": problem,
        "routes": [
            {"vehicle_id": "crew-water-1", "visits": [{"kind": "STOP", "id": i} for i in plumbing]}
        ],
    }
    result = dispatch("solve", write_json(tmp_path / "eval.json", document), timeout=120)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["label"] == "manual plan"
    assert not answer.get("feasible", False)
    types = {v["type"] for v in answer["violations"]}
    assert "MISSING_MANDATORY_STOP" in types
    assert answer["kpis"]["stops_served"] == len(plumbing)


def test_serve_on_busy_port_fails_cleanly(server):
    """Binding a port already in use is an error message and exit 3, not a traceback."""
    result = dispatch("serve", "--address", server.target, timeout=60)
    assert result.returncode == 3
    assert "cannot start" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_bad_log_level_is_usage_error():
    """An unknown log level is a usage error (exit 2)."""
    result = dispatch("serve", "--address", "127.0.0.1:0", "--log-level", "LOUD")
    assert result.returncode == 2
    assert "log level" in result.stderr
