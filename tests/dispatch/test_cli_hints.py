"""What ``dispatch`` says about a request file it cannot use: one clear sentence, the fields in
the snake_case of the examples, the command that would work, and the README's exit codes."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from test_cli import EXAMPLES, dispatch, example, write_json

from dispatch.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
NOWHERE = "127.0.0.1:9"  # nothing listens: a test that reached the network would fail


def test_empty_file_says_empty_and_shows_an_example(tmp_path):
    """An empty file is named as empty (not a JSON decode trace), exit 1."""
    path = tmp_path / "empty.json"
    path.write_text("\n")
    result = dispatch("validate", str(path))
    assert result.returncode == 1
    assert "empty.json is empty" in result.stderr
    assert "examples/sanitation.json" in result.stderr
    assert "Traceback" not in result.stderr


def test_empty_stdin_is_named():
    """Piping nothing into ``-`` says standard input is empty."""
    result = subprocess.run(
        [sys.executable, "-m", "dispatch.cli", "call", "PlanRoutes", "-", "--target", NOWHERE],
        input="",
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "standard input is empty" in result.stderr


def test_request_sent_to_the_wrong_method_names_the_right_one():
    """The sanitation file sent to AssignUnits: it is a PlanRoutes request, here is the call."""
    path = str(EXAMPLES / "sanitation.json")
    result = dispatch("call", "AssignUnits", path, "--target", NOWHERE)
    assert result.returncode == 1
    assert "is a PlanRoutes request, not an AssignUnits request" in result.stderr
    assert f"dispatch call PlanRoutes {path}" in result.stderr


def test_plan_routes_file_sent_to_create_plan_job_suggests_jobs_submit():
    """A bare PlanRoutes request for CreatePlanJob: use ``jobs submit`` (or wrap it)."""
    path = str(EXAMPLES / "sanitation.json")
    result = dispatch("call", "CreatePlanJob", path, "--target", NOWHERE)
    assert result.returncode == 1
    assert f"dispatch jobs submit {path}" in result.stderr


def test_offline_wrong_method_suggests_the_method_flag():
    """``solve --method AssignUnits`` on a routing file: use --method PlanRoutes (or none)."""
    result = dispatch("solve", str(EXAMPLES / "maintenance.json"), "--method", "AssignUnits")
    assert result.returncode == 1
    assert "--method PlanRoutes" in result.stderr


def test_misspelled_fields_are_listed_in_snake_case_with_a_guess(tmp_path):
    """Every unknown field, with its path and the closest real name, in snake_case."""
    document = example("emergency")
    document["incidentz"] = document.pop("incidents")
    document["units"][3]["capabilites"] = document["units"][3].pop("capabilities")
    document["unitToIncidnt"] = document.pop("unit_to_incident")
    result = dispatch("validate", write_json(tmp_path / "typo.json", document))
    assert result.returncode == 1
    err = result.stderr
    assert "incidentz: AssignUnitsRequest has no field 'incidentz'; did you mean incidents?" in err
    assert (
        "units[3].capabilites: Unit has no field 'capabilites'; did you mean capabilities?" in err
    )
    assert "did you mean unit_to_incident?" in err
    listed = next(line for line in err.splitlines() if line.startswith("hint: AssignUnitsRequest"))
    assert "unit_to_incident" in listed and "unitToIncident" not in listed


def test_unknown_enum_value_lists_the_names(tmp_path):
    """A misspelt enum value names the valid ones and the likely one."""
    document = example("emergency")
    document["units"][2]["status"] = "AVAILABL"
    result = dispatch("validate", write_json(tmp_path / "enum.json", document))
    assert result.returncode == 1
    assert "units[2].status: 'AVAILABL' is not a Status" in result.stderr
    assert "did you mean AVAILABLE?" in result.stderr


def test_broken_json_names_line_and_column(tmp_path):
    """A syntax error gives the line and column, not a traceback."""
    path = tmp_path / "broken.json"
    path.write_text('{\n  "label": "x",\n  "stops": [\n}\n')
    result = dispatch("validate", str(path))
    assert result.returncode == 1
    assert re.search(r"is not JSON: .* at line 4 column 1", result.stderr)


def test_job_request_to_solve_says_what_it_is(tmp_path):
    """``solve`` on a job reference says which request it is and where it belongs."""
    path = write_json(tmp_path / "job.json", {"job_id": "abc"})
    result = dispatch("solve", path)
    assert result.returncode == 1
    assert "GetPlanJob" in result.stderr and "dispatch call" in result.stderr


def test_unknown_method_is_a_usage_error(tmp_path):
    """A method that does not exist is a usage error (exit 2) listing the methods."""
    result = dispatch("call", "PlanRoute", str(EXAMPLES / "sanitation.json"))
    assert result.returncode == 2
    assert "PlanRoutes" in result.stderr


def test_readme_states_the_exit_codes_the_cli_prints():
    """The README's exit-status sentence and ``dispatch --help`` say the same thing."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Command line", 1)[1].split("\n## ", 1)[0]
    epilog = " ".join(build_parser().epilog.split())
    assert epilog in " ".join(section.split())
    for code, meaning in ((1, "rejected"), (2, "usage"), (3, "not answered"), (4, "FAILED")):
        assert re.search(rf"\b{code} [^;]*{meaning}", epilog), (code, epilog)


@pytest.mark.parametrize("name", ["emergency", "sanitation", "maintenance"])
def test_examples_still_parse_cleanly(name):
    """The hints never fire on the bundled examples (no false alarms)."""
    result = dispatch("validate", str(EXAMPLES / f"{name}.json"))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert json.loads((EXAMPLES / f"{name}.json").read_text())
