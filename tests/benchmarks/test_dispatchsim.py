"""The dispatch simulation plays every call to the end under each policy (a short day)."""

from __future__ import annotations

import pytest

from benchmarks.dispatchsim.city import generate_calls, generate_city
from benchmarks.dispatchsim.policies import AssignPolicy, ClosestIdle, MoveUpSettings
from benchmarks.dispatchsim.sim import Simulation


@pytest.mark.parametrize(
    "policy",
    [ClosestIdle(), AssignPolicy(), AssignPolicy(move_up=MoveUpSettings())],
    ids=["closest", "assign", "assign+moveup"],
)
def test_every_call_gets_a_first_unit_and_every_unit_ends_idle(policy) -> None:
    """Three busy hours: each call's first arrival is recorded once; the fleet ends idle."""
    city = generate_city(3)
    calls = generate_calls(city, 3, calls_per_day=900.0, hours=3)
    sim = Simulation(city, calls, n_units=30, als_share=0.35, seed=3)
    sim.run(policy)
    assert len(sim.responses) == len(calls)
    assert all(seconds > 0 for _, seconds in sim.responses)
    assert all(unit.status == "idle" for unit in sim.units)
    assert not sim.incidents


def test_only_the_move_up_policy_relocates_units() -> None:
    """Closest-idle never moves an idle unit; move-up does on the same stream."""
    city = generate_city(4)
    calls = generate_calls(city, 4, calls_per_day=900.0, hours=2)
    moved = []
    for policy in (ClosestIdle(), AssignPolicy(move_up=MoveUpSettings())):
        sim = Simulation(city, calls, n_units=30, als_share=0.35, seed=4)
        sim.run(policy)
        moved.append(sim.relocations)
    assert moved[0] == 0
    assert moved[1] > 0
