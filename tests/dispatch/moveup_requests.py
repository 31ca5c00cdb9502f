"""A small AssignUnits request with a move-up section, for the move-up tests (valid as built).

Three districts and three posts on a line 600 s apart (post k in district k), radius 300 s.
Ambulances A and B stand at the west post, C at the east post; one P1 call in the east takes C,
which leaves the east (3 calls per hour) uncovered until A or B moves there.
"""

from __future__ import annotations

from dispatch._proto.dispatch.v1 import common_pb2, emergency_pb2

AVAILABLE = emergency_pb2.Unit.AVAILABLE
LINE = [[0, 600, 1200], [600, 0, 600], [1200, 600, 0]]


def moveup_request(max_moves: int = 1) -> emergency_pb2.AssignUnitsRequest:
    """The line city after a call in the east; move-up with up to ``max_moves`` moves."""
    at = {"A": 0, "B": 0, "C": 2}
    request = emergency_pb2.AssignUnitsRequest(
        label="move-up line city",
        units=[emergency_pb2.Unit(id=u, capabilities=["ambulance"], status=AVAILABLE) for u in at],
        incidents=[
            emergency_pb2.Incident(
                id="call-east",
                priority=1,
                response_target_seconds=480,
                requirements=[emergency_pb2.Requirement(capability="ambulance", count=1)],
            )
        ],
        unit_to_incident=common_pb2.TravelMatrix(durations=[LINE[p][2] + 60 for p in at.values()]),
        district_ids=["west", "centre", "east"],
        unit_to_district=common_pb2.TravelMatrix(
            durations=[t for p in at.values() for t in LINE[p]]
        ),
    )
    spec = request.move_up
    spec.posts.extend(emergency_pb2.Post(id=f"post-{d}") for d in request.district_ids)
    spec.zones.extend(
        emergency_pb2.ZoneDemand(district_id=d, calls_per_hour=rate)
        for d, rate in zip(request.district_ids, (1.0, 1.0, 3.0), strict=True)
    )
    spec.post_to_district.durations.extend(t for row in LINE for t in row)
    spec.unit_to_post.durations.extend(t for p in at.values() for t in LINE[p])
    spec.unit_posts.extend(
        emergency_pb2.UnitPost(unit_id=u, post_id=f"post-{request.district_ids[p]}")
        for u, p in at.items()
    )
    spec.coverage_radius_seconds = 300
    spec.move_cost = 0.1
    spec.max_moves = max_moves
    return request
