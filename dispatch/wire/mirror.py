"""Messages filled from the solver dataclasses that mirror them field for field.

``solvers`` cannot import protobuf, so its KPI and timing records repeat the fields of the
messages they answer with (``RouteKpis``, ``RouteTotals``, ``PriorityKpi``...). Copying them one
keyword at a time hides the rule "same name, same value" among the few fields that are renamed
or transformed; :func:`message_from` states the rule once and takes the exceptions by keyword.
Every field of the message must come from one or the other: a field added to a message without
its source fails loudly here instead of going out as its default.
"""

from __future__ import annotations

from typing import Any, TypeVar

from google.protobuf.message import Message

__all__ = ["message_from"]

M = TypeVar("M", bound=Message)


def message_from(message_type: type[M], source: object, **given: Any) -> M:
    """A ``message_type`` whose every field is the same-named attribute of ``source``, except
    those in ``given`` (renamed or transformed values).

    Raises AttributeError naming the field when ``source`` has no such attribute and it is not
    given; a ``given`` name the message does not have raises ValueError (protobuf's own check).
    """
    values = dict(given)
    for field in message_type.DESCRIPTOR.fields:
        if field.name in values:
            continue
        try:
            values[field.name] = getattr(source, field.name)
        except AttributeError:
            raise AttributeError(
                f"{message_type.DESCRIPTOR.full_name}.{field.name}: "
                f"{type(source).__name__} has no {field.name!r} and no value was given"
            ) from None
    return message_type(**values)
