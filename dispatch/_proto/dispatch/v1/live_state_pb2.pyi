from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RelaxationLevel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RELAXATION_LEVEL_UNSPECIFIED: _ClassVar[RelaxationLevel]
    KEEP_SEQUENCE: _ClassVar[RelaxationLevel]
    KEEP_VEHICLE: _ClassVar[RelaxationLevel]
    FREE: _ClassVar[RelaxationLevel]
RELAXATION_LEVEL_UNSPECIFIED: RelaxationLevel
KEEP_SEQUENCE: RelaxationLevel
KEEP_VEHICLE: RelaxationLevel
FREE: RelaxationLevel

class VehicleLiveState(_message.Message):
    __slots__ = ("vehicle_id", "location_id", "free_from", "load_on_board", "load_collected", "stops_done", "worked_seconds")
    VEHICLE_ID_FIELD_NUMBER: _ClassVar[int]
    LOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    FREE_FROM_FIELD_NUMBER: _ClassVar[int]
    LOAD_ON_BOARD_FIELD_NUMBER: _ClassVar[int]
    LOAD_COLLECTED_FIELD_NUMBER: _ClassVar[int]
    STOPS_DONE_FIELD_NUMBER: _ClassVar[int]
    WORKED_SECONDS_FIELD_NUMBER: _ClassVar[int]
    vehicle_id: str
    location_id: str
    free_from: int
    load_on_board: _containers.RepeatedScalarFieldContainer[int]
    load_collected: _containers.RepeatedScalarFieldContainer[int]
    stops_done: int
    worked_seconds: int
    def __init__(self, vehicle_id: _Optional[str] = ..., location_id: _Optional[str] = ..., free_from: _Optional[int] = ..., load_on_board: _Optional[_Iterable[int]] = ..., load_collected: _Optional[_Iterable[int]] = ..., stops_done: _Optional[int] = ..., worked_seconds: _Optional[int] = ...) -> None: ...

class StopLock(_message.Message):
    __slots__ = ("stop_id", "vehicle_id", "level")
    STOP_ID_FIELD_NUMBER: _ClassVar[int]
    VEHICLE_ID_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    stop_id: str
    vehicle_id: str
    level: RelaxationLevel
    def __init__(self, stop_id: _Optional[str] = ..., vehicle_id: _Optional[str] = ..., level: _Optional[_Union[RelaxationLevel, str]] = ...) -> None: ...

class FreezeRule(_message.Message):
    __slots__ = ("horizon_seconds", "within_horizon", "beyond_horizon")
    HORIZON_SECONDS_FIELD_NUMBER: _ClassVar[int]
    WITHIN_HORIZON_FIELD_NUMBER: _ClassVar[int]
    BEYOND_HORIZON_FIELD_NUMBER: _ClassVar[int]
    horizon_seconds: int
    within_horizon: RelaxationLevel
    beyond_horizon: RelaxationLevel
    def __init__(self, horizon_seconds: _Optional[int] = ..., within_horizon: _Optional[_Union[RelaxationLevel, str]] = ..., beyond_horizon: _Optional[_Union[RelaxationLevel, str]] = ...) -> None: ...

class ChurnCost(_message.Message):
    __slots__ = ("per_stop_moved", "per_minute_eta_shift", "eta_tolerance_seconds")
    PER_STOP_MOVED_FIELD_NUMBER: _ClassVar[int]
    PER_MINUTE_ETA_SHIFT_FIELD_NUMBER: _ClassVar[int]
    ETA_TOLERANCE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    per_stop_moved: float
    per_minute_eta_shift: float
    eta_tolerance_seconds: int
    def __init__(self, per_stop_moved: _Optional[float] = ..., per_minute_eta_shift: _Optional[float] = ..., eta_tolerance_seconds: _Optional[int] = ...) -> None: ...

class LiveState(_message.Message):
    __slots__ = ("now", "vehicles", "locks", "freeze", "churn")
    NOW_FIELD_NUMBER: _ClassVar[int]
    VEHICLES_FIELD_NUMBER: _ClassVar[int]
    LOCKS_FIELD_NUMBER: _ClassVar[int]
    FREEZE_FIELD_NUMBER: _ClassVar[int]
    CHURN_FIELD_NUMBER: _ClassVar[int]
    now: int
    vehicles: _containers.RepeatedCompositeFieldContainer[VehicleLiveState]
    locks: _containers.RepeatedCompositeFieldContainer[StopLock]
    freeze: FreezeRule
    churn: ChurnCost
    def __init__(self, now: _Optional[int] = ..., vehicles: _Optional[_Iterable[_Union[VehicleLiveState, _Mapping]]] = ..., locks: _Optional[_Iterable[_Union[StopLock, _Mapping]]] = ..., freeze: _Optional[_Union[FreezeRule, _Mapping]] = ..., churn: _Optional[_Union[ChurnCost, _Mapping]] = ...) -> None: ...
