import datetime

from dispatch._proto.dispatch.v1 import common_pb2 as _common_pb2
from dispatch._proto.dispatch.v1 import live_state_pb2 as _live_state_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Workload(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    WORKLOAD_UNSPECIFIED: _ClassVar[Workload]
    SANITATION: _ClassVar[Workload]
    MAINTENANCE: _ClassVar[Workload]
WORKLOAD_UNSPECIFIED: Workload
SANITATION: Workload
MAINTENANCE: Workload

class Break(_message.Message):
    __slots__ = ("id", "start_window", "duration")
    ID_FIELD_NUMBER: _ClassVar[int]
    START_WINDOW_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    id: str
    start_window: _common_pb2.TimeWindow
    duration: int
    def __init__(self, id: _Optional[str] = ..., start_window: _Optional[_Union[_common_pb2.TimeWindow, _Mapping]] = ..., duration: _Optional[int] = ...) -> None: ...

class Vehicle(_message.Message):
    __slots__ = ("id", "vehicle_type", "start_location_id", "end_location_id", "shift", "capacities", "daily_capacities", "skills", "fixed_cost", "cost_per_hour", "cost_per_km", "max_route_duration", "max_stops", "breaks")
    ID_FIELD_NUMBER: _ClassVar[int]
    VEHICLE_TYPE_FIELD_NUMBER: _ClassVar[int]
    START_LOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    END_LOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    SHIFT_FIELD_NUMBER: _ClassVar[int]
    CAPACITIES_FIELD_NUMBER: _ClassVar[int]
    DAILY_CAPACITIES_FIELD_NUMBER: _ClassVar[int]
    SKILLS_FIELD_NUMBER: _ClassVar[int]
    FIXED_COST_FIELD_NUMBER: _ClassVar[int]
    COST_PER_HOUR_FIELD_NUMBER: _ClassVar[int]
    COST_PER_KM_FIELD_NUMBER: _ClassVar[int]
    MAX_ROUTE_DURATION_FIELD_NUMBER: _ClassVar[int]
    MAX_STOPS_FIELD_NUMBER: _ClassVar[int]
    BREAKS_FIELD_NUMBER: _ClassVar[int]
    id: str
    vehicle_type: str
    start_location_id: str
    end_location_id: str
    shift: _common_pb2.TimeWindow
    capacities: _containers.RepeatedScalarFieldContainer[int]
    daily_capacities: _containers.RepeatedScalarFieldContainer[int]
    skills: _containers.RepeatedScalarFieldContainer[str]
    fixed_cost: float
    cost_per_hour: float
    cost_per_km: float
    max_route_duration: int
    max_stops: int
    breaks: _containers.RepeatedCompositeFieldContainer[Break]
    def __init__(self, id: _Optional[str] = ..., vehicle_type: _Optional[str] = ..., start_location_id: _Optional[str] = ..., end_location_id: _Optional[str] = ..., shift: _Optional[_Union[_common_pb2.TimeWindow, _Mapping]] = ..., capacities: _Optional[_Iterable[int]] = ..., daily_capacities: _Optional[_Iterable[int]] = ..., skills: _Optional[_Iterable[str]] = ..., fixed_cost: _Optional[float] = ..., cost_per_hour: _Optional[float] = ..., cost_per_km: _Optional[float] = ..., max_route_duration: _Optional[int] = ..., max_stops: _Optional[int] = ..., breaks: _Optional[_Iterable[_Union[Break, _Mapping]]] = ...) -> None: ...

class Stop(_message.Message):
    __slots__ = ("id", "location_id", "demands", "service_duration", "time_windows", "required_skills", "allowed_vehicle_ids", "optional", "skip_penalty")
    ID_FIELD_NUMBER: _ClassVar[int]
    LOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    DEMANDS_FIELD_NUMBER: _ClassVar[int]
    SERVICE_DURATION_FIELD_NUMBER: _ClassVar[int]
    TIME_WINDOWS_FIELD_NUMBER: _ClassVar[int]
    REQUIRED_SKILLS_FIELD_NUMBER: _ClassVar[int]
    ALLOWED_VEHICLE_IDS_FIELD_NUMBER: _ClassVar[int]
    OPTIONAL_FIELD_NUMBER: _ClassVar[int]
    SKIP_PENALTY_FIELD_NUMBER: _ClassVar[int]
    id: str
    location_id: str
    demands: _containers.RepeatedScalarFieldContainer[int]
    service_duration: int
    time_windows: _containers.RepeatedCompositeFieldContainer[_common_pb2.TimeWindow]
    required_skills: _containers.RepeatedScalarFieldContainer[str]
    allowed_vehicle_ids: _containers.RepeatedScalarFieldContainer[str]
    optional: bool
    skip_penalty: float
    def __init__(self, id: _Optional[str] = ..., location_id: _Optional[str] = ..., demands: _Optional[_Iterable[int]] = ..., service_duration: _Optional[int] = ..., time_windows: _Optional[_Iterable[_Union[_common_pb2.TimeWindow, _Mapping]]] = ..., required_skills: _Optional[_Iterable[str]] = ..., allowed_vehicle_ids: _Optional[_Iterable[str]] = ..., optional: _Optional[bool] = ..., skip_penalty: _Optional[float] = ...) -> None: ...

class Facility(_message.Message):
    __slots__ = ("id", "location_id", "opening", "unload_duration")
    ID_FIELD_NUMBER: _ClassVar[int]
    LOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    OPENING_FIELD_NUMBER: _ClassVar[int]
    UNLOAD_DURATION_FIELD_NUMBER: _ClassVar[int]
    id: str
    location_id: str
    opening: _common_pb2.TimeWindow
    unload_duration: int
    def __init__(self, id: _Optional[str] = ..., location_id: _Optional[str] = ..., opening: _Optional[_Union[_common_pb2.TimeWindow, _Mapping]] = ..., unload_duration: _Optional[int] = ...) -> None: ...

class VehicleTypeMatrix(_message.Message):
    __slots__ = ("vehicle_type", "travel")
    VEHICLE_TYPE_FIELD_NUMBER: _ClassVar[int]
    TRAVEL_FIELD_NUMBER: _ClassVar[int]
    vehicle_type: str
    travel: _common_pb2.TravelMatrix
    def __init__(self, vehicle_type: _Optional[str] = ..., travel: _Optional[_Union[_common_pb2.TravelMatrix, _Mapping]] = ...) -> None: ...

class TravelEstimate(_message.Message):
    __slots__ = ("metric", "detour_factor", "access_metres", "slow_kmh", "fast_kmh", "arterial_metres", "vehicle_type_speeds")
    class Metric(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        METRIC_UNSPECIFIED: _ClassVar[TravelEstimate.Metric]
        MANHATTAN: _ClassVar[TravelEstimate.Metric]
        STRAIGHT_LINE: _ClassVar[TravelEstimate.Metric]
    METRIC_UNSPECIFIED: TravelEstimate.Metric
    MANHATTAN: TravelEstimate.Metric
    STRAIGHT_LINE: TravelEstimate.Metric
    METRIC_FIELD_NUMBER: _ClassVar[int]
    DETOUR_FACTOR_FIELD_NUMBER: _ClassVar[int]
    ACCESS_METRES_FIELD_NUMBER: _ClassVar[int]
    SLOW_KMH_FIELD_NUMBER: _ClassVar[int]
    FAST_KMH_FIELD_NUMBER: _ClassVar[int]
    ARTERIAL_METRES_FIELD_NUMBER: _ClassVar[int]
    VEHICLE_TYPE_SPEEDS_FIELD_NUMBER: _ClassVar[int]
    metric: TravelEstimate.Metric
    detour_factor: float
    access_metres: float
    slow_kmh: float
    fast_kmh: float
    arterial_metres: float
    vehicle_type_speeds: _containers.RepeatedCompositeFieldContainer[VehicleTypeSpeed]
    def __init__(self, metric: _Optional[_Union[TravelEstimate.Metric, str]] = ..., detour_factor: _Optional[float] = ..., access_metres: _Optional[float] = ..., slow_kmh: _Optional[float] = ..., fast_kmh: _Optional[float] = ..., arterial_metres: _Optional[float] = ..., vehicle_type_speeds: _Optional[_Iterable[_Union[VehicleTypeSpeed, _Mapping]]] = ...) -> None: ...

class VehicleTypeSpeed(_message.Message):
    __slots__ = ("vehicle_type", "speed_factor")
    VEHICLE_TYPE_FIELD_NUMBER: _ClassVar[int]
    SPEED_FACTOR_FIELD_NUMBER: _ClassVar[int]
    vehicle_type: str
    speed_factor: float
    def __init__(self, vehicle_type: _Optional[str] = ..., speed_factor: _Optional[float] = ...) -> None: ...

class TravelPeriod(_message.Message):
    __slots__ = ("start", "end", "start_time_of_day", "end_time_of_day", "travel")
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    START_TIME_OF_DAY_FIELD_NUMBER: _ClassVar[int]
    END_TIME_OF_DAY_FIELD_NUMBER: _ClassVar[int]
    TRAVEL_FIELD_NUMBER: _ClassVar[int]
    start: int
    end: int
    start_time_of_day: str
    end_time_of_day: str
    travel: _common_pb2.TravelMatrix
    def __init__(self, start: _Optional[int] = ..., end: _Optional[int] = ..., start_time_of_day: _Optional[str] = ..., end_time_of_day: _Optional[str] = ..., travel: _Optional[_Union[_common_pb2.TravelMatrix, _Mapping]] = ...) -> None: ...

class TravelPeriods(_message.Message):
    __slots__ = ("vehicle_type", "time_zone", "periods")
    VEHICLE_TYPE_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    PERIODS_FIELD_NUMBER: _ClassVar[int]
    vehicle_type: str
    time_zone: str
    periods: _containers.RepeatedCompositeFieldContainer[TravelPeriod]
    def __init__(self, vehicle_type: _Optional[str] = ..., time_zone: _Optional[str] = ..., periods: _Optional[_Iterable[_Union[TravelPeriod, _Mapping]]] = ...) -> None: ...

class RoutingObjective(_message.Message):
    __slots__ = ("mode",)
    class Mode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        MODE_UNSPECIFIED: _ClassVar[RoutingObjective.Mode]
        MIN_COST: _ClassVar[RoutingObjective.Mode]
        MIN_VEHICLES_THEN_COST: _ClassVar[RoutingObjective.Mode]
    MODE_UNSPECIFIED: RoutingObjective.Mode
    MIN_COST: RoutingObjective.Mode
    MIN_VEHICLES_THEN_COST: RoutingObjective.Mode
    MODE_FIELD_NUMBER: _ClassVar[int]
    mode: RoutingObjective.Mode
    def __init__(self, mode: _Optional[_Union[RoutingObjective.Mode, str]] = ...) -> None: ...

class PlannedVisit(_message.Message):
    __slots__ = ("kind", "id")
    KIND_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    kind: Visit.Kind
    id: str
    def __init__(self, kind: _Optional[_Union[Visit.Kind, str]] = ..., id: _Optional[str] = ...) -> None: ...

class PlannedRoute(_message.Message):
    __slots__ = ("vehicle_id", "visits")
    VEHICLE_ID_FIELD_NUMBER: _ClassVar[int]
    VISITS_FIELD_NUMBER: _ClassVar[int]
    vehicle_id: str
    visits: _containers.RepeatedCompositeFieldContainer[PlannedVisit]
    def __init__(self, vehicle_id: _Optional[str] = ..., visits: _Optional[_Iterable[_Union[PlannedVisit, _Mapping]]] = ...) -> None: ...

class PlanRoutesRequest(_message.Message):
    __slots__ = ("label", "request_id", "options", "horizon_start", "workload", "location_ids", "travel", "vehicle_type_matrices", "load_dimensions", "vehicles", "stops", "facilities", "objective", "initial_routes", "location_coordinates", "reference_plan", "live_state", "travel_periods", "travel_estimate")
    LABEL_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    HORIZON_START_FIELD_NUMBER: _ClassVar[int]
    WORKLOAD_FIELD_NUMBER: _ClassVar[int]
    LOCATION_IDS_FIELD_NUMBER: _ClassVar[int]
    TRAVEL_FIELD_NUMBER: _ClassVar[int]
    VEHICLE_TYPE_MATRICES_FIELD_NUMBER: _ClassVar[int]
    LOAD_DIMENSIONS_FIELD_NUMBER: _ClassVar[int]
    VEHICLES_FIELD_NUMBER: _ClassVar[int]
    STOPS_FIELD_NUMBER: _ClassVar[int]
    FACILITIES_FIELD_NUMBER: _ClassVar[int]
    OBJECTIVE_FIELD_NUMBER: _ClassVar[int]
    INITIAL_ROUTES_FIELD_NUMBER: _ClassVar[int]
    LOCATION_COORDINATES_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_PLAN_FIELD_NUMBER: _ClassVar[int]
    LIVE_STATE_FIELD_NUMBER: _ClassVar[int]
    TRAVEL_PERIODS_FIELD_NUMBER: _ClassVar[int]
    TRAVEL_ESTIMATE_FIELD_NUMBER: _ClassVar[int]
    label: str
    request_id: str
    options: _common_pb2.SolveOptions
    horizon_start: _timestamp_pb2.Timestamp
    workload: Workload
    location_ids: _containers.RepeatedScalarFieldContainer[str]
    travel: _common_pb2.TravelMatrix
    vehicle_type_matrices: _containers.RepeatedCompositeFieldContainer[VehicleTypeMatrix]
    load_dimensions: _containers.RepeatedScalarFieldContainer[str]
    vehicles: _containers.RepeatedCompositeFieldContainer[Vehicle]
    stops: _containers.RepeatedCompositeFieldContainer[Stop]
    facilities: _containers.RepeatedCompositeFieldContainer[Facility]
    objective: RoutingObjective
    initial_routes: _containers.RepeatedCompositeFieldContainer[PlannedRoute]
    location_coordinates: _containers.RepeatedCompositeFieldContainer[_common_pb2.LatLng]
    reference_plan: ReferencePlan
    live_state: _live_state_pb2.LiveState
    travel_periods: _containers.RepeatedCompositeFieldContainer[TravelPeriods]
    travel_estimate: TravelEstimate
    def __init__(self, label: _Optional[str] = ..., request_id: _Optional[str] = ..., options: _Optional[_Union[_common_pb2.SolveOptions, _Mapping]] = ..., horizon_start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., workload: _Optional[_Union[Workload, str]] = ..., location_ids: _Optional[_Iterable[str]] = ..., travel: _Optional[_Union[_common_pb2.TravelMatrix, _Mapping]] = ..., vehicle_type_matrices: _Optional[_Iterable[_Union[VehicleTypeMatrix, _Mapping]]] = ..., load_dimensions: _Optional[_Iterable[str]] = ..., vehicles: _Optional[_Iterable[_Union[Vehicle, _Mapping]]] = ..., stops: _Optional[_Iterable[_Union[Stop, _Mapping]]] = ..., facilities: _Optional[_Iterable[_Union[Facility, _Mapping]]] = ..., objective: _Optional[_Union[RoutingObjective, _Mapping]] = ..., initial_routes: _Optional[_Iterable[_Union[PlannedRoute, _Mapping]]] = ..., location_coordinates: _Optional[_Iterable[_Union[_common_pb2.LatLng, _Mapping]]] = ..., reference_plan: _Optional[_Union[ReferencePlan, _Mapping]] = ..., live_state: _Optional[_Union[_live_state_pb2.LiveState, _Mapping]] = ..., travel_periods: _Optional[_Iterable[_Union[TravelPeriods, _Mapping]]] = ..., travel_estimate: _Optional[_Union[TravelEstimate, _Mapping]] = ...) -> None: ...

class Violation(_message.Message):
    __slots__ = ("type", "id", "amount", "detail")
    class Type(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        TYPE_UNSPECIFIED: _ClassVar[Violation.Type]
        TIME_WINDOW: _ClassVar[Violation.Type]
        CAPACITY: _ClassVar[Violation.Type]
        DAILY_CAPACITY: _ClassVar[Violation.Type]
        SKILLS: _ClassVar[Violation.Type]
        VEHICLE_NOT_ALLOWED: _ClassVar[Violation.Type]
        SHIFT: _ClassVar[Violation.Type]
        MAX_ROUTE_DURATION: _ClassVar[Violation.Type]
        MAX_STOPS: _ClassVar[Violation.Type]
        BREAK: _ClassVar[Violation.Type]
        DISPOSAL_BEFORE_END: _ClassVar[Violation.Type]
        DUPLICATE_VISIT: _ClassVar[Violation.Type]
        MISSING_MANDATORY_STOP: _ClassVar[Violation.Type]
        LOCK: _ClassVar[Violation.Type]
    TYPE_UNSPECIFIED: Violation.Type
    TIME_WINDOW: Violation.Type
    CAPACITY: Violation.Type
    DAILY_CAPACITY: Violation.Type
    SKILLS: Violation.Type
    VEHICLE_NOT_ALLOWED: Violation.Type
    SHIFT: Violation.Type
    MAX_ROUTE_DURATION: Violation.Type
    MAX_STOPS: Violation.Type
    BREAK: Violation.Type
    DISPOSAL_BEFORE_END: Violation.Type
    DUPLICATE_VISIT: Violation.Type
    MISSING_MANDATORY_STOP: Violation.Type
    LOCK: Violation.Type
    TYPE_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    type: Violation.Type
    id: str
    amount: int
    detail: str
    def __init__(self, type: _Optional[_Union[Violation.Type, str]] = ..., id: _Optional[str] = ..., amount: _Optional[int] = ..., detail: _Optional[str] = ...) -> None: ...

class Visit(_message.Message):
    __slots__ = ("kind", "id", "location_id", "arrival", "wait", "service_start", "service_end", "load_after", "travel_seconds", "travel_metres", "violations", "lateness", "earliness", "time_window_cost", "arrival_time", "service_start_time", "service_end_time")
    class Kind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        KIND_UNSPECIFIED: _ClassVar[Visit.Kind]
        START: _ClassVar[Visit.Kind]
        STOP: _ClassVar[Visit.Kind]
        FACILITY: _ClassVar[Visit.Kind]
        BREAK: _ClassVar[Visit.Kind]
        END: _ClassVar[Visit.Kind]
    KIND_UNSPECIFIED: Visit.Kind
    START: Visit.Kind
    STOP: Visit.Kind
    FACILITY: Visit.Kind
    BREAK: Visit.Kind
    END: Visit.Kind
    KIND_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    LOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    ARRIVAL_FIELD_NUMBER: _ClassVar[int]
    WAIT_FIELD_NUMBER: _ClassVar[int]
    SERVICE_START_FIELD_NUMBER: _ClassVar[int]
    SERVICE_END_FIELD_NUMBER: _ClassVar[int]
    LOAD_AFTER_FIELD_NUMBER: _ClassVar[int]
    TRAVEL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    TRAVEL_METRES_FIELD_NUMBER: _ClassVar[int]
    VIOLATIONS_FIELD_NUMBER: _ClassVar[int]
    LATENESS_FIELD_NUMBER: _ClassVar[int]
    EARLINESS_FIELD_NUMBER: _ClassVar[int]
    TIME_WINDOW_COST_FIELD_NUMBER: _ClassVar[int]
    ARRIVAL_TIME_FIELD_NUMBER: _ClassVar[int]
    SERVICE_START_TIME_FIELD_NUMBER: _ClassVar[int]
    SERVICE_END_TIME_FIELD_NUMBER: _ClassVar[int]
    kind: Visit.Kind
    id: str
    location_id: str
    arrival: int
    wait: int
    service_start: int
    service_end: int
    load_after: _containers.RepeatedScalarFieldContainer[int]
    travel_seconds: int
    travel_metres: int
    violations: _containers.RepeatedCompositeFieldContainer[Violation]
    lateness: int
    earliness: int
    time_window_cost: float
    arrival_time: _timestamp_pb2.Timestamp
    service_start_time: _timestamp_pb2.Timestamp
    service_end_time: _timestamp_pb2.Timestamp
    def __init__(self, kind: _Optional[_Union[Visit.Kind, str]] = ..., id: _Optional[str] = ..., location_id: _Optional[str] = ..., arrival: _Optional[int] = ..., wait: _Optional[int] = ..., service_start: _Optional[int] = ..., service_end: _Optional[int] = ..., load_after: _Optional[_Iterable[int]] = ..., travel_seconds: _Optional[int] = ..., travel_metres: _Optional[int] = ..., violations: _Optional[_Iterable[_Union[Violation, _Mapping]]] = ..., lateness: _Optional[int] = ..., earliness: _Optional[int] = ..., time_window_cost: _Optional[float] = ..., arrival_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., service_start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., service_end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RouteTotals(_message.Message):
    __slots__ = ("duration", "travel_seconds", "travel_metres", "service_seconds", "wait_seconds", "break_seconds", "stops", "trips", "load_collected", "cost")
    DURATION_FIELD_NUMBER: _ClassVar[int]
    TRAVEL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    TRAVEL_METRES_FIELD_NUMBER: _ClassVar[int]
    SERVICE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    WAIT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    BREAK_SECONDS_FIELD_NUMBER: _ClassVar[int]
    STOPS_FIELD_NUMBER: _ClassVar[int]
    TRIPS_FIELD_NUMBER: _ClassVar[int]
    LOAD_COLLECTED_FIELD_NUMBER: _ClassVar[int]
    COST_FIELD_NUMBER: _ClassVar[int]
    duration: int
    travel_seconds: int
    travel_metres: int
    service_seconds: int
    wait_seconds: int
    break_seconds: int
    stops: int
    trips: int
    load_collected: _containers.RepeatedScalarFieldContainer[int]
    cost: float
    def __init__(self, duration: _Optional[int] = ..., travel_seconds: _Optional[int] = ..., travel_metres: _Optional[int] = ..., service_seconds: _Optional[int] = ..., wait_seconds: _Optional[int] = ..., break_seconds: _Optional[int] = ..., stops: _Optional[int] = ..., trips: _Optional[int] = ..., load_collected: _Optional[_Iterable[int]] = ..., cost: _Optional[float] = ...) -> None: ...

class Route(_message.Message):
    __slots__ = ("vehicle_id", "visits", "totals", "violations", "start_time", "end_time")
    VEHICLE_ID_FIELD_NUMBER: _ClassVar[int]
    VISITS_FIELD_NUMBER: _ClassVar[int]
    TOTALS_FIELD_NUMBER: _ClassVar[int]
    VIOLATIONS_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    vehicle_id: str
    visits: _containers.RepeatedCompositeFieldContainer[Visit]
    totals: RouteTotals
    violations: _containers.RepeatedCompositeFieldContainer[Violation]
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    def __init__(self, vehicle_id: _Optional[str] = ..., visits: _Optional[_Iterable[_Union[Visit, _Mapping]]] = ..., totals: _Optional[_Union[RouteTotals, _Mapping]] = ..., violations: _Optional[_Iterable[_Union[Violation, _Mapping]]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class UnkeptLock(_message.Message):
    __slots__ = ("stop_id", "vehicle_id", "level", "served", "reason", "detail")
    STOP_ID_FIELD_NUMBER: _ClassVar[int]
    VEHICLE_ID_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    SERVED_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    stop_id: str
    vehicle_id: str
    level: _live_state_pb2.RelaxationLevel
    served: bool
    reason: SkippedStop.Reason
    detail: str
    def __init__(self, stop_id: _Optional[str] = ..., vehicle_id: _Optional[str] = ..., level: _Optional[_Union[_live_state_pb2.RelaxationLevel, str]] = ..., served: _Optional[bool] = ..., reason: _Optional[_Union[SkippedStop.Reason, str]] = ..., detail: _Optional[str] = ...) -> None: ...

class SkippedStop(_message.Message):
    __slots__ = ("stop_id", "reason", "detail")
    class Reason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        REASON_UNSPECIFIED: _ClassVar[SkippedStop.Reason]
        NO_VEHICLE_WITH_SKILLS: _ClassVar[SkippedStop.Reason]
        DEMAND_EXCEEDS_CAPACITY: _ClassVar[SkippedStop.Reason]
        CANNOT_MEET_TIME_WINDOW: _ClassVar[SkippedStop.Reason]
        SHIFT_TOO_SHORT: _ClassVar[SkippedStop.Reason]
        SKIPPED_FOR_COST: _ClassVar[SkippedStop.Reason]
        NO_CAPACITY_LEFT: _ClassVar[SkippedStop.Reason]
    REASON_UNSPECIFIED: SkippedStop.Reason
    NO_VEHICLE_WITH_SKILLS: SkippedStop.Reason
    DEMAND_EXCEEDS_CAPACITY: SkippedStop.Reason
    CANNOT_MEET_TIME_WINDOW: SkippedStop.Reason
    SHIFT_TOO_SHORT: SkippedStop.Reason
    SKIPPED_FOR_COST: SkippedStop.Reason
    NO_CAPACITY_LEFT: SkippedStop.Reason
    STOP_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    stop_id: str
    reason: SkippedStop.Reason
    detail: str
    def __init__(self, stop_id: _Optional[str] = ..., reason: _Optional[_Union[SkippedStop.Reason, str]] = ..., detail: _Optional[str] = ...) -> None: ...

class RouteKpis(_message.Message):
    __slots__ = ("vehicles_used", "travel_seconds", "travel_metres", "utilisation", "idle_seconds", "on_time_share", "stops_served", "stops_skipped", "total_cost", "late_stops", "lateness_seconds", "max_lateness_seconds", "early_stops", "earliness_seconds")
    VEHICLES_USED_FIELD_NUMBER: _ClassVar[int]
    TRAVEL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    TRAVEL_METRES_FIELD_NUMBER: _ClassVar[int]
    UTILISATION_FIELD_NUMBER: _ClassVar[int]
    IDLE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    ON_TIME_SHARE_FIELD_NUMBER: _ClassVar[int]
    STOPS_SERVED_FIELD_NUMBER: _ClassVar[int]
    STOPS_SKIPPED_FIELD_NUMBER: _ClassVar[int]
    TOTAL_COST_FIELD_NUMBER: _ClassVar[int]
    LATE_STOPS_FIELD_NUMBER: _ClassVar[int]
    LATENESS_SECONDS_FIELD_NUMBER: _ClassVar[int]
    MAX_LATENESS_SECONDS_FIELD_NUMBER: _ClassVar[int]
    EARLY_STOPS_FIELD_NUMBER: _ClassVar[int]
    EARLINESS_SECONDS_FIELD_NUMBER: _ClassVar[int]
    vehicles_used: int
    travel_seconds: int
    travel_metres: int
    utilisation: float
    idle_seconds: int
    on_time_share: float
    stops_served: int
    stops_skipped: int
    total_cost: float
    late_stops: int
    lateness_seconds: int
    max_lateness_seconds: int
    early_stops: int
    earliness_seconds: int
    def __init__(self, vehicles_used: _Optional[int] = ..., travel_seconds: _Optional[int] = ..., travel_metres: _Optional[int] = ..., utilisation: _Optional[float] = ..., idle_seconds: _Optional[int] = ..., on_time_share: _Optional[float] = ..., stops_served: _Optional[int] = ..., stops_skipped: _Optional[int] = ..., total_cost: _Optional[float] = ..., late_stops: _Optional[int] = ..., lateness_seconds: _Optional[int] = ..., max_lateness_seconds: _Optional[int] = ..., early_stops: _Optional[int] = ..., earliness_seconds: _Optional[int] = ...) -> None: ...

class PlanRoutesResponse(_message.Message):
    __slots__ = ("label", "request_id", "solve_info", "routes", "skipped_stops", "kpis", "diff", "unkept_locks", "horizon_start")
    LABEL_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    SOLVE_INFO_FIELD_NUMBER: _ClassVar[int]
    ROUTES_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_STOPS_FIELD_NUMBER: _ClassVar[int]
    KPIS_FIELD_NUMBER: _ClassVar[int]
    DIFF_FIELD_NUMBER: _ClassVar[int]
    UNKEPT_LOCKS_FIELD_NUMBER: _ClassVar[int]
    HORIZON_START_FIELD_NUMBER: _ClassVar[int]
    label: str
    request_id: str
    solve_info: _common_pb2.SolveInfo
    routes: _containers.RepeatedCompositeFieldContainer[Route]
    skipped_stops: _containers.RepeatedCompositeFieldContainer[SkippedStop]
    kpis: RouteKpis
    diff: PlanDiff
    unkept_locks: _containers.RepeatedCompositeFieldContainer[UnkeptLock]
    horizon_start: _timestamp_pb2.Timestamp
    def __init__(self, label: _Optional[str] = ..., request_id: _Optional[str] = ..., solve_info: _Optional[_Union[_common_pb2.SolveInfo, _Mapping]] = ..., routes: _Optional[_Iterable[_Union[Route, _Mapping]]] = ..., skipped_stops: _Optional[_Iterable[_Union[SkippedStop, _Mapping]]] = ..., kpis: _Optional[_Union[RouteKpis, _Mapping]] = ..., diff: _Optional[_Union[PlanDiff, _Mapping]] = ..., unkept_locks: _Optional[_Iterable[_Union[UnkeptLock, _Mapping]]] = ..., horizon_start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class EvaluatePlanRequest(_message.Message):
    __slots__ = ("label", "request_id", "problem", "routes")
    LABEL_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    PROBLEM_FIELD_NUMBER: _ClassVar[int]
    ROUTES_FIELD_NUMBER: _ClassVar[int]
    label: str
    request_id: str
    problem: PlanRoutesRequest
    routes: _containers.RepeatedCompositeFieldContainer[PlannedRoute]
    def __init__(self, label: _Optional[str] = ..., request_id: _Optional[str] = ..., problem: _Optional[_Union[PlanRoutesRequest, _Mapping]] = ..., routes: _Optional[_Iterable[_Union[PlannedRoute, _Mapping]]] = ...) -> None: ...

class EvaluatePlanResponse(_message.Message):
    __slots__ = ("label", "request_id", "routes", "violations", "feasible", "kpis", "objective_terms", "horizon_start")
    LABEL_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ROUTES_FIELD_NUMBER: _ClassVar[int]
    VIOLATIONS_FIELD_NUMBER: _ClassVar[int]
    FEASIBLE_FIELD_NUMBER: _ClassVar[int]
    KPIS_FIELD_NUMBER: _ClassVar[int]
    OBJECTIVE_TERMS_FIELD_NUMBER: _ClassVar[int]
    HORIZON_START_FIELD_NUMBER: _ClassVar[int]
    label: str
    request_id: str
    routes: _containers.RepeatedCompositeFieldContainer[Route]
    violations: _containers.RepeatedCompositeFieldContainer[Violation]
    feasible: bool
    kpis: RouteKpis
    objective_terms: _containers.RepeatedCompositeFieldContainer[_common_pb2.ObjectiveTerm]
    horizon_start: _timestamp_pb2.Timestamp
    def __init__(self, label: _Optional[str] = ..., request_id: _Optional[str] = ..., routes: _Optional[_Iterable[_Union[Route, _Mapping]]] = ..., violations: _Optional[_Iterable[_Union[Violation, _Mapping]]] = ..., feasible: _Optional[bool] = ..., kpis: _Optional[_Union[RouteKpis, _Mapping]] = ..., objective_terms: _Optional[_Iterable[_Union[_common_pb2.ObjectiveTerm, _Mapping]]] = ..., horizon_start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ReferencePlan(_message.Message):
    __slots__ = ("routes",)
    ROUTES_FIELD_NUMBER: _ClassVar[int]
    routes: _containers.RepeatedCompositeFieldContainer[PlannedRoute]
    def __init__(self, routes: _Optional[_Iterable[_Union[PlannedRoute, _Mapping]]] = ...) -> None: ...

class StopChange(_message.Message):
    __slots__ = ("stop_id", "change", "reference_vehicle_id", "vehicle_id", "reference_position", "position", "reference_service_start", "service_start", "eta_shift", "still_requested")
    class Change(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        CHANGE_UNSPECIFIED: _ClassVar[StopChange.Change]
        UNCHANGED: _ClassVar[StopChange.Change]
        ADDED: _ClassVar[StopChange.Change]
        DROPPED: _ClassVar[StopChange.Change]
        MOVED: _ClassVar[StopChange.Change]
        REORDERED: _ClassVar[StopChange.Change]
    CHANGE_UNSPECIFIED: StopChange.Change
    UNCHANGED: StopChange.Change
    ADDED: StopChange.Change
    DROPPED: StopChange.Change
    MOVED: StopChange.Change
    REORDERED: StopChange.Change
    STOP_ID_FIELD_NUMBER: _ClassVar[int]
    CHANGE_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_VEHICLE_ID_FIELD_NUMBER: _ClassVar[int]
    VEHICLE_ID_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_POSITION_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_SERVICE_START_FIELD_NUMBER: _ClassVar[int]
    SERVICE_START_FIELD_NUMBER: _ClassVar[int]
    ETA_SHIFT_FIELD_NUMBER: _ClassVar[int]
    STILL_REQUESTED_FIELD_NUMBER: _ClassVar[int]
    stop_id: str
    change: StopChange.Change
    reference_vehicle_id: str
    vehicle_id: str
    reference_position: int
    position: int
    reference_service_start: int
    service_start: int
    eta_shift: int
    still_requested: bool
    def __init__(self, stop_id: _Optional[str] = ..., change: _Optional[_Union[StopChange.Change, str]] = ..., reference_vehicle_id: _Optional[str] = ..., vehicle_id: _Optional[str] = ..., reference_position: _Optional[int] = ..., position: _Optional[int] = ..., reference_service_start: _Optional[int] = ..., service_start: _Optional[int] = ..., eta_shift: _Optional[int] = ..., still_requested: _Optional[bool] = ...) -> None: ...

class CrewChange(_message.Message):
    __slots__ = ("vehicle_id", "reference_next_stop_id", "next_stop_id", "next_stop_changed", "reference_stops", "stops")
    VEHICLE_ID_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_NEXT_STOP_ID_FIELD_NUMBER: _ClassVar[int]
    NEXT_STOP_ID_FIELD_NUMBER: _ClassVar[int]
    NEXT_STOP_CHANGED_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_STOPS_FIELD_NUMBER: _ClassVar[int]
    STOPS_FIELD_NUMBER: _ClassVar[int]
    vehicle_id: str
    reference_next_stop_id: str
    next_stop_id: str
    next_stop_changed: bool
    reference_stops: int
    stops: int
    def __init__(self, vehicle_id: _Optional[str] = ..., reference_next_stop_id: _Optional[str] = ..., next_stop_id: _Optional[str] = ..., next_stop_changed: _Optional[bool] = ..., reference_stops: _Optional[int] = ..., stops: _Optional[int] = ...) -> None: ...

class ChurnKpis(_message.Message):
    __slots__ = ("stops_unchanged", "stops_added", "stops_dropped", "stops_moved", "stops_reordered", "crews_next_stop_changed", "stops_shifted", "eta_shift_total_seconds", "eta_shift_max_seconds")
    STOPS_UNCHANGED_FIELD_NUMBER: _ClassVar[int]
    STOPS_ADDED_FIELD_NUMBER: _ClassVar[int]
    STOPS_DROPPED_FIELD_NUMBER: _ClassVar[int]
    STOPS_MOVED_FIELD_NUMBER: _ClassVar[int]
    STOPS_REORDERED_FIELD_NUMBER: _ClassVar[int]
    CREWS_NEXT_STOP_CHANGED_FIELD_NUMBER: _ClassVar[int]
    STOPS_SHIFTED_FIELD_NUMBER: _ClassVar[int]
    ETA_SHIFT_TOTAL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    ETA_SHIFT_MAX_SECONDS_FIELD_NUMBER: _ClassVar[int]
    stops_unchanged: int
    stops_added: int
    stops_dropped: int
    stops_moved: int
    stops_reordered: int
    crews_next_stop_changed: int
    stops_shifted: int
    eta_shift_total_seconds: int
    eta_shift_max_seconds: int
    def __init__(self, stops_unchanged: _Optional[int] = ..., stops_added: _Optional[int] = ..., stops_dropped: _Optional[int] = ..., stops_moved: _Optional[int] = ..., stops_reordered: _Optional[int] = ..., crews_next_stop_changed: _Optional[int] = ..., stops_shifted: _Optional[int] = ..., eta_shift_total_seconds: _Optional[int] = ..., eta_shift_max_seconds: _Optional[int] = ...) -> None: ...

class PlanDiff(_message.Message):
    __slots__ = ("stops", "crews", "kpis")
    STOPS_FIELD_NUMBER: _ClassVar[int]
    CREWS_FIELD_NUMBER: _ClassVar[int]
    KPIS_FIELD_NUMBER: _ClassVar[int]
    stops: _containers.RepeatedCompositeFieldContainer[StopChange]
    crews: _containers.RepeatedCompositeFieldContainer[CrewChange]
    kpis: ChurnKpis
    def __init__(self, stops: _Optional[_Iterable[_Union[StopChange, _Mapping]]] = ..., crews: _Optional[_Iterable[_Union[CrewChange, _Mapping]]] = ..., kpis: _Optional[_Union[ChurnKpis, _Mapping]] = ...) -> None: ...
