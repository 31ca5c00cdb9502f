"""The parameters of the road-like travel estimate, in a module of their own.

They are the contract's defaults for ``TravelEstimate`` too, so request validation reads them
here without importing the decomposition (``solvers.routing.decompose``) that uses them.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Detour of the street network over the Manhattan distance.
DETOUR = 1.25
#: Metres added to every arc: leaving a kerb and finding the address.
ACCESS_M = 150.0
SLOW_KMH = 30.0
FAST_KMH = 40.0
#: Arc length (metres) from which the fast speed applies.
ARTERIAL_M = 6_000.0


@dataclass(frozen=True)
class RoadModel:
    """How plane metres become road metres and seconds (see
    :class:`~solvers.routing.decompose.travel.CoordinateTravel`).

    ``straight`` measures arcs as straight lines on the plane instead of Manhattan metres.
    """

    detour: float = DETOUR
    access_m: float = ACCESS_M
    slow_kmh: float = SLOW_KMH
    fast_kmh: float = FAST_KMH
    arterial_m: float = ARTERIAL_M
    straight: bool = False
