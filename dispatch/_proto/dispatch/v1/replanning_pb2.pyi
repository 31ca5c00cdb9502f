import datetime

from dispatch._proto.dispatch.v1 import common_pb2 as _common_pb2
from dispatch._proto.dispatch.v1 import routing_pb2 as _routing_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AdviseInsertionRequest(_message.Message):
    __slots__ = ("label", "request_id", "options", "problem", "routes", "job_id", "new_stops", "max_options", "several_per_vehicle")
    LABEL_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    PROBLEM_FIELD_NUMBER: _ClassVar[int]
    ROUTES_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    NEW_STOPS_FIELD_NUMBER: _ClassVar[int]
    MAX_OPTIONS_FIELD_NUMBER: _ClassVar[int]
    SEVERAL_PER_VEHICLE_FIELD_NUMBER: _ClassVar[int]
    label: str
    request_id: str
    options: _common_pb2.SolveOptions
    problem: _routing_pb2.PlanRoutesRequest
    routes: _containers.RepeatedCompositeFieldContainer[_routing_pb2.PlannedRoute]
    job_id: str
    new_stops: _containers.RepeatedCompositeFieldContainer[_routing_pb2.Stop]
    max_options: int
    several_per_vehicle: bool
    def __init__(self, label: _Optional[str] = ..., request_id: _Optional[str] = ..., options: _Optional[_Union[_common_pb2.SolveOptions, _Mapping]] = ..., problem: _Optional[_Union[_routing_pb2.PlanRoutesRequest, _Mapping]] = ..., routes: _Optional[_Iterable[_Union[_routing_pb2.PlannedRoute, _Mapping]]] = ..., job_id: _Optional[str] = ..., new_stops: _Optional[_Iterable[_Union[_routing_pb2.Stop, _Mapping]]] = ..., max_options: _Optional[int] = ..., several_per_vehicle: _Optional[bool] = ...) -> None: ...

class InsertionOption(_message.Message):
    __slots__ = ("vehicle_id", "new_route", "route", "position", "after_id", "before_id", "arrival", "service_start", "cost_delta", "travel_seconds_delta", "duration_delta", "lateness", "delayed", "total_delay_seconds", "max_delay_seconds")
    VEHICLE_ID_FIELD_NUMBER: _ClassVar[int]
    NEW_ROUTE_FIELD_NUMBER: _ClassVar[int]
    ROUTE_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    AFTER_ID_FIELD_NUMBER: _ClassVar[int]
    BEFORE_ID_FIELD_NUMBER: _ClassVar[int]
    ARRIVAL_FIELD_NUMBER: _ClassVar[int]
    SERVICE_START_FIELD_NUMBER: _ClassVar[int]
    COST_DELTA_FIELD_NUMBER: _ClassVar[int]
    TRAVEL_SECONDS_DELTA_FIELD_NUMBER: _ClassVar[int]
    DURATION_DELTA_FIELD_NUMBER: _ClassVar[int]
    LATENESS_FIELD_NUMBER: _ClassVar[int]
    DELAYED_FIELD_NUMBER: _ClassVar[int]
    TOTAL_DELAY_SECONDS_FIELD_NUMBER: _ClassVar[int]
    MAX_DELAY_SECONDS_FIELD_NUMBER: _ClassVar[int]
    vehicle_id: str
    new_route: bool
    route: _routing_pb2.PlannedRoute
    position: int
    after_id: str
    before_id: str
    arrival: int
    service_start: int
    cost_delta: float
    travel_seconds_delta: int
    duration_delta: int
    lateness: int
    delayed: _containers.RepeatedCompositeFieldContainer[DelayedStop]
    total_delay_seconds: int
    max_delay_seconds: int
    def __init__(self, vehicle_id: _Optional[str] = ..., new_route: _Optional[bool] = ..., route: _Optional[_Union[_routing_pb2.PlannedRoute, _Mapping]] = ..., position: _Optional[int] = ..., after_id: _Optional[str] = ..., before_id: _Optional[str] = ..., arrival: _Optional[int] = ..., service_start: _Optional[int] = ..., cost_delta: _Optional[float] = ..., travel_seconds_delta: _Optional[int] = ..., duration_delta: _Optional[int] = ..., lateness: _Optional[int] = ..., delayed: _Optional[_Iterable[_Union[DelayedStop, _Mapping]]] = ..., total_delay_seconds: _Optional[int] = ..., max_delay_seconds: _Optional[int] = ...) -> None: ...

class DelayedStop(_message.Message):
    __slots__ = ("stop_id", "service_start_before", "service_start_after", "delay")
    STOP_ID_FIELD_NUMBER: _ClassVar[int]
    SERVICE_START_BEFORE_FIELD_NUMBER: _ClassVar[int]
    SERVICE_START_AFTER_FIELD_NUMBER: _ClassVar[int]
    DELAY_FIELD_NUMBER: _ClassVar[int]
    stop_id: str
    service_start_before: int
    service_start_after: int
    delay: int
    def __init__(self, stop_id: _Optional[str] = ..., service_start_before: _Optional[int] = ..., service_start_after: _Optional[int] = ..., delay: _Optional[int] = ...) -> None: ...

class InsertionRejections(_message.Message):
    __slots__ = ("time_window", "shift", "capacity")
    TIME_WINDOW_FIELD_NUMBER: _ClassVar[int]
    SHIFT_FIELD_NUMBER: _ClassVar[int]
    CAPACITY_FIELD_NUMBER: _ClassVar[int]
    time_window: int
    shift: int
    capacity: int
    def __init__(self, time_window: _Optional[int] = ..., shift: _Optional[int] = ..., capacity: _Optional[int] = ...) -> None: ...

class StopInsertionAdvice(_message.Message):
    __slots__ = ("stop_id", "options", "reason", "detail", "rejections", "routes_checked", "complete")
    STOP_ID_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    REJECTIONS_FIELD_NUMBER: _ClassVar[int]
    ROUTES_CHECKED_FIELD_NUMBER: _ClassVar[int]
    COMPLETE_FIELD_NUMBER: _ClassVar[int]
    stop_id: str
    options: _containers.RepeatedCompositeFieldContainer[InsertionOption]
    reason: _routing_pb2.SkippedStop.Reason
    detail: str
    rejections: InsertionRejections
    routes_checked: int
    complete: bool
    def __init__(self, stop_id: _Optional[str] = ..., options: _Optional[_Iterable[_Union[InsertionOption, _Mapping]]] = ..., reason: _Optional[_Union[_routing_pb2.SkippedStop.Reason, str]] = ..., detail: _Optional[str] = ..., rejections: _Optional[_Union[InsertionRejections, _Mapping]] = ..., routes_checked: _Optional[int] = ..., complete: _Optional[bool] = ...) -> None: ...

class AdviseInsertionResponse(_message.Message):
    __slots__ = ("label", "request_id", "advice", "vehicles_with_violations", "wall_time")
    LABEL_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ADVICE_FIELD_NUMBER: _ClassVar[int]
    VEHICLES_WITH_VIOLATIONS_FIELD_NUMBER: _ClassVar[int]
    WALL_TIME_FIELD_NUMBER: _ClassVar[int]
    label: str
    request_id: str
    advice: _containers.RepeatedCompositeFieldContainer[StopInsertionAdvice]
    vehicles_with_violations: _containers.RepeatedScalarFieldContainer[str]
    wall_time: _duration_pb2.Duration
    def __init__(self, label: _Optional[str] = ..., request_id: _Optional[str] = ..., advice: _Optional[_Iterable[_Union[StopInsertionAdvice, _Mapping]]] = ..., vehicles_with_violations: _Optional[_Iterable[str]] = ..., wall_time: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...
