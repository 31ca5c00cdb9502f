"""The optimal face of levels 1-3 as constraints for the coverage stage (CP-SAT or MILP).

With coverage rules, levels 1 to 3 are already proven by the min-cost flows; the remaining
choice is only among plans tied on them. ``flow.face_before_churn`` gives the network whose
feasible flows are exactly those plans (complementary slackness: arcs of positive reduced cost
fixed at their lower bound, of negative reduced cost at their upper bound, for every optimal
flow alike), so restricting the model to it loses no optimal plan and leaves CP-SAT a tiny model
even at 200 incidents x 2000 units. The conditions are all unit-coefficient counts, which CP-SAT
and MILP handle far better than an equality on a large weighted sum.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from solvers.assignment.arcs import Arcs
from solvers.assignment.network import Network


@dataclass(frozen=True, eq=False)
class Restriction:
    """The face as model constraints: arcs allowed, arcs used in every plan, units that must be
    used, groups that must be full, and the total number of arcs used when the bypass fixes it."""

    arcs: np.ndarray  # bool per arc
    forced: np.ndarray  # bool per arc: used in every optimal plan
    must_use_units: np.ndarray  # unit indices
    must_fill_groups: np.ndarray  # group indices
    total: int | None


def restriction_of(network: Network, arcs: Arcs) -> Restriction:
    """Read a (restricted) network's bounds as constraints on the arc variables."""
    n_units = network.n_units
    unit_open = network.forced_node | (network.upper[:n_units] >= 1)
    unit_must = network.forced_node | (network.lower[:n_units] >= 1)
    group_open = network.upper[network.group_arcs] >= 1
    group_full = network.lower[network.group_arcs] >= arcs.group_count
    arc_upper = network.upper[network.unit_arcs]
    allowed = (arc_upper >= 1) & unit_open[network.arc_unit_node] & group_open[arcs.group]
    bypass_lower, bypass_upper = int(network.lower[-1]), int(network.upper[-1])
    return Restriction(
        arcs=allowed,
        forced=network.lower[network.unit_arcs] >= 1,
        must_use_units=network.units[unit_must],
        must_fill_groups=np.flatnonzero(group_full),
        total=n_units - bypass_lower if bypass_lower == bypass_upper else None,
    )
