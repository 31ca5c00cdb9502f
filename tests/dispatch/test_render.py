"""``dispatch render``: one self-contained HTML file per plan (the page, not yet a browser).

Answers come from ``tests/golden`` (real answers to the bundled examples, no solving) or are
solved for real where the test is about solving. The browser test is test_render_browser.py.
"""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import pytest
from google.protobuf import json_format
from test_cli import EXAMPLES, dispatch, example, write_json

from dispatch._proto.dispatch.v1 import emergency_pb2, jobs_pb2, routing_pb2
from dispatch.examples import EXAMPLES as EXAMPLE_METHODS
from dispatch.geojson import clock_of
from dispatch.render import segments
from dispatch.request_files import parse_as

pytest.importorskip("plotly", reason="dispatch render needs the render extra")

from dispatch.render.command import build_page

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
ANSWERS = {
    "AssignUnits": emergency_pb2.AssignUnitsResponse,
    "PlanRoutes": routing_pb2.PlanRoutesResponse,
}
PLOTLY_BANNER = re.compile(r"\* plotly\.js v\d")


def request_of(name: str):
    """The bundled example request as a message."""
    text = (EXAMPLES / f"{name}.json").read_text()
    return parse_as(EXAMPLE_METHODS[name], text, name)


def golden_answer(name: str):
    """The committed answer to the bundled example (camelCase JSON, extra keys tolerated)."""
    message = ANSWERS[EXAMPLE_METHODS[name]]()
    text = (GOLDEN / f"{name}.json").read_text()
    return json_format.Parse(text, message, ignore_unknown_fields=True)


def page_of(name: str) -> str:
    request = request_of(name)
    return build_page(request, golden_answer(name), clock_of(request))


@pytest.mark.parametrize("name", ["emergency", "sanitation", "maintenance"])
def test_page_needs_nothing_from_the_network(name):
    """No external script, stylesheet or image: plotly.js is inlined exactly once."""
    html = page_of(name)
    assert not re.search(r"<script[^>]+src=", html)
    assert not re.search(r"<link[^>]+href=", html)
    assert not re.search(r"<img[^>]+src=\"?https?:", html)
    assert len(PLOTLY_BANNER.findall(html)) == 1
    assert html.startswith("<!DOCTYPE html>")


@pytest.mark.parametrize("name", ["sanitation", "maintenance"])
def test_routing_page_has_map_timeline_and_every_vehicle(name):
    """Sections map, gantt, kpis, routes, skipped; every routed vehicle appears."""
    html = page_of(name)
    for section in ("kpis", "map", "gantt", "routes", "skipped"):
        assert f'id="{section}"' in html, section
    assert 'id="map-plot"' in html and 'id="gantt-plot"' in html
    for route in golden_answer(name).routes:
        assert route.vehicle_id in html


def test_emergency_page_has_map_eta_table_and_unfilled_slots():
    """Incidents, units and assignment lines on the map; ETAs by priority; unfilled slots."""
    html = page_of("emergency")
    for section in ("kpis", "map", "eta", "unfilled"):
        assert f'id="{section}"' in html, section
    assert "assignment, in time" in html
    for incident in golden_answer("emergency").incidents:
        assert incident.incident_id in html


def test_caller_text_is_escaped():
    """A label with markup is shown as text: it can never run as a script."""
    request = request_of("sanitation")
    answer = golden_answer("sanitation")
    answer.label = "<script>alert('x')</script>"
    html = build_page(request, answer, clock_of(request))
    assert "<script>alert(" not in html
    assert "&lt;script&gt;alert(" in html


@pytest.mark.parametrize("name", ["sanitation", "maintenance"])
def test_timeline_pieces_tile_each_route(name):
    """Driving + service + unloading + breaks + waiting add up to each route's duration."""
    for route in golden_answer(name).routes:
        pieces = segments.route_segments(route)
        total = sum(p.end - p.start for p in pieces)
        assert total == route.totals.duration, route.vehicle_id
        driving = sum(p.end - p.start for p in pieces if p.activity == "driving")
        assert driving == route.totals.travel_seconds, route.vehicle_id
        breaks = sum(p.end - p.start for p in pieces if p.activity == "break")
        assert breaks == route.totals.break_seconds, route.vehicle_id
        assert all(a.end <= b.start for a, b in itertools.pairwise(pieces))


def test_render_solves_when_no_answer_is_given(tmp_path):
    """``dispatch render REQUEST -o OUT`` solves the request offline, then writes the page."""
    out = tmp_path / "emergency.html"
    document = example("emergency")
    result = dispatch("render", write_json(tmp_path / "e.json", document), "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert f"wrote {out}" in result.stdout
    assert 'data-kind="emergency"' in out.read_text()


def test_render_before_after_evaluates_the_dispatchers_routes(tmp_path):
    """Routes alone (the bundled dispatcher plan) are evaluated against REQUEST, side by side."""
    out = tmp_path / "compare.html"
    result = dispatch(
        "render",
        str(EXAMPLES / "sanitation.json"),
        str(GOLDEN / "sanitation.json"),
        "--before",
        str(EXAMPLES / "sanitation_dispatcher_plan.json"),
        "-o",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    html = out.read_text()
    assert 'data-kind="comparison"' in html
    for part in ("compare", "before-map", "after-map", "before-gantt", "after-gantt"):
        assert f'id="{part}"' in html, part
    for kpi in ("vehicles used", "idle share of route time", "total cost", "rule violations"):
        assert f"<td>{kpi}</td>" in html, kpi
    plan = json.loads((EXAMPLES / "sanitation_dispatcher_plan.json").read_text())
    assert {r["vehicle_id"] for r in plan["routes"]} <= set(re.findall(r"truck-\d+", html))


def test_render_refuses_an_answer_of_another_request(tmp_path):
    """An emergency request with a routing answer: exit 1, saying which message was expected."""
    result = dispatch(
        "render",
        str(EXAMPLES / "emergency.json"),
        str(GOLDEN / "sanitation.json"),
        "-o",
        str(tmp_path / "x.html"),
    )
    assert result.returncode == 1
    assert "is not a AssignUnitsResponse" in result.stderr
    assert not (tmp_path / "x.html").exists()


def test_render_without_coordinates_still_draws_the_timeline(tmp_path):
    """No coordinates: the page says there is no map and still has the crew timeline."""
    document = example("sanitation")
    del document["location_coordinates"]
    out = tmp_path / "plain.html"
    request = write_json(tmp_path / "s.json", document)
    result = dispatch("render", request, str(GOLDEN / "sanitation.json"), "-o", str(out))
    assert result.returncode == 0, result.stderr
    html = out.read_text()
    assert "No map: the request has no location_coordinates." in html
    assert 'id="gantt-plot"' in html and 'id="map-plot"' not in html


def test_render_reads_a_plan_job(tmp_path):
    """The JSON of ``dispatch jobs get`` (a PlanJob) is drawn from its result."""
    job = jobs_pb2.PlanJob(job_id="j1", state=jobs_pb2.PlanJob.SUCCEEDED)
    job.result.CopyFrom(golden_answer("sanitation"))
    path = tmp_path / "job.json"
    path.write_text(json_format.MessageToJson(job))
    out = tmp_path / "job.html"
    result = dispatch("render", str(EXAMPLES / "sanitation.json"), str(path), "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert 'id="map-plot"' in out.read_text()


def test_tile_url_puts_the_routes_on_tiles():
    """With a tile URL the route map is a MapLibre map over those tiles (no default tiles)."""
    request = request_of("sanitation")
    url = "https://tiles.example.org/{z}/{x}/{y}.png"
    html = build_page(request, golden_answer("sanitation"), clock_of(request), tile_url=url)
    assert url.replace("/", "\\u002f") in html  # plotly escapes "/" inside its JSON
    assert '"type":"scattermap"' in html


def test_render_an_evaluate_plan_request_draws_the_callers_plan(tmp_path):
    """An EvaluatePlan request alone is evaluated and drawn with its rule violations listed."""
    document = json.loads((EXAMPLES / "sanitation_dispatcher_plan.json").read_text())
    document["problem"] = example("sanitation")
    out = tmp_path / "manual.html"
    result = dispatch("render", write_json(tmp_path / "manual.json", document), "-o", str(out))
    assert result.returncode == 0, result.stderr
    html = out.read_text()
    assert 'data-kind="evaluation"' in html
    assert 'id="violations"' in html and 'id="map-plot"' in html and 'id="gantt-plot"' in html
    for route in document["routes"]:
        assert route["vehicle_id"] in html
