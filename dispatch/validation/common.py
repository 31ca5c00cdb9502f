"""Building blocks shared by the per-RPC validators: the problem collector and field checks.

Every check here only reads the message and never assumes an earlier check passed, so a
validator can run all of them and report every problem at once (validation is fuzzed: nothing
here may raise anything but the collector's InvalidProblemError).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np
from google.protobuf import timestamp_pb2
from google.protobuf.descriptor import EnumDescriptor

from dispatch._proto.dispatch.v1 import common_pb2
from dispatch.validation import limits
from dispatch.wire import durations, matrices
from solvers.errors import FieldProblem, InvalidProblemError

MAX_PROBLEMS = 100


class Problems:
    """Collects FieldProblems (at most MAX_PROBLEMS) under a path prefix such as ``problem.``."""

    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix
        self.items: list[FieldProblem] = []

    def add(self, path: str, description: str) -> None:
        """Record one problem; beyond the cap the rest are dropped (the caller has enough)."""
        if len(self.items) < MAX_PROBLEMS:
            full = self.prefix + path if path else self.prefix.rstrip(".")
            self.items.append(FieldProblem(full, description))

    @property
    def full(self) -> bool:
        """True once no more problems will be recorded (validators may stop early)."""
        return len(self.items) >= MAX_PROBLEMS

    def raise_if_any(self) -> None:
        """Raise InvalidProblemError with everything collected, if anything was."""
        if self.items:
            raise InvalidProblemError(self.items)


def show(value: str) -> str:
    """An id as it appears in a message: quoted, shortened so a huge id cannot flood the log."""
    text = value if len(value) <= 60 else value[:57] + "..."
    return repr(text)


def _check_unique(
    problems: Problems, path: str, values: Sequence[str], kind: str, is_id: bool
) -> dict[str, int]:
    """Values are non-empty, short and unique; returns value -> first index."""
    suffix, noun, empty = (".id", " id", "has an empty id") if is_id else ("", "", "is empty")
    index = {value: i for i, value in enumerate(values)}
    lengths = list(map(len, index))
    if len(index) == len(values) and (
        not lengths or 0 < min(lengths) <= max(lengths) <= limits.MAX_ID_LENGTH
    ):
        return index  # all unique and valid: no path string per value (hot at 2,000 units)
    index = {}
    for i, value in enumerate(values):
        where = f"{path}[{i}]{suffix}"
        if not value:
            problems.add(where, f"{kind} at index {i} {empty}.")
            continue
        if len(value) > limits.MAX_ID_LENGTH:
            problems.add(
                where, f"{kind}{noun} {show(value)} is longer than {limits.MAX_ID_LENGTH}."
            )
        if value in index:
            problems.add(where, f"Duplicate {kind}{noun}: {show(value)}.")
        else:
            index[value] = i
    return index


def check_ids(problems: Problems, path: str, ids: Sequence[str], kind: str) -> dict[str, int]:
    """Ids of one kind (``units[i].id``) are non-empty, short and unique; id -> first index."""
    return _check_unique(problems, path, ids, kind, is_id=True)


def check_names(problems: Problems, path: str, names: Sequence[str], kind: str) -> dict[str, int]:
    """A plain list of names (location_ids, district_ids): non-empty and unique."""
    return _check_unique(problems, path, names, kind, is_id=False)


def check_strings(
    problems: Problems, path: str, values: Sequence[str], kind: str, owner: str
) -> None:
    """A list of free strings (capabilities, skills): none empty, not absurdly many."""
    if len(values) > limits.MAX_STRINGS_PER_LIST:
        problems.add(path, f"{owner} has more than {limits.MAX_STRINGS_PER_LIST} {kind}s.")
        return
    for i, value in enumerate(values):
        if not value:
            problems.add(f"{path}[{i}]", f"{owner} has an empty {kind}.")
        elif len(value) > limits.MAX_ID_LENGTH:
            problems.add(
                f"{path}[{i}]", f"{owner} has a {kind} longer than {limits.MAX_ID_LENGTH}."
            )


def check_reference(
    problems: Problems, path: str, value: str, known: dict[str, int], kind: str, owner: str
) -> int | None:
    """A reference to an id of ``kind``: required and known; returns its index."""
    if not value:
        problems.add(path, f"{owner} must name a {kind}.")
        return None
    found = known.get(value)
    if found is None:
        problems.add(path, f"{owner} refers to unknown {kind} {show(value)}.")
    return found


def check_enum(
    problems: Problems,
    path: str,
    value: int,
    enum: EnumDescriptor,
    owner: str,
    *,
    required: bool,
) -> None:
    """Proto3 enums are open: reject numbers the contract does not define, and 0 if required."""
    if value not in enum.values_by_number:
        problems.add(path, f"{owner} has an unknown {enum.name} value {value}.")
    elif required and value == 0:
        problems.add(path, f"{owner} must set {enum.name} (it is unspecified).")


def check_non_negative(problems: Problems, path: str, value: int, what: str, owner: str) -> None:
    """Counts, times and durations: 0 or more and within the time range."""
    if value < 0:
        problems.add(path, f"{owner} has a negative {what} ({value}).")
    elif value > limits.MAX_TIME:
        problems.add(path, f"{owner} has a {what} above {limits.MAX_TIME} ({value}).")


def check_at_least_one(
    problems: Problems, path: str, value: int, what: str, owner: str, limit: int
) -> None:
    """Counts that must be 1..limit (priority, requirement count, min_units)."""
    if value < 1:
        problems.add(path, f"{owner} has {what} {value}; it must be at least 1.")
    elif value > limit:
        problems.add(path, f"{owner} has {what} {value}; it must be at most {limit:,}.")


def amount(value: float) -> str:
    """A bound or an offending amount as a message shows it: 1,000,000,000 or 1e+18."""
    if math.isfinite(value) and value == int(value) and abs(value) < 1e16:
        return f"{int(value):,}"
    return f"{value:g}"


def check_cost(
    problems: Problems, path: str, value: float, what: str, owner: str, limit: float
) -> None:
    """Costs, rates and penalties: finite, not negative, at most ``limit`` (see limits)."""
    if not math.isfinite(value):
        problems.add(path, f"{owner} has a non-finite {what} ({value}).")
    elif value < 0:
        problems.add(path, f"{owner} has a negative {what} ({value}).")
    elif value > limit:
        problems.add(
            path, f"{owner} has a {what} of {amount(value)}, above the limit of {amount(limit)}."
        )


def check_window(problems: Problems, path: str, window: common_pb2.TimeWindow, owner: str) -> None:
    """A closed window of seconds from the origin: 0 <= start <= end <= MAX_TIME."""
    if window.start < 0:
        problems.add(f"{path}.start", f"{owner} has a window starting before 0 ({window.start}).")
    if window.end > limits.MAX_TIME:
        problems.add(f"{path}.end", f"{owner} has a window ending after {limits.MAX_TIME}.")
    if window.end < window.start:
        problems.add(
            path, f"{owner} has a window ending ({window.end}) before it starts ({window.start})."
        )


def check_loads(
    problems: Problems,
    path: str,
    values: Sequence[int],
    dims: int,
    what: str,
    owner: str,
    limit: int,
) -> None:
    """Demands or capacities: empty or one value in 0..limit per load dimension."""
    if values and len(values) != dims:
        problems.add(
            path,
            f"{owner} has {len(values)} {what} values for {dims} load dimensions "
            "(give one per dimension or none).",
        )
    for i, value in enumerate(values):
        if value < 0:
            problems.add(f"{path}[{i}]", f"{owner} has a negative {what} ({value}).")
        elif value > limit:
            problems.add(
                f"{path}[{i}]",
                f"{owner} has a {what} of {value:,}, above the limit of {limit:,}.",
            )


def check_total(
    problems: Problems,
    path: str,
    values: Iterable[float],
    what: str,
    limit: float,
    item_limit: float,
) -> None:
    """A sum over a list (skip penalties, fixed costs) stays within ``limit``.

    Values outside 0..item_limit are reported at their own field and left out of the sum, so one
    bad value is one problem.
    """
    total = math.fsum(v for v in values if 0 < v <= item_limit)
    if total > limit:
        problems.add(
            path, f"The {what} add up to {amount(total)}, above the limit of {amount(limit)}."
        )


def check_timestamp(problems: Problems, path: str, value: timestamp_pb2.Timestamp) -> None:
    """A Timestamp must be one protobuf can represent (0001-01-01 to 9999-12-31, nanos in range)."""
    if not 0 <= value.nanos <= 999_999_999:
        problems.add(f"{path}.nanos", "Timestamp nanos must be within 0..999999999.")
    if not -62_135_596_800 <= value.seconds <= 253_402_300_799:
        problems.add(f"{path}.seconds", "Timestamp is outside years 1..9999.")


def check_options(problems: Problems, path: str, options: common_pb2.SolveOptions) -> None:
    """Solving mode and solver are known values; the time budget is 0..1 hour and well formed."""
    check_enum(
        problems,
        f"{path}.solving_mode",
        options.solving_mode,
        common_pb2.SolvingMode.DESCRIPTOR,
        "options",
        required=False,
    )
    check_enum(
        problems,
        f"{path}.solver",
        options.solver,
        common_pb2.Solver.DESCRIPTOR,
        "options",
        required=False,
    )
    budget = options.time_budget
    where = f"{path}.time_budget"
    if not -999_999_999 <= budget.nanos <= 999_999_999 or (budget.seconds * budget.nanos < 0):
        problems.add(where, "time_budget is not a valid Duration (nanos out of range or sign).")
        return
    seconds = durations.seconds(budget)
    if seconds < 0:
        problems.add(where, f"time_budget is negative ({seconds:g} s).")
    elif seconds > limits.MAX_TIME_BUDGET_SECONDS:
        problems.add(
            where,
            f"time_budget {seconds:g} s exceeds {limits.MAX_TIME_BUDGET_SECONDS} s; "
            "use CreatePlanJob for long solves.",
        )


def check_routing_solver(problems: Problems, path: str, options: common_pb2.SolveOptions) -> None:
    """Routing has no SciPy engine: a request naming it is refused rather than quietly solved
    by another family."""
    if options.solver == common_pb2.SCIPY:
        problems.add(
            f"{path}.solver",
            "SCIPY solves AssignUnits only; routing takes AUTO, ORTOOLS, MILP, PYVRP or GREEDY.",
        )


def _encoding_present(values: Sequence[int], raw: bytes) -> tuple[bool, bool]:
    return len(values) > 0, len(raw) > 0


def _check_quantity(
    problems: Problems,
    path: str,
    field: str,
    values: Sequence[int],
    raw: bytes,
    rows: int,
    cols: int,
    shape_text: str,
    *,
    required: bool,
) -> None:
    has_values, has_raw = _encoding_present(values, raw)
    cells = rows * cols
    if has_values and has_raw:
        problems.add(
            f"{path}.{field}_bytes",
            f"{path} sets both {field} and {field}_bytes; set exactly one.",
        )
        return
    if not has_values and not has_raw:
        if required and cells > 0:
            problems.add(f"{path}.{field}", f"{path} needs {field} ({shape_text}).")
        return
    if has_raw:
        where = f"{path}.{field}_bytes"
        if len(raw) % 4:
            problems.add(where, f"{field}_bytes has {len(raw)} bytes, not a multiple of 4.")
            return
        if len(raw) != 4 * cells:
            problems.add(
                where,
                f"{field}_bytes holds {len(raw) // 4} values; {shape_text} needs {cells}.",
            )
            return
    else:
        where = f"{path}.{field}"
        if len(values) != cells:
            problems.add(where, f"{field} holds {len(values)} values; {shape_text} needs {cells}.")
            return
    array = matrices.flat(values, raw)
    if cells and int(array.min()) < 0:
        flat = int(np.argmax(array < 0))
        row, col = divmod(flat, cols)
        problems.add(
            where,
            f"{field} has a negative entry ({int(array[flat])}) at row {row}, column {col}.",
        )


def check_matrix(
    problems: Problems,
    path: str,
    matrix: common_pb2.TravelMatrix,
    rows: int,
    cols: int,
    shape_text: str,
    *,
    required: bool = True,
) -> None:
    """Exactly one durations encoding of rows x cols non-negative entries; distances optional."""
    _check_quantity(
        problems,
        path,
        "durations",
        matrix.durations,
        matrix.durations_bytes,
        rows,
        cols,
        shape_text,
        required=required,
    )
    _check_quantity(
        problems,
        path,
        "distances",
        matrix.distances,
        matrix.distances_bytes,
        rows,
        cols,
        shape_text,
        required=False,
    )


def matrix_is_set(matrix: common_pb2.TravelMatrix) -> bool:
    """True when any encoding of the matrix carries data."""
    return bool(
        len(matrix.durations)
        or matrix.durations_bytes
        or len(matrix.distances)
        or matrix.distances_bytes
    )


def has_distances(matrix: common_pb2.TravelMatrix) -> bool:
    """True when the matrix carries distances in either encoding."""
    return bool(len(matrix.distances) or matrix.distances_bytes)


def first_index(ids: Iterable[str]) -> dict[str, int]:
    """id -> first index, ignoring empty ids (for lookups after check_ids reported problems)."""
    out: dict[str, int] = {}
    for i, value in enumerate(ids):
        if value and value not in out:
            out[value] = i
    return out
