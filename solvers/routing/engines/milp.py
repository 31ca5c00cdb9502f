"""Exact MILP fallback for small routing problems, through PuLP (HiGHS when installed, else CBC).

The formulation is written up in ``solvers/routing/MILP.md``. In short: a vehicle-indexed arc
flow (x[i, j, k] = vehicle k drives from i to j) over the stops and a few copies of each disposal
facility (optional nodes that empty the vehicle, so trips are modelled exactly), with
MTZ-style propagation of service start times and loads under big-Ms tightened per arc, binary
window selection for stops with several windows, and departure/arrival times per vehicle so
that route duration (waiting included) is costed exactly as the checker does.

Declined (SolverFailedError, so the portfolio moves on): driver breaks, and models larger than
:data:`MAX_ARCS` arcs. Mandatory stops carry a penalty larger than any plan's cost, so the model
is always feasible and serves as many mandatory stops as it can before minimising cost; those
it cannot serve are reported with a reason, never silently dropped.

Status: OPTIMAL only when the solver proves optimality with a relative gap of at most
:data:`GAP_TOLERANCE`; otherwise FEASIBLE with the solver's bound (HiGHS) when the bound is in
the contract's cost units. The reported objective is always the independent checker's.
"""

from __future__ import annotations

import itertools
import logging
import math
import time
from dataclasses import dataclass

import pulp

from solvers.budget import Deadline
from solvers.errors import SolverFailedError
from solvers.routing.checker import evaluate
from solvers.routing.feasibility import explain
from solvers.routing.plan import PlannedVisit, RoutePlan, RoutingPlan, SkipReason, VisitKind
from solvers.routing.problem import RoutingProblem
from solvers.status import SolveReport, SolverFamily, Status, relative_gap

__all__ = ["GAP_TOLERANCE", "MAX_ARCS", "available_engine", "solve"]

log = logging.getLogger(__name__)

#: Largest model built (arcs summed over vehicles); beyond it the exact model is hopeless in a
#: fallback's budget and building it in PuLP alone would take seconds.
MAX_ARCS = 40_000
#: Measured PuLP model-building cost per arc (about 50-80 us on the 2-core test machine), with
#: margin; a model whose estimated build time would eat half the budget is declined up front.
BUILD_SECONDS_PER_ARC = 1e-4
#: Relative gap under which a solver's "optimal" is reported as OPTIMAL.
GAP_TOLERANCE = 1e-6


_banner_silenced = False


def _silence_highs_banner() -> None:
    """Let HiGHS print its one-time copyright banner into /dev/null instead of stdout.

    HiGHS writes it from C on the first ``Highs()`` of a process, whatever ``output_flag`` says;
    on stdout it would corrupt ``dispatch solve``'s JSON answer. Runs once per process.
    """
    global _banner_silenced
    if _banner_silenced:
        return
    _banner_silenced = True
    try:
        import ctypes
        import os
        import sys

        import highspy
    except ImportError:
        return
    sys.stdout.flush()
    libc = ctypes.CDLL(None)
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as sink:
            os.dup2(sink.fileno(), 1)
            highspy.Highs()
            libc.fflush(None)
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def available_engine() -> str:
    """``pulp.highs`` when highspy is importable, else ``pulp.cbc``."""
    return "pulp.highs" if "HiGHS" in pulp.listSolvers(onlyAvailable=True) else "pulp.cbc"


@dataclass(frozen=True)
class _Node:
    """A model node: a stop (facility < 0) or a copy of a facility (stop < 0)."""

    stop: int = -1
    facility: int = -1

    @property
    def is_stop(self) -> bool:
        return self.stop >= 0


def solve(
    problem: RoutingProblem,
    deadline: Deadline,
    seed: int = 0,
    exclude: frozenset[int] = frozenset(),
    engine: str | None = None,
) -> tuple[RoutingPlan, SolveReport]:
    """Solve ``problem`` exactly (or as well as the deadline allows) without the ``exclude`` stops.

    ``engine`` ("pulp.highs" or "pulp.cbc") overrides :func:`available_engine`.

    Raises SolverFailedError when the problem has features this model declines, when it is too
    large, or when no integer solution is found before the deadline.
    """
    started = time.monotonic()
    if any(v.breaks for v in problem.vehicles):
        raise SolverFailedError("milp: does not model breaks")
    if deadline.expired():
        raise SolverFailedError("milp: no time left")
    builder = _Builder(problem, exclude, deadline)
    builder.build()
    engine = engine or available_engine()
    if engine not in ("pulp.highs", "pulp.cbc"):
        raise SolverFailedError(f"milp: unknown engine {engine!r}")
    start = builder.warm_start(Deadline.after(0.2 * deadline.remaining()))
    time_limit = deadline.remaining()
    if time_limit <= 0.01:
        raise SolverFailedError("milp: no time left after building the model")
    if engine == "pulp.highs":
        _silence_highs_banner()
        solver = _WarmHiGHS(
            start,
            msg=False,
            timeLimit=time_limit,
            gapRel=GAP_TOLERANCE / 10,
            threads=1,
            random_seed=int(seed) % (2**31 - 1),
        )
    else:
        solver = pulp.PULP_CBC_CMD(
            msg=False,
            timeLimit=max(1, math.ceil(time_limit)),
            gapRel=GAP_TOLERANCE / 10,
        )
    try:
        builder.lp.solve(solver)
    except pulp.PulpSolverError as exc:
        raise SolverFailedError(f"milp: {engine} failed: {exc}") from exc
    if builder.lp.sol_status not in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
        raise SolverFailedError(
            f"milp: {engine} found no solution within {time_limit:.2f} s "
            f"({pulp.LpStatus[builder.lp.status]})"
        )
    plan = builder.plan()
    evaluation = evaluate(problem, plan)
    status, bound = builder.status_and_bound(engine, plan)
    cost = evaluation.cost
    model_cost = builder.model_cost()
    tolerance = 1e-6 * max(1.0, abs(cost))
    if model_cost is not None and (
        cost > model_cost + tolerance
        or (status is Status.OPTIMAL and cost < model_cost - tolerance)
    ):
        # The proof is about the model; if the model prices this plan differently from the
        # checker, the proof does not carry over to the contract's objective. (A merely
        # feasible incumbent may be priced higher by the model: its times can have slack.)
        log.warning("milp: model cost %.6f differs from checked cost %.6f", model_cost, cost)
        status, bound = Status.FEASIBLE, None
    gap = None
    if status is Status.OPTIMAL:
        bound, gap = cost, 0.0
    elif bound is not None:
        gap = relative_gap(cost, bound)
    report = SolveReport(
        family=SolverFamily.MILP,
        engine=engine,
        status=status,
        objective=cost,
        bound=bound,
        gap=gap,
        wall_time=time.monotonic() - started,
        objective_terms=dict(evaluation.cost_terms),
    )
    return plan, report


class _WarmHiGHS(pulp.HiGHS):  # type: ignore[misc,valid-type]
    """PuLP's HiGHS interface plus a (partial) starting solution handed to HiGHS before it runs.

    PuLP's in-process HiGHS has no warm start; HiGHS itself accepts values for some columns and
    completes the rest by a sub-MIP, which is how the greedy plan's arcs are passed in.
    """

    def __init__(self, start: dict[pulp.LpVariable, float] | None, **options: object) -> None:
        super().__init__(**options)
        self._start = start

    def callSolver(self, lp: pulp.LpProblem) -> None:
        if self._start:
            import numpy as np

            index = np.array([var.index for var in self._start], dtype=np.int32)
            value = np.array(list(self._start.values()), dtype=np.float64)
            lp.solverModel.setSolution(len(index), index, value)
        lp.solverModel.run()


def _with_unloads(p: RoutingProblem, k: int, sequence: list[int]) -> tuple[PlannedVisit, ...]:
    """Stop visits in order, with an unload before any stop that would overflow the vehicle and
    at the end when loaded (at the facility with the smallest detour)."""
    if not p.facilities:
        return tuple(PlannedVisit(VisitKind.STOP, i) for i in sequence)
    v = p.vehicles[k]
    caps = v.capacities
    load = [0] * p.n_dims
    visits: list[PlannedVisit] = []
    here = v.start

    def unload(before: int) -> None:
        best = min(
            range(len(p.facilities)),
            key=lambda f: (
                p.travel(k, here, p.facilities[f].location)
                + p.travel(k, p.facilities[f].location, before)
            ),
        )
        visits.append(PlannedVisit(VisitKind.FACILITY, best))

    for i in sequence:
        stop = p.stops[i]
        q = [stop.demands[d] if d < len(stop.demands) else 0 for d in range(p.n_dims)]
        if (
            caps is not None
            and any(d < len(caps) and load[d] + q[d] > caps[d] for d in range(p.n_dims))
            and any(load)
        ):
            unload(stop.location)
            load = [0] * p.n_dims
        visits.append(PlannedVisit(VisitKind.STOP, i))
        load = [a + b for a, b in zip(load, q, strict=True)]
        here = stop.location
    if any(load):
        unload(v.end)
    return tuple(visits)


def _greedy(p: RoutingProblem, stops: list[int], deadline: Deadline) -> list[RoutePlan]:
    """Cheapest feasible insertion, every candidate route checked by the independent checker.

    Mandatory stops first (earliest closing window first), optional ones only when serving them
    costs less than their penalty. Stops with no feasible position stay out. Stops when the
    deadline passes, keeping what it has (any subset of feasible routes is a valid start).
    """
    everyone = {i: SkipReason.NO_CAPACITY_LEFT for i in range(len(p.stops))}
    sequences: dict[int, list[int]] = {k: [] for k in range(len(p.vehicles))}
    costs = dict.fromkeys(sequences, 0.0)

    def closing(i: int) -> int:
        return max((w.end for w in p.stops[i].time_windows), default=2**62)

    for i in sorted(stops, key=lambda i: (p.stops[i].optional, closing(i))):
        if deadline.expired():
            break
        best: tuple[float, int, list[int]] | None = None
        for k, sequence in sequences.items():
            if deadline.expired():
                break
            for position in range(len(sequence) + 1):
                candidate = [*sequence[:position], i, *sequence[position:]]
                route = RoutePlan(k, _with_unloads(p, k, candidate))
                e = evaluate(p, RoutingPlan((route,), skipped=everyone))
                if not e.feasible:
                    continue
                extra = e.routes[0].cost - costs[k]
                if best is None or extra < best[0]:
                    best = (extra, k, candidate)
        if best is None:
            continue
        extra, k, candidate = best
        if p.stops[i].optional and extra >= p.stops[i].skip_penalty:
            continue
        sequences[k] = candidate
        costs[k] += extra
    return [RoutePlan(k, _with_unloads(p, k, seq)) for k, seq in sequences.items() if seq]


def _same_vehicle(p: RoutingProblem, a: int, b: int) -> bool:
    """True when vehicles a and b can swap routes without changing anything."""
    va, vb = p.vehicles[a], p.vehicles[b]
    fields = (
        "start",
        "end",
        "shift",
        "matrix",
        "capacities",
        "daily_capacities",
        "skills",
        "fixed_cost",
        "cost_per_hour",
        "cost_per_km",
        "max_route_duration",
        "max_stops",
        "breaks",
    )
    if any(getattr(va, f) != getattr(vb, f) for f in fields):
        return False
    return all(
        s.allowed_vehicles is None or ((a in s.allowed_vehicles) == (b in s.allowed_vehicles))
        for s in p.stops
    )


class _Builder:
    """Builds the PuLP model for one problem and reads a plan back from its solution."""

    def __init__(
        self, problem: RoutingProblem, exclude: frozenset[int], deadline: Deadline
    ) -> None:
        self.p = problem
        self.exclude = exclude
        self.deadline = deadline
        self.K = range(len(problem.vehicles))
        self.lp = pulp.LpProblem("routing", pulp.LpMinimize)

    # ----------------------------------------------------------------- structure
    def _eligible(self, i: int, k: int) -> bool:
        s, v = self.p.stops[i], self.p.vehicles[k]
        if s.allowed_vehicles is not None and k not in s.allowed_vehicles:
            return False
        if not s.required_skills <= v.skills:
            return False
        for limits in (v.capacities, v.daily_capacities):
            if limits is not None and any(
                d < len(limits) and q > limits[d] for d, q in enumerate(s.demands)
            ):
                return False
        return True

    def _demand(self, node: _Node, d: int) -> int:
        if not node.is_stop:
            return 0
        demands = self.p.stops[node.stop].demands
        return demands[d] if d < len(demands) else 0

    def _service(self, node: _Node) -> int:
        if node.is_stop:
            return self.p.stops[node.stop].service_duration
        return self.p.facilities[node.facility].unload_duration

    def _location(self, node: _Node) -> int:
        if node.is_stop:
            return self.p.stops[node.stop].location
        return self.p.facilities[node.facility].location

    def _windows(self, node: _Node) -> list[tuple[int, int]]:
        if node.is_stop:
            return [(w.start, w.end) for w in self.p.stops[node.stop].time_windows]
        opening = self.p.facilities[node.facility].opening
        return [] if opening is None else [(opening.start, opening.end)]

    def build(self) -> None:
        p = self.p
        stops = [i for i in range(len(p.stops)) if i not in self.exclude]
        self.model_stops = stops
        dims = range(p.n_dims)
        total = [sum(self._demand(_Node(stop=i), d) for i in stops) for d in dims]
        self.loaded = bool(p.facilities) and any(total)
        copies = 0
        if self.loaded:
            # Exact: a facility visit only pays after a trip with load, so no plan needs more
            # unloads than there are loaded stops (fewer copies could cut off the optimum).
            copies = sum(1 for i in stops if any(self._demand(_Node(stop=i), d) for d in dims))
        nodes = [_Node(stop=i) for i in stops]
        nodes += [_Node(facility=f) for f in range(len(p.facilities)) for _ in range(copies)]
        self.nodes = nodes
        N = range(len(nodes))
        eligible = {
            k: [n for n in N if not nodes[n].is_stop or self._eligible(nodes[n].stop, k)]
            for k in self.K
        }

        # Horizon: no sensible schedule starts anything later than this.
        max_travel = max((int(m.max()) for m in p.durations if m.size), default=0)
        window_starts = [a for n in N for a, _ in self._windows(nodes[n])]
        shift_starts = [v.shift.start for v in p.vehicles]
        horizon = (
            max(window_starts + shift_starts, default=0)
            + sum(self._service(nodes[n]) for n in N)
            + (len(nodes) + 1) * max_travel
        )
        self.horizon = horizon

        def earliest(n: int) -> int:
            windows = self._windows(nodes[n])
            lo = min((a for a, _ in windows), default=0)
            reach = [
                p.vehicles[k].shift.start
                + p.travel(k, p.vehicles[k].start, self._location(nodes[n]))
                for k in self.K
                if n in eligible_sets[k]
            ]
            return max(lo, min(reach, default=lo))

        def latest(n: int) -> int:
            windows = self._windows(nodes[n])
            hi = max((b for _, b in windows), default=horizon)
            back = [
                p.vehicles[k].shift.end
                - self._service(nodes[n])
                - p.travel(k, self._location(nodes[n]), p.vehicles[k].end)
                for k in self.K
                if n in eligible_sets[k]
            ]
            return min(hi, max(back, default=hi), horizon)

        eligible_sets = {k: set(eligible[k]) for k in self.K}
        a = [earliest(n) for n in N]
        b = [latest(n) for n in N]
        # A node no vehicle can start in time is left out of every route.
        impossible = {n for n in N if a[n] > b[n]}
        for k in self.K:
            eligible[k] = [n for n in eligible[k] if n not in impossible]
        b = [max(a[n], b[n]) for n in N]

        # Arcs per vehicle: START -> stop, node -> node (not facility -> facility), node -> END.
        S, E = "start", "end"
        arcs: dict[int, list[tuple[object, object]]] = {}
        for k in self.K:
            el = eligible[k]
            ks: list[tuple[object, object]] = [(S, n) for n in el if nodes[n].is_stop]
            ks += [
                (i, j)
                for i, j in itertools.permutations(el, 2)
                if nodes[i].is_stop or nodes[j].is_stop
            ]
            for n in el:
                # With facilities, a stop that loads anything cannot be the last visit.
                if not (
                    self.loaded
                    and nodes[n].is_stop
                    and any(self._demand(nodes[n], d) for d in dims)
                ):
                    ks.append((n, E))
            arcs[k] = ks
        n_arcs = sum(len(v) for v in arcs.values())
        if n_arcs > MAX_ARCS:
            raise SolverFailedError(
                f"milp: model too large ({len(stops)} stops, {len(p.vehicles)} vehicles)"
            )
        if n_arcs * BUILD_SECONDS_PER_ARC > 0.5 * self.deadline.remaining():
            raise SolverFailedError(
                f"milp: building a {n_arcs}-arc model would not leave time to solve it"
            )
        self.arcs = arcs
        lp = self.lp
        x = {
            (i, j, k): lp.add_variable(f"x_{i}_{j}_{k}", cat=pulp.LpBinary)
            for k in self.K
            for i, j in arcs[k]
        }
        self.x = x

        out_of: dict[tuple[object, int], list[pulp.LpVariable]] = {}
        into: dict[tuple[object, int], list[pulp.LpVariable]] = {}
        for (i, j, k), var in x.items():
            out_of.setdefault((i, k), []).append(var)
            into.setdefault((j, k), []).append(var)

        visit = {(n, k): pulp.lpSum(into.get((n, k), [])) for k in self.K for n in eligible[k]}
        served = {n: pulp.lpSum(visit[n, k] for k in self.K if (n, k) in visit) for n in N}
        used = {k: pulp.lpSum(out_of.get((S, k), [])) for k in self.K}
        for k in self.K:
            lp += used[k] <= 1, f"one_route_{k}"
            lp += pulp.lpSum(into.get((E, k), [])) == used[k], f"route_ends_{k}"
            for n in eligible[k]:
                lp += visit[n, k] == pulp.lpSum(out_of.get((n, k), [])), f"flow_{n}_{k}"
                # Valid for integer plans, and it keeps fixed costs in the LP relaxation.
                lp += visit[n, k] <= used[k], f"needs_vehicle_{n}_{k}"
        for n in N:
            lp += served[n] <= 1, f"once_{n}"
        # Interchangeable vehicles (symmetry breaking): number the routes of a class of identical
        # vehicles by their lowest stop, so the class's p-th vehicle is used only if the one
        # before it is, and it never serves a stop ranked below p.
        classes: list[list[int]] = []
        for k in self.K:
            for group in classes:
                if _same_vehicle(p, group[0], k):
                    group.append(k)
                    break
            else:
                classes.append([k])
        stop_rank = {n: r for r, n in enumerate(n for n in N if nodes[n].is_stop)}
        self.classes, self.stop_rank = classes, stop_rank
        for group in classes:
            for position, k in enumerate(group):
                if position:
                    lp += used[k] <= used[group[position - 1]], f"vehicle_order_{k}"
                for n in eligible[k]:
                    if nodes[n].is_stop and stop_rank[n] < position:
                        lp += visit[n, k] == 0, f"lowest_stop_{n}_{k}"
        # Facility copies of one facility are used in order (symmetry breaking).
        for n in N[1:]:
            if not nodes[n].is_stop and nodes[n - 1].facility == nodes[n].facility:
                lp += served[n] <= served[n - 1], f"copy_order_{n}"

        # Times: t[n] = start of service; dep/arr per vehicle.
        t = {n: lp.add_variable(f"t_{n}", a[n], b[n]) for n in N}
        dep, arr = {}, {}
        for k in self.K:
            v = p.vehicles[k]
            hi = max(v.shift.start, min(v.shift.end, horizon + max_travel))
            dep[k] = lp.add_variable(f"dep_{k}", v.shift.start, hi)
            arr[k] = lp.add_variable(f"arr_{k}", v.shift.start, hi)
            lp += arr[k] >= dep[k], f"dur_pos_{k}"
            if v.max_route_duration:
                lp += arr[k] - dep[k] <= v.max_route_duration, f"max_dur_{k}"
            if v.max_stops:
                lp += (
                    pulp.lpSum(visit[n, k] for n in eligible[k] if nodes[n].is_stop) <= v.max_stops,
                    f"max_stops_{k}",
                )
        for (i, j, k), var in x.items():
            v = p.vehicles[k]
            if i == S:
                travel = p.travel(k, v.start, self._location(nodes[j]))
                big = max(0, dep[k].upBound + travel - a[j])
                lp += t[j] >= dep[k] + travel - big * (1 - var), f"t_start_{j}_{k}"
            elif j == E:
                travel = p.travel(k, self._location(nodes[i]), v.end)
                step = self._service(nodes[i]) + travel
                big = max(0, b[i] + step - v.shift.start)
                lp += arr[k] >= t[i] + step - big * (1 - var), f"t_end_{i}_{k}"
            else:
                step = self._service(nodes[i]) + p.travel(
                    k, self._location(nodes[i]), self._location(nodes[j])
                )
                big = b[i] + step - a[j]
                if big > 0:
                    lp += t[j] >= t[i] + step - big * (1 - var), f"t_{i}_{j}_{k}"
        # Duration >= driving + service of the route: valid, and it gives the LP relaxation the
        # time cost that big-M propagation alone hides.
        for k in self.K:
            v = p.vehicles[k]
            work = []
            for (i, j, kk), var in x.items():
                if kk != k:
                    continue
                li = v.start if i == S else self._location(nodes[i])
                lj = v.end if j == E else self._location(nodes[j])
                step = p.travel(k, li, lj) + (0 if i == S else self._service(nodes[i]))
                if step:
                    work.append(step * var)
            if work:
                lp += arr[k] - dep[k] >= pulp.lpSum(work), f"work_{k}"
        # Zero-time arcs would allow subtours the time constraints cannot cut: order them.
        zero_pairs = {
            (i, j)
            for (i, j, k) in x
            if i not in (S, E)
            and j not in (S, E)
            and self._service(nodes[i])
            + p.travel(k, self._location(nodes[i]), self._location(nodes[j]))
            <= 0
        }
        if zero_pairs:
            u = {n: lp.add_variable(f"u_{n}", 1, len(nodes)) for n in N}
            for i, j in zero_pairs:
                arc_sum = pulp.lpSum(x[i, j, k] for k in self.K if (i, j, k) in x)
                lp += u[j] >= u[i] + 1 - len(nodes) * (1 - arc_sum), f"order_{i}_{j}"

        # Several windows: pick one.
        for n in N:
            windows = self._windows(nodes[n])
            if len(windows) > 1:
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

        # Loads: l[n, d] = load on board after node n (facility copies leave it at 0).
        need_loads = self.loaded or any(v.capacities is not None for v in p.vehicles)
        for d in dims:
            if not need_loads or not total[d]:
                continue
            big_load = total[d]
            load = {
                n: lp.add_variable(f"l_{n}_{d}", self._demand(nodes[n], d), big_load)
                for n in N
                if nodes[n].is_stop
            }
            for (i, j, k), var in x.items():
                if j in (S, E) or not nodes[j].is_stop or i == S or not nodes[i].is_stop:
                    continue
                lp += (
                    load[j] >= load[i] + self._demand(nodes[j], d) - big_load * (1 - var),
                    f"load_{i}_{j}_{k}_{d}",
                )
            for k in self.K:
                caps = p.vehicles[k].capacities
                if caps is None or d >= len(caps) or caps[d] >= big_load:
                    continue
                for n in eligible[k]:
                    if nodes[n].is_stop:
                        lp += (
                            load[n] <= caps[d] + (big_load - caps[d]) * (1 - visit[n, k]),
                            f"cap_{n}_{k}_{d}",
                        )
            if self.loaded:
                for n in N:
                    if nodes[n].is_stop and not self._demand(nodes[n], d):
                        into_end = pulp.lpSum(x[n, E, k] for k in self.K if (n, E, k) in x)
                        lp += load[n] <= big_load * (1 - into_end), f"unload_{n}_{d}"
            for k in self.K:
                daily = p.vehicles[k].daily_capacities
                if daily is not None and d < len(daily) and daily[d] < total[d]:
                    lp += (
                        pulp.lpSum(
                            self._demand(nodes[n], d) * visit[n, k]
                            for n in eligible[k]
                            if nodes[n].is_stop
                        )
                        <= daily[d],
                        f"daily_{k}_{d}",
                    )

        # Objective, in the contract's cost units, plus lexicographic weights.
        cost_terms = []
        upper = 0.0
        for k in self.K:
            v = p.vehicles[k]
            dist = p.distances[v.profile]
            cost_terms.append(v.fixed_cost * used[k])
            cost_terms.append(v.cost_per_hour / 3600.0 * (arr[k] - dep[k]))
            if dist is not None and v.cost_per_km:
                for (i, j, kk), var in x.items():
                    if kk != k:
                        continue
                    li = v.start if i == S else self._location(nodes[i])
                    lj = v.end if j == E else self._location(nodes[j])
                    cost_terms.append(v.cost_per_km / 1000.0 * int(dist[li, lj]) * var)
            span = v.shift.end - v.shift.start
            if v.max_route_duration:
                span = min(span, v.max_route_duration)
            span = min(span, horizon + max_travel)
            max_dist = int(dist.max()) if dist is not None and dist.size else 0
            upper += (
                v.fixed_cost
                + v.cost_per_hour * span / 3600.0
                + v.cost_per_km * max_dist * (len(nodes) + 1) / 1000.0
            )
        optional_penalty = [
            p.stops[nodes[n].stop].skip_penalty * (1 - served[n])
            for n in N
            if nodes[n].is_stop and p.stops[nodes[n].stop].optional
        ]
        upper += sum(s.skip_penalty for s in p.stops if s.optional)
        self.vehicle_weight = upper + 1.0 if p.minimize_vehicles_first else 0.0
        self.mandatory_weight = (len(p.vehicles) + 1) * (upper + 1.0) + 1.0
        self.constant = sum(p.stops[i].skip_penalty for i in self.exclude if p.stops[i].optional)
        mandatory_missed = [
            1 - served[n] for n in N if nodes[n].is_stop and not p.stops[nodes[n].stop].optional
        ]
        lp += (
            pulp.lpSum(cost_terms)
            + pulp.lpSum(optional_penalty)
            + self.vehicle_weight * pulp.lpSum(used.values())
            + self.mandatory_weight * pulp.lpSum(mandatory_missed)
        )
        self.dep = dep

    # ----------------------------------------------------------------- warm start
    def warm_start(self, deadline: Deadline) -> dict[pulp.LpVariable, float] | None:
        """Arc values of a greedy plan (every arc of the model set), or None when none fits.

        Only the binaries of the arcs are given; HiGHS completes times, loads and window choices.
        Skipped for larger models, where the greedy pass would eat the solving time.
        """
        if len(self.model_stops) > 40:
            return None
        routes = _greedy(self.p, self.model_stops, deadline)
        stop_node = {node.stop: n for n, node in enumerate(self.nodes) if node.is_stop}
        # Hand identical vehicles' routes out in the order the symmetry breaking demands.
        lowest = {
            r.vehicle: min(
                self.stop_rank[stop_node[v.ref]] for v in r.visits if v.kind is VisitKind.STOP
            )
            for r in routes
        }
        by_vehicle = {r.vehicle: r for r in routes}
        relabelled: list[RoutePlan] = []
        for group in self.classes:
            mine = sorted(
                (by_vehicle[k] for k in group if k in by_vehicle), key=lambda r: lowest[r.vehicle]
            )
            relabelled += [RoutePlan(k, r.visits) for k, r in zip(group, mine, strict=False)]
        routes = relabelled
        copies: dict[int, list[int]] = {}
        for n, node in enumerate(self.nodes):
            if not node.is_stop:
                copies.setdefault(node.facility, []).append(n)
        chosen: set[tuple[object, object, int]] = set()
        for route in routes:
            path: list[object] = ["start"]
            for visit in route.visits:
                if visit.kind is VisitKind.STOP:
                    path.append(stop_node[visit.ref])
                elif copies.get(visit.ref):
                    path.append(copies[visit.ref].pop(0))
                else:
                    return None
            path.append("end")
            for i, j in itertools.pairwise(path):
                if (i, j, route.vehicle) not in self.x:
                    return None
                chosen.add((i, j, route.vehicle))
        return {var: 1.0 if key in chosen else 0.0 for key, var in self.x.items()}

    # ----------------------------------------------------------------- reading back
    def plan(self) -> RoutingPlan:
        """Routes from the arc values; skipped stops with their reasons."""
        p, nodes = self.p, self.nodes
        successor: dict[tuple[object, int], object] = {}
        for (i, j, k), var in self.x.items():
            if var.value() is not None and var.value() > 0.5:
                successor[i, k] = j
        routes = []
        served: set[int] = set()
        for k in self.K:
            current = successor.get(("start", k))
            visits: list[PlannedVisit] = []
            steps = 0
            while current is not None and current != "end":
                node = nodes[current]  # type: ignore[index]
                if node.is_stop:
                    visits.append(PlannedVisit(VisitKind.STOP, node.stop))
                    served.add(node.stop)
                else:
                    visits.append(PlannedVisit(VisitKind.FACILITY, node.facility))
                current = successor.get((current, k))
                steps += 1
                if steps > len(nodes):
                    raise SolverFailedError("milp: solution has a cycle")
            if visits:
                departure = math.floor((self.dep[k].value() or 0.0) + 1e-6)
                departure = max(departure, p.vehicles[k].shift.start)
                routes.append(RoutePlan(k, tuple(visits), departure=departure))
        skipped: dict[int, SkipReason] = {
            i: explain(p, i) for i in range(len(p.stops)) if i not in served
        }
        self.mandatory_skipped = any(not p.stops[i].optional for i in skipped)
        return RoutingPlan(tuple(routes), skipped=skipped)

    def model_cost(self) -> float | None:
        """The model's objective in the contract's cost units (None when weights are active)."""
        if self.vehicle_weight > 0 or self.mandatory_skipped:
            return None
        value = pulp.value(self.lp.objective)
        return None if value is None else float(value) + self.constant

    def status_and_bound(self, engine: str, plan: RoutingPlan) -> tuple[Status, float | None]:
        """OPTIMAL only on a proven optimum within GAP_TOLERANCE; a bound in cost units if any."""
        lp = self.lp
        bound: float | None = None
        gap_ok = lp.sol_status == pulp.LpSolutionOptimal
        if engine == "pulp.highs":
            info = lp.solverModel.getInfo()
            gap_ok = gap_ok and (
                info.mip_gap <= GAP_TOLERANCE
                or abs(info.objective_function_value - info.mip_dual_bound) <= 1e-6
            )
            raw = info.mip_dual_bound
            lexicographic = self.vehicle_weight > 0 or self.mandatory_skipped
            if math.isfinite(raw) and not lexicographic:
                # PuLP does not hand the objective's constant to HiGHS: add it back.
                bound = raw + float(lp.objective.constant) + self.constant
        if lp.status == pulp.LpStatusOptimal and gap_ok:
            return Status.OPTIMAL, None
        return Status.FEASIBLE, bound
