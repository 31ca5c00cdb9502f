"""Rendered plans opened as a person would: headless Chromium (Debian's package), offline.

Each page is written by ``dispatch render`` from a bundled example and its committed answer,
loaded from disk with the network shut (see ``dispatch.render.browser``), and checked in the
DOM the browser built after its scripts ran: the map is drawn with one line per route, the
timeline with one row per vehicle, and a screenshot is not blank. A page that needed anything
from the network would draw nothing here. ``.ci/run`` installs Chromium and sets
DISPATCH_REQUIRE_BROWSER, so CI fails rather than skips when the browser is missing.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from test_cli import EXAMPLES, dispatch

pytest.importorskip("plotly", reason="dispatch render needs the render extra")

from dispatch.render.browser import dump_dom, find_browser, screenshot

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
PAGES = {
    "sanitation": ("sanitation.json", "sanitation.json", None),
    "maintenance": ("maintenance.json", "maintenance.json", None),
    "emergency": ("emergency.json", "emergency.json", None),
    "compare": ("sanitation.json", "sanitation.json", "sanitation_dispatcher_plan.json"),
}

if find_browser() is None:
    if os.environ.get("DISPATCH_REQUIRE_BROWSER"):
        raise RuntimeError("DISPATCH_REQUIRE_BROWSER is set but no Chromium is installed")
    pytest.skip("no Chromium (apt-get install chromium)", allow_module_level=True)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each page written by the real ``dispatch render`` command."""
    folder = tmp_path_factory.mktemp("pages")
    out = {}
    for name, (request, answer, before) in PAGES.items():
        path = folder / f"{name}.html"
        args = ["render", str(EXAMPLES / request), str(GOLDEN / answer), "-o", str(path)]
        if before:
            args += ["--before", str(EXAMPLES / before)]
        result = dispatch(*args, timeout=120)
        assert result.returncode == 0, result.stderr
        out[name] = path
    return out


@pytest.fixture(scope="module")
def doms(pages: dict[str, Path]) -> dict[str, str]:
    """The DOM Chromium built for each page, once its scripts ran."""
    return {name: dump_dom(path) for name, path in pages.items()}


def _plot(dom: str, div_id: str) -> str:
    """The DOM of one plot (from its div to the next section)."""
    start = dom.index(f'id="{div_id}"')
    end = dom.find("<section", start)
    return dom[start : end if end > 0 else len(dom)]


def _legend(plot: str) -> list[str]:
    return re.findall(r'<text class="legendtext"[^>]*>([^<]*)</text>', plot)


def _y_labels(plot: str) -> list[str]:
    return re.findall(r'<g class="ytick"[^>]*><text[^>]*>([^<]*)</text>', plot)


def _vehicles(name: str) -> list[str]:
    answer = json.loads((GOLDEN / f"{name}.json").read_text())
    return [route["vehicleId"] for route in answer["routes"]]


@pytest.mark.parametrize(("name", "plots"), [("sanitation", 2), ("emergency", 1), ("compare", 4)])
def test_page_renders_offline(doms, name, plots):
    """Every plot of the page is drawn with the network off (plotly.js came with the page)."""
    body = re.search(r"<body[^>]*>", doms[name]).group(0)
    assert f'data-plots="{plots}"' in body and 'data-rendered="yes"' in body
    assert doms[name].count('class="main-svg"') >= plots


@pytest.mark.parametrize("name", ["sanitation", "maintenance"])
def test_route_map_draws_every_route(doms, name):
    """One drawn line (legend entry and scatter trace) per routed vehicle."""
    plot = _plot(doms[name], "map-plot")
    vehicles = _vehicles(name)
    legend = _legend(plot)
    for vehicle in vehicles:
        assert any(entry.startswith(f"{vehicle} (") for entry in legend), (vehicle, legend)
    assert len(re.findall(r'class="trace scatter', plot)) >= len(vehicles)
    assert len(re.findall(r'<path class="js-line"', plot)) >= len(vehicles)


@pytest.mark.parametrize("name", ["sanitation", "maintenance"])
def test_gantt_has_a_row_per_vehicle(doms, name):
    """The crew timeline has a labelled row per vehicle and drawn bars for the activities."""
    plot = _plot(doms[name], "gantt-plot")
    assert sorted(_y_labels(plot)) == sorted(_vehicles(name))
    assert {"driving", "service"} <= set(_legend(plot))
    assert len(re.findall(r'<g class="point"><path', plot)) > len(_vehicles(name))


def test_disposal_trips_and_breaks_are_marked(doms):
    """On the sanitation map, disposal trips and breaks have their own legend entries."""
    legend = _legend(_plot(doms["sanitation"], "map-plot"))
    assert "disposal trips" in legend and "breaks" in legend


def test_emergency_map_shows_incidents_units_and_assignments(doms):
    """Incidents by priority, units, and the assignment lines are drawn."""
    legend = _legend(_plot(doms["emergency"], "map-plot"))
    assert any(entry.startswith("incidents P1") for entry in legend), legend
    assert any(entry.startswith("units sent") for entry in legend), legend
    assert any(entry.startswith("assignment") for entry in legend), legend


def test_before_after_draws_both_plans(doms):
    """Both halves are drawn: the dispatcher's four trucks and the optimised routes."""
    dom = doms["compare"]
    before = _legend(_plot(dom, "before-map-plot"))
    plan = json.loads((EXAMPLES / "sanitation_dispatcher_plan.json").read_text())
    for route in plan["routes"]:
        assert any(entry.startswith(route["vehicle_id"] + " (") for entry in before), before
    assert sorted(_y_labels(_plot(dom, "after-gantt-plot"))) == sorted(_vehicles("sanitation"))


def test_screenshot_is_not_blank(pages, tmp_path):
    """A screenshot of the sanitation page has drawing on it: many colours, not all white."""
    image_module = pytest.importorskip("PIL.Image", reason="Pillow comes with the test extra")
    png = screenshot(pages["sanitation"], tmp_path / "page.png", size=(1200, 1400))
    with image_module.open(png) as image:
        rgb = image.convert("RGB")
        assert rgb.size == (1200, 1400)
        colours = rgb.getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 50
    white = sum(count for count, colour in colours if min(colour) >= 245)
    assert white < 0.9 * 1200 * 1400


def test_the_browser_really_is_offline(tmp_path):
    """A page that loads plotly.js from its CDN draws nothing here: the checks above prove
    the pages are self-contained, not that this machine has a network."""
    page = tmp_path / "cdn.html"
    page.write_text(
        '<!DOCTYPE html><html><head><script src="https://cdn.plot.ly/plotly-3.0.1.min.js">'
        "</script></head><body><script>document.body.setAttribute('data-plotly', "
        "typeof Plotly === 'undefined' ? 'missing' : 'loaded');</script></body></html>"
    )
    assert 'data-plotly="missing"' in dump_dom(page, budget_ms=3000)
