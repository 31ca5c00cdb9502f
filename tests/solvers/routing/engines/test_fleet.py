"""Per-vehicle facts shared by the OR-Tools model and the constructive plan."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from checker_cases import problem, stop, vehicle

from solvers.routing.engines.fleet import fleet
from solvers.routing.problem import Break, Facility, RoutingProblem, TimeWindow


def _truck_and_site(break_opens: int, site_closes: int) -> RoutingProblem:
    """A truck leaving at 77 owing a 30 s break, a site 39 s away (earliest arrival 116)
    closing at ``site_closes``, and one stop with a load (so a final unload is needed)."""
    truck = replace(
        vehicle(),
        start=2,
        end=0,
        shift=TimeWindow(start=77, end=745),
        breaks=(Break(id="b", start_window=TimeWindow(start=break_opens, end=400), duration=30),),
    )
    durations = np.zeros((5, 5), dtype=np.int64)
    durations[2, 4] = 39
    return replace(
        problem(
            (replace(stop("s", 1), demands=(1,)),),
            vehicles=(truck,),
            n_locations=5,
            dimensions=("kg",),
        ),
        facilities=(Facility(id="f", location=4, opening=TimeWindow(start=0, end=site_closes)),),
        durations=(durations,),
        distances=(np.zeros((5, 5), dtype=np.int64),),
    )


def test_a_site_the_breaks_make_unreachable_before_it_closes_is_not_the_final_unload() -> None:
    """The break must be taken on the way (its window is open at departure), so the earliest
    unload is 77 + 39 + 30 = 146: a site closing at 140 cannot be the last unload, though the
    break-free arrival (116) and the break alone (77 + 30) both fit."""
    assert fleet(_truck_and_site(break_opens=0, site_closes=140), [0]).final_facility == (None,)
    assert fleet(_truck_and_site(break_opens=0, site_closes=146), [0]).final_facility == (0,)


def test_a_break_whose_window_opens_after_the_arrival_is_taken_before_the_unload() -> None:
    """The break opens at 120, after the arrival at 116: the unload starts at 150 at the
    earliest, so the site must stay open until then, and no longer."""
    assert fleet(_truck_and_site(break_opens=120, site_closes=149), [0]).final_facility == (None,)
    assert fleet(_truck_and_site(break_opens=120, site_closes=150), [0]).final_facility == (0,)
