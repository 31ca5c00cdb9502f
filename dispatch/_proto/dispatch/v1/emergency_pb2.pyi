import datetime

from dispatch._proto.dispatch.v1 import common_pb2 as _common_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Unit(_message.Message):
    __slots__ = ("id", "agency", "capabilities", "status", "current_incident_id", "home_district", "position", "turnout_seconds", "free_at_seconds", "free_location_id")
    class Status(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        STATUS_UNSPECIFIED: _ClassVar[Unit.Status]
        AVAILABLE: _ClassVar[Unit.Status]
        EN_ROUTE: _ClassVar[Unit.Status]
        BUSY: _ClassVar[Unit.Status]
        AT_POST: _ClassVar[Unit.Status]
        TRANSPORTING: _ClassVar[Unit.Status]
        AT_HOSPITAL: _ClassVar[Unit.Status]
        RETURNING: _ClassVar[Unit.Status]
        OUT_OF_SERVICE: _ClassVar[Unit.Status]
    STATUS_UNSPECIFIED: Unit.Status
    AVAILABLE: Unit.Status
    EN_ROUTE: Unit.Status
    BUSY: Unit.Status
    AT_POST: Unit.Status
    TRANSPORTING: Unit.Status
    AT_HOSPITAL: Unit.Status
    RETURNING: Unit.Status
    OUT_OF_SERVICE: Unit.Status
    ID_FIELD_NUMBER: _ClassVar[int]
    AGENCY_FIELD_NUMBER: _ClassVar[int]
    CAPABILITIES_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CURRENT_INCIDENT_ID_FIELD_NUMBER: _ClassVar[int]
    HOME_DISTRICT_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    TURNOUT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    FREE_AT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    FREE_LOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    agency: str
    capabilities: _containers.RepeatedScalarFieldContainer[str]
    status: Unit.Status
    current_incident_id: str
    home_district: str
    position: _common_pb2.LatLng
    turnout_seconds: int
    free_at_seconds: int
    free_location_id: str
    def __init__(self, id: _Optional[str] = ..., agency: _Optional[str] = ..., capabilities: _Optional[_Iterable[str]] = ..., status: _Optional[_Union[Unit.Status, str]] = ..., current_incident_id: _Optional[str] = ..., home_district: _Optional[str] = ..., position: _Optional[_Union[_common_pb2.LatLng, _Mapping]] = ..., turnout_seconds: _Optional[int] = ..., free_at_seconds: _Optional[int] = ..., free_location_id: _Optional[str] = ...) -> None: ...

class Requirement(_message.Message):
    __slots__ = ("capability", "count", "response_target_seconds", "first_unit_target_seconds")
    CAPABILITY_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_TARGET_SECONDS_FIELD_NUMBER: _ClassVar[int]
    FIRST_UNIT_TARGET_SECONDS_FIELD_NUMBER: _ClassVar[int]
    capability: str
    count: int
    response_target_seconds: int
    first_unit_target_seconds: int
    def __init__(self, capability: _Optional[str] = ..., count: _Optional[int] = ..., response_target_seconds: _Optional[int] = ..., first_unit_target_seconds: _Optional[int] = ...) -> None: ...

class Incident(_message.Message):
    __slots__ = ("id", "priority", "district", "requirements", "response_target_seconds", "position")
    ID_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    DISTRICT_FIELD_NUMBER: _ClassVar[int]
    REQUIREMENTS_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_TARGET_SECONDS_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    id: str
    priority: int
    district: str
    requirements: _containers.RepeatedCompositeFieldContainer[Requirement]
    response_target_seconds: int
    position: _common_pb2.LatLng
    def __init__(self, id: _Optional[str] = ..., priority: _Optional[int] = ..., district: _Optional[str] = ..., requirements: _Optional[_Iterable[_Union[Requirement, _Mapping]]] = ..., response_target_seconds: _Optional[int] = ..., position: _Optional[_Union[_common_pb2.LatLng, _Mapping]] = ...) -> None: ...

class CoverageRule(_message.Message):
    __slots__ = ("district_id", "capability", "min_units", "max_travel_seconds")
    DISTRICT_ID_FIELD_NUMBER: _ClassVar[int]
    CAPABILITY_FIELD_NUMBER: _ClassVar[int]
    MIN_UNITS_FIELD_NUMBER: _ClassVar[int]
    MAX_TRAVEL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    district_id: str
    capability: str
    min_units: int
    max_travel_seconds: int
    def __init__(self, district_id: _Optional[str] = ..., capability: _Optional[str] = ..., min_units: _Optional[int] = ..., max_travel_seconds: _Optional[int] = ...) -> None: ...

class AssignUnitsRequest(_message.Message):
    __slots__ = ("label", "request_id", "options", "horizon_start", "units", "incidents", "unit_to_incident", "district_ids", "unit_to_district", "coverage_rules", "max_travel_seconds", "allow_reassignment", "allow_soon_free_units", "location_ids", "location_to_incident", "move_up")
    LABEL_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    HORIZON_START_FIELD_NUMBER: _ClassVar[int]
    UNITS_FIELD_NUMBER: _ClassVar[int]
    INCIDENTS_FIELD_NUMBER: _ClassVar[int]
    UNIT_TO_INCIDENT_FIELD_NUMBER: _ClassVar[int]
    DISTRICT_IDS_FIELD_NUMBER: _ClassVar[int]
    UNIT_TO_DISTRICT_FIELD_NUMBER: _ClassVar[int]
    COVERAGE_RULES_FIELD_NUMBER: _ClassVar[int]
    MAX_TRAVEL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    ALLOW_REASSIGNMENT_FIELD_NUMBER: _ClassVar[int]
    ALLOW_SOON_FREE_UNITS_FIELD_NUMBER: _ClassVar[int]
    LOCATION_IDS_FIELD_NUMBER: _ClassVar[int]
    LOCATION_TO_INCIDENT_FIELD_NUMBER: _ClassVar[int]
    MOVE_UP_FIELD_NUMBER: _ClassVar[int]
    label: str
    request_id: str
    options: _common_pb2.SolveOptions
    horizon_start: _timestamp_pb2.Timestamp
    units: _containers.RepeatedCompositeFieldContainer[Unit]
    incidents: _containers.RepeatedCompositeFieldContainer[Incident]
    unit_to_incident: _common_pb2.TravelMatrix
    district_ids: _containers.RepeatedScalarFieldContainer[str]
    unit_to_district: _common_pb2.TravelMatrix
    coverage_rules: _containers.RepeatedCompositeFieldContainer[CoverageRule]
    max_travel_seconds: int
    allow_reassignment: bool
    allow_soon_free_units: bool
    location_ids: _containers.RepeatedScalarFieldContainer[str]
    location_to_incident: _common_pb2.TravelMatrix
    move_up: MoveUpRequest
    def __init__(self, label: _Optional[str] = ..., request_id: _Optional[str] = ..., options: _Optional[_Union[_common_pb2.SolveOptions, _Mapping]] = ..., horizon_start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., units: _Optional[_Iterable[_Union[Unit, _Mapping]]] = ..., incidents: _Optional[_Iterable[_Union[Incident, _Mapping]]] = ..., unit_to_incident: _Optional[_Union[_common_pb2.TravelMatrix, _Mapping]] = ..., district_ids: _Optional[_Iterable[str]] = ..., unit_to_district: _Optional[_Union[_common_pb2.TravelMatrix, _Mapping]] = ..., coverage_rules: _Optional[_Iterable[_Union[CoverageRule, _Mapping]]] = ..., max_travel_seconds: _Optional[int] = ..., allow_reassignment: _Optional[bool] = ..., allow_soon_free_units: _Optional[bool] = ..., location_ids: _Optional[_Iterable[str]] = ..., location_to_incident: _Optional[_Union[_common_pb2.TravelMatrix, _Mapping]] = ..., move_up: _Optional[_Union[MoveUpRequest, _Mapping]] = ...) -> None: ...

class UnitAssignment(_message.Message):
    __slots__ = ("unit_id", "capability", "eta_seconds", "within_target", "already_committed", "reassigned", "wait_seconds", "turnout_seconds")
    UNIT_ID_FIELD_NUMBER: _ClassVar[int]
    CAPABILITY_FIELD_NUMBER: _ClassVar[int]
    ETA_SECONDS_FIELD_NUMBER: _ClassVar[int]
    WITHIN_TARGET_FIELD_NUMBER: _ClassVar[int]
    ALREADY_COMMITTED_FIELD_NUMBER: _ClassVar[int]
    REASSIGNED_FIELD_NUMBER: _ClassVar[int]
    WAIT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    TURNOUT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    unit_id: str
    capability: str
    eta_seconds: int
    within_target: bool
    already_committed: bool
    reassigned: bool
    wait_seconds: int
    turnout_seconds: int
    def __init__(self, unit_id: _Optional[str] = ..., capability: _Optional[str] = ..., eta_seconds: _Optional[int] = ..., within_target: _Optional[bool] = ..., already_committed: _Optional[bool] = ..., reassigned: _Optional[bool] = ..., wait_seconds: _Optional[int] = ..., turnout_seconds: _Optional[int] = ...) -> None: ...

class UnfilledSlot(_message.Message):
    __slots__ = ("capability", "count", "reason")
    class Reason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        REASON_UNSPECIFIED: _ClassVar[UnfilledSlot.Reason]
        NO_UNIT_WITH_CAPABILITY: _ClassVar[UnfilledSlot.Reason]
        ALL_CAPABLE_UNITS_COMMITTED: _ClassVar[UnfilledSlot.Reason]
        TAKEN_BY_HIGHER_PRIORITY: _ClassVar[UnfilledSlot.Reason]
        BEYOND_MAX_TRAVEL_TIME: _ClassVar[UnfilledSlot.Reason]
        NOT_FILLED_BY_SOLVER: _ClassVar[UnfilledSlot.Reason]
    REASON_UNSPECIFIED: UnfilledSlot.Reason
    NO_UNIT_WITH_CAPABILITY: UnfilledSlot.Reason
    ALL_CAPABLE_UNITS_COMMITTED: UnfilledSlot.Reason
    TAKEN_BY_HIGHER_PRIORITY: UnfilledSlot.Reason
    BEYOND_MAX_TRAVEL_TIME: UnfilledSlot.Reason
    NOT_FILLED_BY_SOLVER: UnfilledSlot.Reason
    CAPABILITY_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    capability: str
    count: int
    reason: UnfilledSlot.Reason
    def __init__(self, capability: _Optional[str] = ..., count: _Optional[int] = ..., reason: _Optional[_Union[UnfilledSlot.Reason, str]] = ...) -> None: ...

class IncidentAssignment(_message.Message):
    __slots__ = ("incident_id", "priority", "units", "unfilled", "fully_staffed", "last_arrival_seconds", "within_target")
    INCIDENT_ID_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    UNITS_FIELD_NUMBER: _ClassVar[int]
    UNFILLED_FIELD_NUMBER: _ClassVar[int]
    FULLY_STAFFED_FIELD_NUMBER: _ClassVar[int]
    LAST_ARRIVAL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    WITHIN_TARGET_FIELD_NUMBER: _ClassVar[int]
    incident_id: str
    priority: int
    units: _containers.RepeatedCompositeFieldContainer[UnitAssignment]
    unfilled: _containers.RepeatedCompositeFieldContainer[UnfilledSlot]
    fully_staffed: bool
    last_arrival_seconds: int
    within_target: bool
    def __init__(self, incident_id: _Optional[str] = ..., priority: _Optional[int] = ..., units: _Optional[_Iterable[_Union[UnitAssignment, _Mapping]]] = ..., unfilled: _Optional[_Iterable[_Union[UnfilledSlot, _Mapping]]] = ..., fully_staffed: _Optional[bool] = ..., last_arrival_seconds: _Optional[int] = ..., within_target: _Optional[bool] = ...) -> None: ...

class Reassignment(_message.Message):
    __slots__ = ("unit_id", "from_incident_id", "to_incident_id")
    UNIT_ID_FIELD_NUMBER: _ClassVar[int]
    FROM_INCIDENT_ID_FIELD_NUMBER: _ClassVar[int]
    TO_INCIDENT_ID_FIELD_NUMBER: _ClassVar[int]
    unit_id: str
    from_incident_id: str
    to_incident_id: str
    def __init__(self, unit_id: _Optional[str] = ..., from_incident_id: _Optional[str] = ..., to_incident_id: _Optional[str] = ...) -> None: ...

class CoverageStatus(_message.Message):
    __slots__ = ("district_id", "capability", "required_units", "available_units", "met")
    DISTRICT_ID_FIELD_NUMBER: _ClassVar[int]
    CAPABILITY_FIELD_NUMBER: _ClassVar[int]
    REQUIRED_UNITS_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_UNITS_FIELD_NUMBER: _ClassVar[int]
    MET_FIELD_NUMBER: _ClassVar[int]
    district_id: str
    capability: str
    required_units: int
    available_units: int
    met: bool
    def __init__(self, district_id: _Optional[str] = ..., capability: _Optional[str] = ..., required_units: _Optional[int] = ..., available_units: _Optional[int] = ..., met: _Optional[bool] = ...) -> None: ...

class PriorityKpi(_message.Message):
    __slots__ = ("priority", "incidents", "fully_staffed", "share_within_target", "mean_response_seconds", "max_response_seconds", "slots", "slots_filled", "slots_within_target", "share_slots_within_target", "first_unit_targets", "first_unit_targets_met")
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    INCIDENTS_FIELD_NUMBER: _ClassVar[int]
    FULLY_STAFFED_FIELD_NUMBER: _ClassVar[int]
    SHARE_WITHIN_TARGET_FIELD_NUMBER: _ClassVar[int]
    MEAN_RESPONSE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    MAX_RESPONSE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    SLOTS_FIELD_NUMBER: _ClassVar[int]
    SLOTS_FILLED_FIELD_NUMBER: _ClassVar[int]
    SLOTS_WITHIN_TARGET_FIELD_NUMBER: _ClassVar[int]
    SHARE_SLOTS_WITHIN_TARGET_FIELD_NUMBER: _ClassVar[int]
    FIRST_UNIT_TARGETS_FIELD_NUMBER: _ClassVar[int]
    FIRST_UNIT_TARGETS_MET_FIELD_NUMBER: _ClassVar[int]
    priority: int
    incidents: int
    fully_staffed: int
    share_within_target: float
    mean_response_seconds: float
    max_response_seconds: int
    slots: int
    slots_filled: int
    slots_within_target: int
    share_slots_within_target: float
    first_unit_targets: int
    first_unit_targets_met: int
    def __init__(self, priority: _Optional[int] = ..., incidents: _Optional[int] = ..., fully_staffed: _Optional[int] = ..., share_within_target: _Optional[float] = ..., mean_response_seconds: _Optional[float] = ..., max_response_seconds: _Optional[int] = ..., slots: _Optional[int] = ..., slots_filled: _Optional[int] = ..., slots_within_target: _Optional[int] = ..., share_slots_within_target: _Optional[float] = ..., first_unit_targets: _Optional[int] = ..., first_unit_targets_met: _Optional[int] = ...) -> None: ...

class AssignmentKpis(_message.Message):
    __slots__ = ("incidents", "fully_staffed", "share_within_target", "by_priority", "units_dispatched", "units_reassigned")
    INCIDENTS_FIELD_NUMBER: _ClassVar[int]
    FULLY_STAFFED_FIELD_NUMBER: _ClassVar[int]
    SHARE_WITHIN_TARGET_FIELD_NUMBER: _ClassVar[int]
    BY_PRIORITY_FIELD_NUMBER: _ClassVar[int]
    UNITS_DISPATCHED_FIELD_NUMBER: _ClassVar[int]
    UNITS_REASSIGNED_FIELD_NUMBER: _ClassVar[int]
    incidents: int
    fully_staffed: int
    share_within_target: float
    by_priority: _containers.RepeatedCompositeFieldContainer[PriorityKpi]
    units_dispatched: int
    units_reassigned: int
    def __init__(self, incidents: _Optional[int] = ..., fully_staffed: _Optional[int] = ..., share_within_target: _Optional[float] = ..., by_priority: _Optional[_Iterable[_Union[PriorityKpi, _Mapping]]] = ..., units_dispatched: _Optional[int] = ..., units_reassigned: _Optional[int] = ...) -> None: ...

class AssignUnitsResponse(_message.Message):
    __slots__ = ("label", "request_id", "solve_info", "incidents", "reassignments", "coverage", "kpis", "move_up")
    LABEL_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    SOLVE_INFO_FIELD_NUMBER: _ClassVar[int]
    INCIDENTS_FIELD_NUMBER: _ClassVar[int]
    REASSIGNMENTS_FIELD_NUMBER: _ClassVar[int]
    COVERAGE_FIELD_NUMBER: _ClassVar[int]
    KPIS_FIELD_NUMBER: _ClassVar[int]
    MOVE_UP_FIELD_NUMBER: _ClassVar[int]
    label: str
    request_id: str
    solve_info: _common_pb2.SolveInfo
    incidents: _containers.RepeatedCompositeFieldContainer[IncidentAssignment]
    reassignments: _containers.RepeatedCompositeFieldContainer[Reassignment]
    coverage: _containers.RepeatedCompositeFieldContainer[CoverageStatus]
    kpis: AssignmentKpis
    move_up: MoveUpAnswer
    def __init__(self, label: _Optional[str] = ..., request_id: _Optional[str] = ..., solve_info: _Optional[_Union[_common_pb2.SolveInfo, _Mapping]] = ..., incidents: _Optional[_Iterable[_Union[IncidentAssignment, _Mapping]]] = ..., reassignments: _Optional[_Iterable[_Union[Reassignment, _Mapping]]] = ..., coverage: _Optional[_Iterable[_Union[CoverageStatus, _Mapping]]] = ..., kpis: _Optional[_Union[AssignmentKpis, _Mapping]] = ..., move_up: _Optional[_Union[MoveUpAnswer, _Mapping]] = ...) -> None: ...

class Post(_message.Message):
    __slots__ = ("id", "position")
    ID_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    id: str
    position: _common_pb2.LatLng
    def __init__(self, id: _Optional[str] = ..., position: _Optional[_Union[_common_pb2.LatLng, _Mapping]] = ...) -> None: ...

class ZoneDemand(_message.Message):
    __slots__ = ("district_id", "calls_per_hour")
    DISTRICT_ID_FIELD_NUMBER: _ClassVar[int]
    CALLS_PER_HOUR_FIELD_NUMBER: _ClassVar[int]
    district_id: str
    calls_per_hour: float
    def __init__(self, district_id: _Optional[str] = ..., calls_per_hour: _Optional[float] = ...) -> None: ...

class UnitPost(_message.Message):
    __slots__ = ("unit_id", "post_id")
    UNIT_ID_FIELD_NUMBER: _ClassVar[int]
    POST_ID_FIELD_NUMBER: _ClassVar[int]
    unit_id: str
    post_id: str
    def __init__(self, unit_id: _Optional[str] = ..., post_id: _Optional[str] = ...) -> None: ...

class MoveUpRequest(_message.Message):
    __slots__ = ("posts", "zones", "post_to_district", "unit_to_post", "unit_posts", "coverage_radius_seconds", "busy_fraction", "move_cost", "max_moves", "max_move_seconds", "capability")
    POSTS_FIELD_NUMBER: _ClassVar[int]
    ZONES_FIELD_NUMBER: _ClassVar[int]
    POST_TO_DISTRICT_FIELD_NUMBER: _ClassVar[int]
    UNIT_TO_POST_FIELD_NUMBER: _ClassVar[int]
    UNIT_POSTS_FIELD_NUMBER: _ClassVar[int]
    COVERAGE_RADIUS_SECONDS_FIELD_NUMBER: _ClassVar[int]
    BUSY_FRACTION_FIELD_NUMBER: _ClassVar[int]
    MOVE_COST_FIELD_NUMBER: _ClassVar[int]
    MAX_MOVES_FIELD_NUMBER: _ClassVar[int]
    MAX_MOVE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    CAPABILITY_FIELD_NUMBER: _ClassVar[int]
    posts: _containers.RepeatedCompositeFieldContainer[Post]
    zones: _containers.RepeatedCompositeFieldContainer[ZoneDemand]
    post_to_district: _common_pb2.TravelMatrix
    unit_to_post: _common_pb2.TravelMatrix
    unit_posts: _containers.RepeatedCompositeFieldContainer[UnitPost]
    coverage_radius_seconds: int
    busy_fraction: float
    move_cost: float
    max_moves: int
    max_move_seconds: int
    capability: str
    def __init__(self, posts: _Optional[_Iterable[_Union[Post, _Mapping]]] = ..., zones: _Optional[_Iterable[_Union[ZoneDemand, _Mapping]]] = ..., post_to_district: _Optional[_Union[_common_pb2.TravelMatrix, _Mapping]] = ..., unit_to_post: _Optional[_Union[_common_pb2.TravelMatrix, _Mapping]] = ..., unit_posts: _Optional[_Iterable[_Union[UnitPost, _Mapping]]] = ..., coverage_radius_seconds: _Optional[int] = ..., busy_fraction: _Optional[float] = ..., move_cost: _Optional[float] = ..., max_moves: _Optional[int] = ..., max_move_seconds: _Optional[int] = ..., capability: _Optional[str] = ...) -> None: ...

class MoveUpCoverage(_message.Message):
    __slots__ = ("expected_calls_per_hour", "share", "districts_uncovered")
    EXPECTED_CALLS_PER_HOUR_FIELD_NUMBER: _ClassVar[int]
    SHARE_FIELD_NUMBER: _ClassVar[int]
    DISTRICTS_UNCOVERED_FIELD_NUMBER: _ClassVar[int]
    expected_calls_per_hour: float
    share: float
    districts_uncovered: int
    def __init__(self, expected_calls_per_hour: _Optional[float] = ..., share: _Optional[float] = ..., districts_uncovered: _Optional[int] = ...) -> None: ...

class Relocation(_message.Message):
    __slots__ = ("unit_id", "from_post_id", "to_post_id", "travel_seconds")
    UNIT_ID_FIELD_NUMBER: _ClassVar[int]
    FROM_POST_ID_FIELD_NUMBER: _ClassVar[int]
    TO_POST_ID_FIELD_NUMBER: _ClassVar[int]
    TRAVEL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    unit_id: str
    from_post_id: str
    to_post_id: str
    travel_seconds: int
    def __init__(self, unit_id: _Optional[str] = ..., from_post_id: _Optional[str] = ..., to_post_id: _Optional[str] = ..., travel_seconds: _Optional[int] = ...) -> None: ...

class MoveUpAnswer(_message.Message):
    __slots__ = ("before_dispatch", "after_dispatch", "after_moves", "relocations", "total_calls_per_hour", "solve_info")
    BEFORE_DISPATCH_FIELD_NUMBER: _ClassVar[int]
    AFTER_DISPATCH_FIELD_NUMBER: _ClassVar[int]
    AFTER_MOVES_FIELD_NUMBER: _ClassVar[int]
    RELOCATIONS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_CALLS_PER_HOUR_FIELD_NUMBER: _ClassVar[int]
    SOLVE_INFO_FIELD_NUMBER: _ClassVar[int]
    before_dispatch: MoveUpCoverage
    after_dispatch: MoveUpCoverage
    after_moves: MoveUpCoverage
    relocations: _containers.RepeatedCompositeFieldContainer[Relocation]
    total_calls_per_hour: float
    solve_info: _common_pb2.SolveInfo
    def __init__(self, before_dispatch: _Optional[_Union[MoveUpCoverage, _Mapping]] = ..., after_dispatch: _Optional[_Union[MoveUpCoverage, _Mapping]] = ..., after_moves: _Optional[_Union[MoveUpCoverage, _Mapping]] = ..., relocations: _Optional[_Iterable[_Union[Relocation, _Mapping]]] = ..., total_calls_per_hour: _Optional[float] = ..., solve_info: _Optional[_Union[_common_pb2.SolveInfo, _Mapping]] = ...) -> None: ...
