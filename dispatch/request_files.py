"""Reading request files for the CLI, with hints a person can act on.

protobuf's own parse errors name one problem, in camelCase, deep in a message path. A planner
who typed ``incidentz`` or sent the sanitation file to ``AssignUnits`` wants to hear: which field,
what was probably meant (in the snake_case the examples use), and which command fits the file.
So a file is checked here before protobuf sees it: empty input, JSON syntax, unknown fields and
enum values (every one, with its path), and, when the file does not fit the chosen method, the
methods it does fit (it parses as their request and has their required fields).
"""

from __future__ import annotations

import difflib
import json
import re
import sys
from pathlib import Path
from typing import Any

from google.protobuf import json_format
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

from dispatch import client

#: Fields without which a request of the method makes no sense (used to guess the method).
REQUIRED: dict[str, tuple[str, ...]] = {
    "AssignUnits": ("units", "incidents"),
    "PlanRoutes": ("location_ids", "stops"),
    "EvaluatePlan": ("problem",),
    "CreatePlanJob": ("request",),
    "GetPlanJob": ("job_id",),
    "WatchPlanJob": ("job_id",),
    "CancelPlanJob": ("job_id",),
    "ListPlanJobs": (),
}
SOLVABLE = ("AssignUnits", "PlanRoutes", "EvaluatePlan")
_CAMEL = re.compile(r"(?<!^)([A-Z])")
_MAX_LISTED = 20


class RequestFileError(ValueError):
    """A request file that cannot be read as the request wanted; ``hints`` say what to do."""

    def __init__(self, message: str, details: list[str] | None = None, hints: list[str] = ()):
        super().__init__(message)
        self.details = list(details or [])
        self.hints = list(hints)

    def lines(self) -> list[str]:
        """What the CLI prints: the message, each detail indented, then each hint."""
        return [
            f"error: {self}",
            *(f"  {d}" for d in self.details),
            *(f"hint: {h}" for h in self.hints),
        ]


def read_text(path: str) -> str:
    """The file's text ('-' reads stdin); RequestFileError when it is empty or not readable."""
    shown = "standard input" if path == "-" else path
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RequestFileError(f"cannot read {shown}: {exc}") from exc
    if not text.strip():
        raise RequestFileError(
            f"{shown} is empty",
            hints=[
                "a request file is the JSON of the request message, e.g. examples/sanitation.json"
                " (PlanRoutes) or examples/emergency.json (AssignUnits)"
            ],
        )
    return text


def parse_json(text: str, shown: str) -> dict[str, Any]:
    """The JSON object in ``text``; RequestFileError with line and column otherwise."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RequestFileError(
            f"{shown} is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from exc
    if not isinstance(document, dict):
        raise RequestFileError(
            f"{shown} holds a JSON {type(document).__name__}, not an object",
            hints=['a request is one JSON object: {"location_ids": [...], ...}'],
        )
    return document


def snake(name: str) -> str:
    """``locationIds`` -> ``location_ids`` (the spelling of the proto and the examples)."""
    return _CAMEL.sub(r"_\1", name).lower()


def _is_plain_message(field: FieldDescriptor) -> bool:
    """A message field written as a JSON object (not a Timestamp/Duration string)."""
    return field.message_type is not None and not field.message_type.full_name.startswith(
        "google.protobuf."
    )


def _enum_problem(value: Any, field: FieldDescriptor, here: str) -> str | None:
    names = [v.name for v in field.enum_type.values]
    if isinstance(value, int) or value in names:
        return None
    close = difflib.get_close_matches(str(value).upper(), names, n=1, cutoff=0.5)
    hint = f"; did you mean {close[0]}?" if close else ""
    return f"{here}: {value!r} is not a {field.enum_type.name} ({', '.join(names)}){hint}"


def field_problems(document: Any, descriptor: Descriptor, path: str = "") -> list[str]:
    """Unknown fields and enum values in ``document`` against ``descriptor``, with paths."""
    if not isinstance(document, dict):
        return []
    by_name = {f.name: f for f in descriptor.fields} | {f.json_name: f for f in descriptor.fields}
    problems: list[str] = []
    for key, value in document.items():
        field = by_name.get(key)
        if field is None:
            names = [f.name for f in descriptor.fields]
            close = difflib.get_close_matches(snake(key), names, n=1, cutoff=0.75)
            meant = f"; did you mean {close[0]}?" if close else ""
            problems.append(f"{path}{key}: {descriptor.name} has no field {key!r}{meant}")
            continue
        here = f"{path}{field.name}"
        repeated = field.is_repeated and isinstance(value, list)
        items = list(enumerate(value)) if repeated else [(None, value)]
        for index, item in items:
            at = f"{here}[{index}]" if index is not None else here
            if _is_plain_message(field):
                problems.extend(field_problems(item, field.message_type, f"{at}."))
            elif field.enum_type is not None:
                found = _enum_problem(item, field, at)
                if found:
                    problems.append(found)
    return problems


def known_fields(descriptor: Descriptor) -> str:
    """The fields of a message in snake_case, as a hint after an unknown one."""
    return f"{descriptor.name} fields: " + ", ".join(f.name for f in descriptor.fields)


def _fits(method: str, document: dict[str, Any]) -> bool:
    """``document`` parses as ``method``'s request and sets the fields it needs. A method this
    module has no REQUIRED entry for (added to the service later) is never guessed."""
    if method not in REQUIRED:
        return False
    message = client.METHODS[method].request_type()
    try:
        json_format.ParseDict(document, message)
    except (json_format.ParseError, ValueError, TypeError):
        return False
    required = REQUIRED[method]
    if not required:
        return bool(document)
    return all(_is_set(message, name) for name in required)


def _is_set(message: Message, name: str) -> bool:
    field = message.DESCRIPTOR.fields_by_name[name]
    if field.is_repeated:
        return len(getattr(message, name)) > 0
    if field.message_type is not None:
        return message.HasField(name)
    return bool(getattr(message, name))


def fitting_methods(document: dict[str, Any], among: tuple[str, ...] = ()) -> list[str]:
    """Methods whose request ``document`` is (parses, required fields set), in METHODS order."""
    candidates = among or tuple(client.METHODS)
    return [m for m in candidates if _fits(m, document)]


def _method_hints(fits: list[str], chosen: str, command: str, path: str) -> list[str]:
    if not fits:
        return []
    if "PlanRoutes" in fits and chosen == "CreatePlanJob":
        return [
            f"this is a PlanRoutes request; run it as a job with `dispatch jobs submit {path}`"
            ' or wrap it as {"request": ...}'
        ]
    if command == "call":
        return [f"send it to {fits[0]}: dispatch call {fits[0]} {path}"]
    return [f"use --method {fits[0]}, or leave --method out"]


def parse_as(
    method: str, text: str, shown: str, command: str = "call", path: str = "FILE"
) -> Message:
    """``text`` as ``method``'s request, or RequestFileError with every problem and hints."""
    document = parse_json(text, shown)
    request_type = client.METHODS[method].request_type
    problems = field_problems(document, request_type.DESCRIPTOR)
    message = request_type()
    parse_error = None
    if not problems:
        try:
            json_format.ParseDict(document, message)
            return message
        except (json_format.ParseError, ValueError, TypeError) as exc:
            parse_error = str(exc)
    fits = [m for m in fitting_methods(document) if m != method]
    if fits:  # the wrong method: one line of evidence, then the command that fits
        foreign = [key for key in document if key not in _json_names(request_type.DESCRIPTOR)]
        raise RequestFileError(
            f"{shown} is {_a(' or '.join(fits))} request, not {_a(method)} request",
            [f"{request_type.DESCRIPTOR.name} has no fields " + ", ".join(map(snake, foreign))]
            if foreign
            else [],
            _method_hints(fits, method, command, path),
        )
    details = problems[:_MAX_LISTED] or [parse_error or "not a valid request"]
    if len(problems) > _MAX_LISTED:
        details.append(f"... and {len(problems) - _MAX_LISTED} more")
    owners = _unknown_owners(problems, request_type.DESCRIPTOR)
    hints = [known_fields(owner) for owner in owners[:3]]
    raise RequestFileError(f"{shown} is not a valid {method} request", details, hints)


def _a(name: str) -> str:
    return f"an {name}" if name[0] in "AEIOU" else f"a {name}"


def _json_names(descriptor: Descriptor) -> set[str]:
    return {f.name for f in descriptor.fields} | {f.json_name for f in descriptor.fields}


def _unknown_owners(problems: list[str], root: Descriptor) -> list[Descriptor]:
    """The message types that unknown fields were found in, to list the fields they do have."""
    owners: list[Descriptor] = []
    for problem in problems:
        if " has no field " not in problem:
            continue
        descriptor = root
        for part in problem.split(":", 1)[0].split(".")[:-1]:
            field = descriptor.fields_by_name.get(part.split("[", 1)[0])
            if field is None or field.message_type is None:
                break
            descriptor = field.message_type
        if descriptor not in owners:
            owners.append(descriptor)
    return owners


def detect_method(text: str) -> str:
    """Which solving request a JSON document is: by parsing, else by its top-level keys."""
    try:
        document = json.loads(text)
    except (json.JSONDecodeError, TypeError) as exc:
        raise ValueError(f"not a JSON object: {exc}") from exc
    if not isinstance(document, dict):
        raise ValueError("not a JSON object")
    fits = fitting_methods(document, SOLVABLE)
    if len(fits) == 1:
        return fits[0]
    keys = set(document)
    if keys & {"units", "incidents", "unit_to_incident", "unitToIncident"}:
        return "AssignUnits"
    if "problem" in keys or ("routes" in keys and not keys & {"stops", "vehicles"}):
        return "EvaluatePlan"
    if keys & {"stops", "vehicles", "location_ids", "locationIds", "facilities"}:
        return "PlanRoutes"
    others = fitting_methods(document)
    if others:
        raise ValueError(
            f"this is a {' or '.join(others)} request; only AssignUnits, PlanRoutes and "
            "EvaluatePlan are solved offline (use `dispatch call` for the others)"
        )
    raise ValueError("cannot tell the request type from its keys; pass --method")


def load(path: str, method: str | None, command: str) -> tuple[str, Message]:
    """Read ``path`` as ``method``'s request (detected from the file when None)."""
    text = read_text(path)
    shown = "standard input" if path == "-" else path
    if method is None:
        parse_json(text, shown)
        try:
            method = detect_method(text)
        except ValueError as exc:
            raise RequestFileError(f"{shown}: {exc}") from exc
    return method, parse_as(method, text, shown, command, path)
