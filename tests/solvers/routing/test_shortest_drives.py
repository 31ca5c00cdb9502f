"""Shortest drives over a travel matrix: the lower bounds the pre-checks reason with."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from solvers.routing.problem import RoutingProblem, Stop, TimeWindow, Vehicle
from solvers.routing.shortest_drives import ShortestDrives, shortest_drives


def _problem(durations: np.ndarray, places: tuple[int, ...] = ()) -> RoutingProblem:
    """Stops at ``places`` (every place but the depot when empty)."""
    n = durations.shape[0]
    return RoutingProblem(
        location_ids=tuple(f"L{i}" for i in range(n)),
        durations=(durations,),
        distances=(None,),
        vehicles=(Vehicle("v", 0, 0, TimeWindow(0, 10_000)),),
        stops=tuple(Stop(f"s{i}", i) for i in places or range(1, n)),
    )


def _floyd_warshall(durations: np.ndarray, relays: set[int]) -> np.ndarray:
    """All-pairs shortest paths whose inner places are all in ``relays``."""
    d = durations.astype(np.int64).copy()
    for k in sorted(relays):
        d = np.minimum(d, d[:, [k]] + d[[k], :])
    return d


@st.composite
def matrices(draw: st.DrawFn) -> np.ndarray:
    n = draw(st.integers(2, 7))
    m = draw(arrays(np.int64, (n, n), elements=st.integers(0, 60)))
    np.fill_diagonal(m, 0)
    return m


@given(matrices(), st.data())
def test_drives_equal_shortest_paths_through_visited_places(durations, data):
    """From a place and to a place, every drive equals Floyd-Warshall's with only the stops'
    places as inner places (a route passes through no other)."""
    n = durations.shape[0]
    places = tuple(data.draw(st.sets(st.integers(0, n - 1), min_size=1)))
    expected = _floyd_warshall(durations, set(places))
    drives = ShortestDrives(_problem(durations, places))
    for a in range(n):
        for b in range(n):
            assert drives.from_place(0, a, b) == expected[a, b]
            assert drives.to_place(0, a, b) == expected[a, b]


def test_a_detour_beats_the_direct_entry():
    """37 s direct, 2 s through a third place: the shortest drive is 2 s."""
    durations = np.array([[0, 1, 1], [37, 0, 1], [1, 1, 0]], dtype=np.int64)
    drives = ShortestDrives(_problem(durations))
    assert drives.to_place(0, 1, 0) == 2
    assert drives.from_place(0, 1, 0) == 2


def test_one_instance_per_problem():
    """Every caller of one problem shares the drives already computed."""
    p = _problem(np.zeros((2, 2), dtype=np.int64))
    assert shortest_drives(p) is shortest_drives(p)
