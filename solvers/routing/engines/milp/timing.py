"""Time constraint families: service starts propagated along arcs, route duration, windows.

Big-Ms are tightened per arc from the node time bounds of :mod:`graph`, which is what keeps the
LP relaxation useful at all with MTZ-style propagation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pulp

from solvers.routing.engines.milp.graph import END, START

if TYPE_CHECKING:
    from solvers.routing.engines.milp.formulation import Formulation


def add_times(m: Formulation) -> None:
    """Service start, departure and arrival variables and every constraint linking them."""
    _route_limits(m)
    _propagation(m)
    _work_bound(m)
    _zero_time_order(m)


def _route_limits(m: Formulation) -> None:
    """t[n] within its bounds; dep/arr per vehicle, its duration limit and its stop limit."""
    g, p, lp = m.graph, m.problem, m.lp
    m.t = {n: lp.add_variable(f"t_{n}", g.earliest[n], g.latest[n]) for n in g.node_range}
    for k in g.vehicles:
        v = p.vehicles[k]
        hi = max(v.shift.start, min(v.shift.end, g.horizon + g.max_travel))
        m.dep[k] = lp.add_variable(f"dep_{k}", v.shift.start, hi)
        m.arr[k] = lp.add_variable(f"arr_{k}", v.shift.start, hi)
        lp += m.arr[k] >= m.dep[k], f"dur_pos_{k}"
        if v.max_route_duration:
            lp += m.arr[k] - m.dep[k] <= v.max_route_duration, f"max_dur_{k}"
        if v.max_stops:
            lp += (
                pulp.lpSum(m.visit[n, k] for n in g.eligible[k] if g.nodes[n].is_stop)
                <= v.max_stops,
                f"max_stops_{k}",
            )


def _propagation(m: Formulation) -> None:
    """t_j >= t_i + service + travel on a driven arc, with the smallest valid big-M."""
    g, p, lp, t = m.graph, m.problem, m.lp, m.t
    a, b = g.earliest, g.latest
    for (i, j, k), var in m.x.items():
        v = p.vehicles[k]
        if i == START:
            travel = p.travel(k, v.start, g.location(j))  # type: ignore[arg-type]
            big = max(0, m.dep[k].upBound + travel - a[j])  # type: ignore[index]
            lp += t[j] >= m.dep[k] + travel - big * (1 - var), f"t_start_{j}_{k}"  # type: ignore[index]
        elif j == END:
            step = g.service(i) + p.travel(k, g.location(i), v.end)  # type: ignore[arg-type]
            big = max(0, b[i] + step - v.shift.start)  # type: ignore[index]
            lp += m.arr[k] >= t[i] + step - big * (1 - var), f"t_end_{i}_{k}"  # type: ignore[index]
        else:
            step = g.service(i) + p.travel(k, g.location(i), g.location(j))  # type: ignore[arg-type]
            big = b[i] + step - a[j]  # type: ignore[index]
            if big > 0:
                lp += t[j] >= t[i] + step - big * (1 - var), f"t_{i}_{j}_{k}"  # type: ignore[index]


def _work_bound(m: Formulation) -> None:
    """Duration >= driving + service of the route.

    Valid, and it gives the LP relaxation the time cost that big-M propagation alone hides.
    """
    g, p = m.graph, m.problem
    for k in g.vehicles:
        work = []
        for (i, j, kk), var in m.x.items():
            if kk != k:
                continue
            li, lj = g.endpoint_location(k, i), g.endpoint_location(k, j)
            step = p.travel(k, li, lj) + (0 if i == START else g.service(i))  # type: ignore[arg-type]
            if step:
                work.append(step * var)
        if work:
            m.lp += m.arr[k] - m.dep[k] >= pulp.lpSum(work), f"work_{k}"


def _zero_time_order(m: Formulation) -> None:
    """Zero-time arcs would allow subtours the time constraints cannot cut: order them."""
    g, p = m.graph, m.problem
    zero_pairs = {
        (i, j)
        for (i, j, k) in m.x
        if i not in (START, END)
        and j not in (START, END)
        and g.service(i) + p.travel(k, g.location(i), g.location(j)) <= 0  # type: ignore[arg-type]
    }
    if not zero_pairs:
        return
    size = len(g.nodes)
    u = {n: m.lp.add_variable(f"u_{n}", 1, size) for n in g.node_range}
    for i, j in zero_pairs:
        m.lp += u[j] >= u[i] + 1 - size * (1 - m.arc_sum(i, j)), f"order_{i}_{j}"  # type: ignore[index]


def add_window_choice(m: Formulation) -> None:
    """A stop with several windows starts inside the one its binary picks (if it is served)."""
    g, lp, t, served = m.graph, m.lp, m.t, m.served
    a, b = g.earliest, g.latest
    for n in g.node_range:
        windows = g.windows(n)
        if len(windows) <= 1:
            continue
        z = [lp.add_variable(f"z_{n}_{w}", cat=pulp.LpBinary) for w in range(len(windows))]
        lp += pulp.lpSum(z) == served[n], f"window_pick_{n}"
        lp += (
            t[n]
            >= pulp.lpSum(wa * zw for (wa, _), zw in zip(windows, z, strict=True))
            + a[n] * (1 - served[n]),
            f"window_lo_{n}",
        )
        lp += (
            t[n]
            <= pulp.lpSum(wb * zw for (_, wb), zw in zip(windows, z, strict=True))
            + b[n] * (1 - served[n]),
            f"window_hi_{n}",
        )
