import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SolvingMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SOLVING_MODE_UNSPECIFIED: _ClassVar[SolvingMode]
    DEFAULT_SOLVE: _ClassVar[SolvingMode]
    VALIDATE_ONLY: _ClassVar[SolvingMode]

class Solver(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SOLVER_UNSPECIFIED: _ClassVar[Solver]
    AUTO: _ClassVar[Solver]
    ORTOOLS: _ClassVar[Solver]
    MILP: _ClassVar[Solver]
    PYVRP: _ClassVar[Solver]
    GREEDY: _ClassVar[Solver]
    SCIPY: _ClassVar[Solver]

class SolveStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SOLVE_STATUS_UNSPECIFIED: _ClassVar[SolveStatus]
    OPTIMAL: _ClassVar[SolveStatus]
    FEASIBLE: _ClassVar[SolveStatus]
    INFEASIBLE: _ClassVar[SolveStatus]
    NO_SOLUTION_FOUND: _ClassVar[SolveStatus]
    NOT_SOLVED: _ClassVar[SolveStatus]
SOLVING_MODE_UNSPECIFIED: SolvingMode
DEFAULT_SOLVE: SolvingMode
VALIDATE_ONLY: SolvingMode
SOLVER_UNSPECIFIED: Solver
AUTO: Solver
ORTOOLS: Solver
MILP: Solver
PYVRP: Solver
GREEDY: Solver
SCIPY: Solver
SOLVE_STATUS_UNSPECIFIED: SolveStatus
OPTIMAL: SolveStatus
FEASIBLE: SolveStatus
INFEASIBLE: SolveStatus
NO_SOLUTION_FOUND: SolveStatus
NOT_SOLVED: SolveStatus

class SolveOptions(_message.Message):
    __slots__ = ("solving_mode", "solver", "time_budget", "seed", "deterministic")
    SOLVING_MODE_FIELD_NUMBER: _ClassVar[int]
    SOLVER_FIELD_NUMBER: _ClassVar[int]
    TIME_BUDGET_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    DETERMINISTIC_FIELD_NUMBER: _ClassVar[int]
    solving_mode: SolvingMode
    solver: Solver
    time_budget: _duration_pb2.Duration
    seed: int
    deterministic: bool
    def __init__(self, solving_mode: _Optional[_Union[SolvingMode, str]] = ..., solver: _Optional[_Union[Solver, str]] = ..., time_budget: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., seed: _Optional[int] = ..., deterministic: _Optional[bool] = ...) -> None: ...

class SolveInfo(_message.Message):
    __slots__ = ("solver", "engine", "status", "objective", "best_bound", "gap", "wall_time", "fallback_reason", "verified", "objective_terms", "degraded", "degraded_reason", "strategy")
    SOLVER_FIELD_NUMBER: _ClassVar[int]
    ENGINE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    OBJECTIVE_FIELD_NUMBER: _ClassVar[int]
    BEST_BOUND_FIELD_NUMBER: _ClassVar[int]
    GAP_FIELD_NUMBER: _ClassVar[int]
    WALL_TIME_FIELD_NUMBER: _ClassVar[int]
    FALLBACK_REASON_FIELD_NUMBER: _ClassVar[int]
    VERIFIED_FIELD_NUMBER: _ClassVar[int]
    OBJECTIVE_TERMS_FIELD_NUMBER: _ClassVar[int]
    DEGRADED_FIELD_NUMBER: _ClassVar[int]
    DEGRADED_REASON_FIELD_NUMBER: _ClassVar[int]
    STRATEGY_FIELD_NUMBER: _ClassVar[int]
    solver: Solver
    engine: str
    status: SolveStatus
    objective: float
    best_bound: float
    gap: float
    wall_time: _duration_pb2.Duration
    fallback_reason: str
    verified: bool
    objective_terms: _containers.RepeatedCompositeFieldContainer[ObjectiveTerm]
    degraded: bool
    degraded_reason: str
    strategy: str
    def __init__(self, solver: _Optional[_Union[Solver, str]] = ..., engine: _Optional[str] = ..., status: _Optional[_Union[SolveStatus, str]] = ..., objective: _Optional[float] = ..., best_bound: _Optional[float] = ..., gap: _Optional[float] = ..., wall_time: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., fallback_reason: _Optional[str] = ..., verified: _Optional[bool] = ..., objective_terms: _Optional[_Iterable[_Union[ObjectiveTerm, _Mapping]]] = ..., degraded: _Optional[bool] = ..., degraded_reason: _Optional[str] = ..., strategy: _Optional[str] = ...) -> None: ...

class ObjectiveTerm(_message.Message):
    __slots__ = ("name", "value")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    name: str
    value: float
    def __init__(self, name: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...

class TravelMatrix(_message.Message):
    __slots__ = ("durations", "durations_bytes", "distances", "distances_bytes")
    DURATIONS_FIELD_NUMBER: _ClassVar[int]
    DURATIONS_BYTES_FIELD_NUMBER: _ClassVar[int]
    DISTANCES_FIELD_NUMBER: _ClassVar[int]
    DISTANCES_BYTES_FIELD_NUMBER: _ClassVar[int]
    durations: _containers.RepeatedScalarFieldContainer[int]
    durations_bytes: bytes
    distances: _containers.RepeatedScalarFieldContainer[int]
    distances_bytes: bytes
    def __init__(self, durations: _Optional[_Iterable[int]] = ..., durations_bytes: _Optional[bytes] = ..., distances: _Optional[_Iterable[int]] = ..., distances_bytes: _Optional[bytes] = ...) -> None: ...

class TimeWindow(_message.Message):
    __slots__ = ("start", "end", "late_cost_per_hour", "max_lateness", "early_cost_per_hour", "max_earliness")
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    LATE_COST_PER_HOUR_FIELD_NUMBER: _ClassVar[int]
    MAX_LATENESS_FIELD_NUMBER: _ClassVar[int]
    EARLY_COST_PER_HOUR_FIELD_NUMBER: _ClassVar[int]
    MAX_EARLINESS_FIELD_NUMBER: _ClassVar[int]
    start: int
    end: int
    late_cost_per_hour: float
    max_lateness: int
    early_cost_per_hour: float
    max_earliness: int
    def __init__(self, start: _Optional[int] = ..., end: _Optional[int] = ..., late_cost_per_hour: _Optional[float] = ..., max_lateness: _Optional[int] = ..., early_cost_per_hour: _Optional[float] = ..., max_earliness: _Optional[int] = ...) -> None: ...

class LatLng(_message.Message):
    __slots__ = ("latitude", "longitude")
    LATITUDE_FIELD_NUMBER: _ClassVar[int]
    LONGITUDE_FIELD_NUMBER: _ClassVar[int]
    latitude: float
    longitude: float
    def __init__(self, latitude: _Optional[float] = ..., longitude: _Optional[float] = ...) -> None: ...
