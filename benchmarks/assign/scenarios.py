"""Generated city scenarios with a fixed seed: units, incidents, travel times, coverage rules.

A square city of districts; units and incidents are points; travel seconds are Manhattan
distance at ~8 m/s plus a small random delay. Capabilities mirror a multi-agency CAD: EMS
(ambulance, als), fire (engine, ladder), police, public works (tow).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from solvers.assignment.model import AssignmentProblem, CoverageRule, UnitStatus

CAPABILITIES = ("ambulance", "als", "engine", "ladder", "police", "tow")
#: (agency, capability sets with their weights)
AGENCIES = (
    ("ems", ((("ambulance",), 0.6), (("ambulance", "als"), 0.4)), 0.35),
    ("fire", ((("engine",), 0.7), (("engine", "ladder"), 0.3)), 0.25),
    ("police", ((("police",), 1.0),), 0.3),
    ("public_works", ((("tow",), 1.0),), 0.1),
)
#: Incident types: (requirements, weight)
INCIDENT_TYPES = (
    ({"ambulance": 1}, 0.35),
    ({"ambulance": 1, "als": 1}, 0.1),
    ({"engine": 2, "ladder": 1, "ambulance": 1}, 0.1),
    ({"engine": 1}, 0.1),
    ({"police": 1}, 0.2),
    ({"police": 2, "ambulance": 1}, 0.1),
    ({"tow": 1, "police": 1}, 0.05),
)
TARGETS = {1: 480, 2: 720, 3: 1200, 4: 1800, 5: 0}


def city_problem(
    n_incidents: int,
    n_units: int,
    seed: int,
    coverage: bool = False,
    share_en_route: float = 0.05,
    share_busy: float = 0.1,
    allow_reassignment: bool = True,
    city_metres: float = 20_000.0,
) -> AssignmentProblem:
    """One scenario; the same arguments give the same problem."""
    rng = np.random.default_rng(seed)
    cap_index = {c: k for k, c in enumerate(CAPABILITIES)}
    agency_p = np.array([a[2] for a in AGENCIES])
    agency_p /= agency_p.sum()
    unit_caps = np.zeros((n_units, len(CAPABILITIES)), dtype=bool)
    for u in range(n_units):
        _, kinds, _ = AGENCIES[rng.choice(len(AGENCIES), p=agency_p)]
        weights = np.array([w for _, w in kinds])
        caps, _ = kinds[rng.choice(len(kinds), p=weights / weights.sum())]
        for c in caps:
            unit_caps[u, cap_index[c]] = True
    unit_xy = rng.uniform(0, city_metres, size=(n_units, 2))
    incident_xy = rng.uniform(0, city_metres, size=(n_incidents, 2))
    type_p = np.array([t[1] for t in INCIDENT_TYPES])
    requirements = np.zeros((n_incidents, len(CAPABILITIES)), dtype=np.int64)
    for i in range(n_incidents):
        needs, _ = INCIDENT_TYPES[rng.choice(len(INCIDENT_TYPES), p=type_p / type_p.sum())]
        for c, k in needs.items():
            requirements[i, cap_index[c]] = k
    priorities = rng.choice([1, 2, 3, 4, 5], size=n_incidents, p=[0.15, 0.25, 0.3, 0.2, 0.1])
    targets = np.array([TARGETS[int(p)] for p in priorities], dtype=np.int64)

    def seconds(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        metres = np.abs(a[:, None, 0] - b[None, :, 0]) + np.abs(a[:, None, 1] - b[None, :, 1])
        return (metres / 8.0 + rng.integers(0, 60, size=metres.shape)).astype(np.int64)

    travel = seconds(unit_xy, incident_xy)
    status = np.full(n_units, int(UnitStatus.AVAILABLE), dtype=np.int64)
    commitment = np.full(n_units, -1, dtype=np.int64)
    draw = rng.uniform(size=n_units)
    for u in range(n_units):
        if n_incidents and draw[u] < share_en_route:
            status[u] = UnitStatus.EN_ROUTE
            commitment[u] = rng.integers(n_incidents)
        elif draw[u] < share_en_route + share_busy:
            status[u] = UnitStatus.BUSY
            if n_incidents and rng.uniform() < 0.5:
                commitment[u] = rng.integers(n_incidents)

    district_ids: tuple[str, ...] = ()
    unit_to_district = None
    rules: tuple[CoverageRule, ...] = ()
    if coverage:
        side = 4 if n_units < 1000 else 6
        centres = (
            np.stack(np.meshgrid(np.arange(side), np.arange(side)), -1).reshape(-1, 2) + 0.5
        ) * (city_metres / side)
        district_ids = tuple(f"d{k}" for k in range(len(centres)))
        unit_to_district = seconds(unit_xy, centres)
        # Tight enough that some rules fall short and the coverage stage has work to do.
        reach, need = (600, 1) if n_units < 1000 else (300, 2)
        rule_list = []
        for d in range(len(centres)):
            for cap in ("ambulance", "engine"):
                rule_list.append(CoverageRule(d, cap_index[cap], need, reach))
        rules = tuple(rule_list)

    return AssignmentProblem(
        unit_ids=tuple(f"u{u}" for u in range(n_units)),
        incident_ids=tuple(f"i{i}" for i in range(n_incidents)),
        capabilities=CAPABILITIES,
        unit_capabilities=unit_caps,
        status=status,
        commitment=commitment,
        priorities=priorities.astype(np.int64),
        targets=targets,
        requirements=requirements,
        travel=travel,
        district_ids=district_ids,
        unit_to_district=unit_to_district,
        coverage_rules=rules,
        max_travel=0,
        allow_reassignment=allow_reassignment,
        label=f"city-{n_incidents}x{n_units}-seed{seed}",
    )


def one_to_one_problem(n_incidents: int, n_units: int, seed: int) -> AssignmentProblem:
    """A city scenario that a linear sum assignment solves exactly (``benchmarks.assign.lsa``).

    The same city as ``city_problem`` with the same seed, minus what a one-slot-per-unit cost
    matrix cannot express: no coverage rules and no unit committed to an incident of the request
    (no en-route units; busy units stay busy elsewhere, so they take no part in the plan).
    """
    base = city_problem(n_incidents, n_units, seed, coverage=False, share_en_route=0.0)
    return replace(
        base,
        commitment=np.full(n_units, -1, dtype=np.int64),
        label=f"city-1to1-{n_incidents}x{n_units}-seed{seed}",
    )
