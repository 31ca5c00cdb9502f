"""The plan diff (issue #13 item 3): what a re-plan changes, stop by stop, and the churn KPIs."""

from __future__ import annotations

import pytest
from checker_cases import plan, problem, route, stop, vehicle
from hypothesis import given
from hypothesis import strategies as st

from solvers.routing.checker import evaluate
from solvers.routing.plan_diff import (
    Change,
    StopTime,
    diff_plans,
    timelines,
)


def line(vehicle_id: str, *stops: str | tuple[str, int]) -> dict[str, tuple[StopTime, ...]]:
    """One vehicle's timeline from stop ids, or (id, service start) pairs; join with ``|``."""
    items = tuple(StopTime(s) if isinstance(s, str) else StopTime(*s) for s in stops)
    return {vehicle_id: items}


def changes(diff) -> dict[str, Change]:
    return {d.stop: d.change for d in diff.stops}


def lcs_length(a: list[str], b: list[str]) -> int:
    """Longest common subsequence by the textbook table (the reference for the fast one)."""
    table = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            table[i + 1][j + 1] = (
                table[i][j] + 1 if x == y else max(table[i][j + 1], table[i + 1][j])
            )
    return table[-1][-1]


def test_identical_plans_change_nothing() -> None:
    """The same routes at the same times: every stop UNCHANGED, no crew to call, no shift."""
    same = line("v1", ("a", 10), ("b", 20)) | line("v2", ("c", 30))
    diff = diff_plans(same, same)
    assert set(changes(diff).values()) == {Change.UNCHANGED}
    k = diff.kpis
    assert (k.stops_unchanged, k.crews_next_stop_changed, k.stops_shifted) == (3, 0, 0)
    assert (k.eta_shift_total, k.eta_shift_max) == (0, 0)


def test_a_stop_handed_to_another_crew_is_moved() -> None:
    """b goes from v1 to v2: MOVED, with both vehicles named and its positions in each route."""
    diff = diff_plans(
        line("v1", "a", "b") | line("v2", "c"), line("v1", "a") | line("v2", "c", "b")
    )
    (b,) = [d for d in diff.stops if d.stop == "b"]
    assert b.change is Change.MOVED
    assert (b.reference_vehicle, b.vehicle) == ("v1", "v2")
    assert (b.reference_position, b.position) == (1, 1)
    assert diff.kpis.stops_moved == 1


def test_new_and_removed_stops_are_added_and_dropped() -> None:
    """x appears, c disappears: ADDED has no reference vehicle, DROPPED no new one."""
    diff = diff_plans(line("v1", "a", "c"), line("v1", "x", "a"))
    by_stop = {d.stop: d for d in diff.stops}
    assert by_stop["x"].change is Change.ADDED and by_stop["x"].reference_vehicle is None
    assert by_stop["c"].change is Change.DROPPED and by_stop["c"].vehicle is None
    assert by_stop["a"].change is Change.UNCHANGED
    assert (diff.kpis.stops_added, diff.kpis.stops_dropped) == (1, 1)


def test_one_stop_pulled_forward_is_the_only_reordered_one() -> None:
    """a b c d -> d a b c: only d is out of order (longest common order a b c is kept), not the
    three stops it overtook."""
    diff = diff_plans(line("v1", "a", "b", "c", "d"), line("v1", "d", "a", "b", "c"))
    assert changes(diff) == {
        "d": Change.REORDERED,
        "a": Change.UNCHANGED,
        "b": Change.UNCHANGED,
        "c": Change.UNCHANGED,
    }


def test_eta_shift_is_new_minus_reference_and_kpis_sum_its_size() -> None:
    """a 100 s later, b 40 s earlier: shifts +100 and -40; total 140, max 100, two stops shifted."""
    diff = diff_plans(line("v1", ("a", 100), ("b", 200)), line("v1", ("a", 200), ("b", 160)))
    shifts = {d.stop: d.eta_shift for d in diff.stops}
    assert shifts == {"a": 100, "b": -40}
    k = diff.kpis
    assert (k.stops_shifted, k.eta_shift_total, k.eta_shift_max) == (2, 140, 100)


def test_a_stop_without_a_reference_time_has_no_shift() -> None:
    """Untimed reference stops (their truck is gone from the request) shift by nothing known."""
    diff = diff_plans(line("gone", "a"), line("v1", ("a", 50)))
    (a,) = diff.stops
    assert a.change is Change.MOVED and a.eta_shift is None
    assert diff.kpis.stops_shifted == 0


def test_stops_no_longer_requested_are_dropped_and_skipped_as_next_stop() -> None:
    """done was served this morning and is gone from the request: DROPPED, not still requested,
    and v1's next stop is a (the first it still has), which the new plan keeps: no call needed."""
    diff = diff_plans(line("v1", "done", "a", "b"), line("v1", "a", "b"), requested={"a", "b"})
    done = next(d for d in diff.stops if d.stop == "done")
    assert done.change is Change.DROPPED and not done.still_requested
    (crew,) = diff.crews
    assert (crew.reference_next, crew.next, crew.next_changed) == ("a", "a", False)


def test_a_skipped_stop_is_dropped_but_still_requested() -> None:
    """b is still in the request but the new plan leaves it out: DROPPED, still requested."""
    diff = diff_plans(line("v1", "a", "b"), line("v1", "a"), requested={"a", "b"})
    b = next(d for d in diff.stops if d.stop == "b")
    assert b.change is Change.DROPPED and b.still_requested


def test_crews_whose_first_stop_changes_are_counted() -> None:
    """v1 now starts with c (was a); v2 loses its only stop; v3 is unchanged: two calls."""
    diff = diff_plans(
        line("v1", "a", "b") | line("v2", "c") | line("v3", "d"),
        line("v1", "c", "a", "b") | line("v3", "d"),
    )
    by_vehicle = {c.vehicle: c for c in diff.crews}
    assert by_vehicle["v1"].next_changed and by_vehicle["v2"].next_changed
    assert by_vehicle["v2"].next is None and by_vehicle["v2"].stops == 0
    assert not by_vehicle["v3"].next_changed
    assert diff.kpis.crews_next_stop_changed == 2


def test_a_stop_served_twice_is_rejected() -> None:
    """A plan that serves a stop twice cannot be diffed: the caller's bug is named."""
    with pytest.raises(ValueError, match="'a' appears twice"):
        diff_plans(line("v1", "a") | line("v2", "a"), {})


def test_timelines_carry_the_checkers_service_starts() -> None:
    """Stops on the line at 1 and 3 (10 s a step): served at 10 and 30, ids from the problem."""
    p = problem((stop("a", 1), stop("b", 3)), vehicles=(vehicle("truck"),))
    timeline = timelines(p, evaluate(p, plan(route(0, ("S", 0), ("S", 1)))))
    assert timeline == {"truck": (StopTime("a", 10), StopTime("b", 30))}


@given(
    st.permutations(list("abcdefgh")),
    st.permutations(list("abcdefgh")),
    st.integers(1, 8),
)
def test_every_stop_of_either_plan_is_listed_once_and_counted_once(ref, new, cut) -> None:
    """Random splits of eight stops over two crews, before and after: each stop appears in
    exactly one StopDiff, the KPI counts add up to the stops, and the UNCHANGED stops of each
    vehicle keep their relative order and are as many as the longest common subsequence."""
    reference = line("v1", *ref[:cut]) | line("v2", *ref[cut:])
    after = line("v1", *new[: 8 - cut]) | line("v2", *new[8 - cut :])
    diff = diff_plans(reference, after)
    assert sorted(d.stop for d in diff.stops) == sorted("abcdefgh")
    k = diff.kpis
    assert k.stops_unchanged + k.stops_moved + k.stops_reordered == 8
    assert k.stops_added == k.stops_dropped == 0
    for vehicle_id, before_stops, after_stops in (
        ("v1", ref[:cut], new[: 8 - cut]),
        ("v2", ref[cut:], new[8 - cut :]),
    ):
        kept = [s for s in after_stops if changes(diff)[s] is Change.UNCHANGED]
        assert kept == [s for s in before_stops if s in kept], vehicle_id
        assert len(kept) == lcs_length(list(before_stops), list(after_stops)), vehicle_id
