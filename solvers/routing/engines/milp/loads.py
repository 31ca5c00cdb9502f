"""Load constraint families: load on board after each stop, trip and daily capacities.

``l[n, d]`` is the load after stop n; a facility copy empties the vehicle, so the load after it
restarts at the next stop's demand and facility copies need no load variable at all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pulp

from solvers.routing.engines.milp.graph import END, START

if TYPE_CHECKING:
    from solvers.routing.engines.milp.formulation import Formulation


def add_loads(m: Formulation) -> None:
    """Every load family, dimension by dimension (dimensions nobody loads are skipped)."""
    g, p = m.graph, m.problem
    need_loads = g.loaded or any(v.capacities is not None for v in p.vehicles)
    if not need_loads:
        return
    for d in range(p.n_dims):
        total = sum(p.stops[i].demands[d] for i in g.stops)
        if not total:
            continue
        load = {
            n: m.lp.add_variable(f"l_{n}_{d}", g.demand(n, d), total)
            for n in g.node_range
            if g.nodes[n].is_stop
        }
        _propagation(m, d, load, total)
        _trip_capacity(m, d, load, total)
        if g.loaded:
            _empty_before_end(m, d, load, total)
        _daily_capacity(m, d, total)


def _propagation(m: Formulation, d: int, load: dict[int, pulp.LpVariable], big: int) -> None:
    """l_j >= l_i + q_j on a driven stop -> stop arc."""
    nodes = m.graph.nodes
    for (i, j, k), var in m.x.items():
        if j in (START, END) or not nodes[j].is_stop or i == START or not nodes[i].is_stop:  # type: ignore[index]
            continue
        m.lp += (
            load[j] >= load[i] + m.graph.demand(j, d) - big * (1 - var),  # type: ignore[index]
            f"load_{i}_{j}_{k}_{d}",
        )


def _trip_capacity(m: Formulation, d: int, load: dict[int, pulp.LpVariable], big: int) -> None:
    """l_n <= capacity of the vehicle that visits n (only where the capacity binds)."""
    g = m.graph
    for k in g.vehicles:
        caps = m.problem.vehicles[k].capacities
        if caps is None or d >= len(caps) or caps[d] >= big:
            continue
        for n in g.eligible[k]:
            if g.nodes[n].is_stop:
                m.lp += (
                    load[n] <= caps[d] + (big - caps[d]) * (1 - m.visit[n, k]),
                    f"cap_{n}_{k}_{d}",
                )


def _empty_before_end(m: Formulation, d: int, load: dict[int, pulp.LpVariable], big: int) -> None:
    """With facilities, a stop without demand may precede END only with nothing on board."""
    g = m.graph
    for n in g.node_range:
        if g.nodes[n].is_stop and not g.demand(n, d):
            into_end = pulp.lpSum(m.x[n, END, k] for k in g.vehicles if (n, END, k) in m.x)
            m.lp += load[n] <= big * (1 - into_end), f"unload_{n}_{d}"


def _daily_capacity(m: Formulation, d: int, total: int) -> None:
    """What one vehicle collects over its shift stays within its daily capacity."""
    g = m.graph
    for k in g.vehicles:
        daily = m.problem.vehicles[k].daily_capacities
        if daily is not None and d < len(daily) and daily[d] < total:
            m.lp += (
                pulp.lpSum(
                    g.demand(n, d) * m.visit[n, k] for n in g.eligible[k] if g.nodes[n].is_stop
                )
                <= daily[d],
                f"daily_{k}_{d}",
            )
