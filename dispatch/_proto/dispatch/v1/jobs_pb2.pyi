import datetime

from dispatch._proto.dispatch.v1 import routing_pb2 as _routing_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PlanJobProgress(_message.Message):
    __slots__ = ("solutions_found", "best_objective", "vehicles_used", "elapsed", "plans_checked", "stopped_early", "parts_done", "parts_total", "finished_parts")
    SOLUTIONS_FOUND_FIELD_NUMBER: _ClassVar[int]
    BEST_OBJECTIVE_FIELD_NUMBER: _ClassVar[int]
    VEHICLES_USED_FIELD_NUMBER: _ClassVar[int]
    ELAPSED_FIELD_NUMBER: _ClassVar[int]
    PLANS_CHECKED_FIELD_NUMBER: _ClassVar[int]
    STOPPED_EARLY_FIELD_NUMBER: _ClassVar[int]
    PARTS_DONE_FIELD_NUMBER: _ClassVar[int]
    PARTS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    FINISHED_PARTS_FIELD_NUMBER: _ClassVar[int]
    solutions_found: int
    best_objective: float
    vehicles_used: int
    elapsed: _duration_pb2.Duration
    plans_checked: int
    stopped_early: bool
    parts_done: int
    parts_total: int
    finished_parts: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, solutions_found: _Optional[int] = ..., best_objective: _Optional[float] = ..., vehicles_used: _Optional[int] = ..., elapsed: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., plans_checked: _Optional[int] = ..., stopped_early: _Optional[bool] = ..., parts_done: _Optional[int] = ..., parts_total: _Optional[int] = ..., finished_parts: _Optional[_Iterable[str]] = ...) -> None: ...

class PlanJobStateChange(_message.Message):
    __slots__ = ("state", "time", "reason")
    STATE_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    state: PlanJob.State
    time: _timestamp_pb2.Timestamp
    reason: str
    def __init__(self, state: _Optional[_Union[PlanJob.State, str]] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reason: _Optional[str] = ...) -> None: ...

class PlanJob(_message.Message):
    __slots__ = ("job_id", "request_id", "label", "state", "create_time", "start_time", "end_time", "progress", "result", "error_message", "attempts", "history", "request")
    class State(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        STATE_UNSPECIFIED: _ClassVar[PlanJob.State]
        QUEUED: _ClassVar[PlanJob.State]
        RUNNING: _ClassVar[PlanJob.State]
        SUCCEEDED: _ClassVar[PlanJob.State]
        FAILED: _ClassVar[PlanJob.State]
        CANCELLED: _ClassVar[PlanJob.State]
    STATE_UNSPECIFIED: PlanJob.State
    QUEUED: PlanJob.State
    RUNNING: PlanJob.State
    SUCCEEDED: PlanJob.State
    FAILED: PlanJob.State
    CANCELLED: PlanJob.State
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    HISTORY_FIELD_NUMBER: _ClassVar[int]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    request_id: str
    label: str
    state: PlanJob.State
    create_time: _timestamp_pb2.Timestamp
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    progress: PlanJobProgress
    result: _routing_pb2.PlanRoutesResponse
    error_message: str
    attempts: int
    history: _containers.RepeatedCompositeFieldContainer[PlanJobStateChange]
    request: _routing_pb2.PlanRoutesRequest
    def __init__(self, job_id: _Optional[str] = ..., request_id: _Optional[str] = ..., label: _Optional[str] = ..., state: _Optional[_Union[PlanJob.State, str]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., progress: _Optional[_Union[PlanJobProgress, _Mapping]] = ..., result: _Optional[_Union[_routing_pb2.PlanRoutesResponse, _Mapping]] = ..., error_message: _Optional[str] = ..., attempts: _Optional[int] = ..., history: _Optional[_Iterable[_Union[PlanJobStateChange, _Mapping]]] = ..., request: _Optional[_Union[_routing_pb2.PlanRoutesRequest, _Mapping]] = ...) -> None: ...

class CreatePlanJobRequest(_message.Message):
    __slots__ = ("request",)
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    request: _routing_pb2.PlanRoutesRequest
    def __init__(self, request: _Optional[_Union[_routing_pb2.PlanRoutesRequest, _Mapping]] = ...) -> None: ...

class GetPlanJobRequest(_message.Message):
    __slots__ = ("job_id", "include_request")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_REQUEST_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    include_request: bool
    def __init__(self, job_id: _Optional[str] = ..., include_request: _Optional[bool] = ...) -> None: ...

class WatchPlanJobRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class PlanJobEvent(_message.Message):
    __slots__ = ("kind", "job", "part")
    class Kind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        KIND_UNSPECIFIED: _ClassVar[PlanJobEvent.Kind]
        STATE_CHANGED: _ClassVar[PlanJobEvent.Kind]
        SOLUTION_IMPROVED: _ClassVar[PlanJobEvent.Kind]
        PART_FINISHED: _ClassVar[PlanJobEvent.Kind]
    KIND_UNSPECIFIED: PlanJobEvent.Kind
    STATE_CHANGED: PlanJobEvent.Kind
    SOLUTION_IMPROVED: PlanJobEvent.Kind
    PART_FINISHED: PlanJobEvent.Kind
    KIND_FIELD_NUMBER: _ClassVar[int]
    JOB_FIELD_NUMBER: _ClassVar[int]
    PART_FIELD_NUMBER: _ClassVar[int]
    kind: PlanJobEvent.Kind
    job: PlanJob
    part: str
    def __init__(self, kind: _Optional[_Union[PlanJobEvent.Kind, str]] = ..., job: _Optional[_Union[PlanJob, _Mapping]] = ..., part: _Optional[str] = ...) -> None: ...

class CancelPlanJobRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class ListPlanJobsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "states", "label")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STATES_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    states: _containers.RepeatedScalarFieldContainer[PlanJob.State]
    label: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., states: _Optional[_Iterable[_Union[PlanJob.State, str]]] = ..., label: _Optional[str] = ...) -> None: ...

class ListPlanJobsResponse(_message.Message):
    __slots__ = ("jobs", "next_page_token")
    JOBS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    jobs: _containers.RepeatedCompositeFieldContainer[PlanJob]
    next_page_token: str
    def __init__(self, jobs: _Optional[_Iterable[_Union[PlanJob, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
