"""The flow's integer weights: exact level separation, and honest degradation near int64."""

from __future__ import annotations

import numpy as np
import pytest

from solvers.assignment.arcs import Arcs
from solvers.assignment.flow import flow_weights
from solvers.errors import SolverFailedError


def arcs_with(cost: int, movers: int, n_levels: int = 3) -> Arcs:
    """``movers`` en-route units, each with one re-route arc of the given response cost."""
    n = movers
    return Arcs(
        unit=np.arange(n, dtype=np.int64),
        group=np.zeros(n, dtype=np.int64),
        eta=np.ones(n, dtype=np.int64),
        cost=np.full(n, cost, dtype=np.int64),
        rank_bonus=np.ones(n, dtype=np.int64),
        committed=np.ones(n, dtype=np.int64),
        moved=np.ones(n, dtype=np.int64),
        group_incident=np.zeros(1, dtype=np.int64),
        group_capability=np.zeros(1, dtype=np.int64),
        group_count=np.array([n], dtype=np.int64),
        n_levels=n_levels,
    )


def test_weights_separate_every_level() -> None:
    """C exceeds everything below level 1 and K exceeds any churn, on ordinary numbers."""
    arcs = arcs_with(cost=5_000, movers=10)
    weights = flow_weights(arcs, n_nodes=50)
    assert weights.churn_optimised
    assert weights.response == 11  # max churn + 1
    below_level_one = 10 * 5_000 * weights.response + 10
    assert weights.bonus > below_level_one


def test_churn_dropped_when_its_factor_would_overflow() -> None:
    """Near the int64 limit the flow keeps levels 1-3 exact and says churn is not minimised."""
    arcs = arcs_with(cost=2**36, movers=2_000)
    weights = flow_weights(arcs, n_nodes=2_100)
    assert not weights.churn_optimised
    assert weights.response == 1


def test_declines_when_even_levels_one_to_three_do_not_fit() -> None:
    """Costs so large that the level-1 bonus cannot be represented: the flow refuses."""
    with pytest.raises(SolverFailedError):
        flow_weights(arcs_with(cost=2**50, movers=2_000), n_nodes=2_100)
