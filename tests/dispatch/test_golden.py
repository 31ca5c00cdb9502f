"""Golden answers: the bundled examples, solved in deterministic mode, match committed answers.

Behaviour-neutral refactors must leave these files unchanged; a change that is meant to alter
plans regenerates them (``GOLDEN_UPDATE=1 python -m pytest tests/dispatch/test_golden.py``) and
the diff shows what moved. Wall time is the one field that differs between runs and is dropped.
Deterministic mode replaces wall-clock limits by work limits, so a loaded machine gives the same
answer, only later; the budget below is generous so the work limit, not the clock, ends the solve.

The sanitation example is pinned through the constructive engine (GREEDY): OR-Tools' guided
local search on it does not reach its solution limit within minutes (breaks make every move
dear), so its deterministic answer would depend on the clock. GREEDY still runs the whole path
that matters to a refactor: conversion, pre-check, disposal trips and breaks, checker, answer.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from google.protobuf import json_format

from dispatch.cli import solve_offline
from dispatch.examples import EXAMPLES, read_text

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
BUDGET_SECONDS = 120
#: Examples solved by one engine rather than AUTO (see the module docstring).
ENGINE = {"sanitation": "GREEDY"}


def _answer(name: str) -> dict:
    request = json_format.Parse(read_text(name), _request_type(name)())
    request.options.deterministic = True
    request.options.seed = 1
    request.options.time_budget.FromSeconds(BUDGET_SECONDS)
    if name in ENGINE:
        from dispatch._proto.dispatch.v1 import common_pb2

        request.options.solver = common_pb2.Solver.Value(ENGINE[name])
    answer = json_format.MessageToDict(solve_offline(EXAMPLES[name], request))
    answer.get("solveInfo", {}).pop("wallTime", None)
    return answer


def _request_type(name: str) -> type:
    from dispatch._proto.dispatch.v1 import emergency_pb2, routing_pb2

    if EXAMPLES[name] == "AssignUnits":
        return emergency_pb2.AssignUnitsRequest
    return routing_pb2.PlanRoutesRequest


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_bundled_example_matches_its_golden_answer(name: str) -> None:
    """The deterministic answer to each bundled example is byte-for-byte the committed one."""
    path = GOLDEN / f"{name}.json"
    answer = _answer(name)
    if os.environ.get("GOLDEN_UPDATE"):
        path.write_text(json.dumps(answer, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    expected = json.loads(path.read_text(encoding="utf-8"))
    assert answer == expected
