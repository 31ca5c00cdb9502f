"""dispatch.wire.mirror.message_from: a message filled from the dataclass that mirrors it."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from dispatch._proto.dispatch.v1 import emergency_pb2, routing_pb2
from dispatch.wire.mirror import message_from
from solvers.assignment.kpis import PriorityKpis
from solvers.routing.plan_diff import ChurnKpis

#: A route's totals as the checker's RouteEvaluation holds them (RouteTotals' fields).
_TOTALS = {
    "duration": 3600,
    "travel_seconds": 1200,
    "travel_metres": 15000,
    "service_seconds": 1800,
    "wait_seconds": 300,
    "break_seconds": 300,
    "stops": 4,
    "trips": 1,
    "load_collected": (7, 2),
    "cost": 12.5,
}


def test_every_field_comes_from_the_same_named_attribute() -> None:
    """Each field of the message holds the source's attribute of that name, sequences included."""
    message = message_from(routing_pb2.RouteTotals, SimpleNamespace(**_TOTALS))
    for name, expected in _TOTALS.items():
        value = getattr(message, name)
        if name == "load_collected":
            value = tuple(value)
        assert value == expected, name


def test_given_values_replace_the_source_and_rename_fields() -> None:
    """A keyword fills its field (a renamed attribute here); the other fields still mirror."""
    churn = ChurnKpis(1, 2, 3, 4, 5, 6, 7, eta_shift_total=800, eta_shift_max=500)
    message = message_from(
        routing_pb2.ChurnKpis,
        churn,
        eta_shift_total_seconds=churn.eta_shift_total,
        eta_shift_max_seconds=churn.eta_shift_max,
    )
    assert message.stops_unchanged == 1
    assert message.stops_shifted == 7
    assert message.eta_shift_total_seconds == 800
    assert message.eta_shift_max_seconds == 500


def test_a_field_without_a_source_fails_naming_it() -> None:
    """A message field the source lacks and no keyword gives is an error, not a silent 0."""
    churn = ChurnKpis(1, 2, 3, 4, 5, 6, 7, eta_shift_total=800, eta_shift_max=500)
    with pytest.raises(AttributeError, match=r"ChurnKpis\.eta_shift_total_seconds"):
        message_from(routing_pb2.ChurnKpis, churn, eta_shift_max_seconds=500)


def test_a_given_name_the_message_lacks_fails() -> None:
    """A misspelt keyword is refused by protobuf rather than dropped."""
    with pytest.raises(ValueError, match="no_such_field"):
        message_from(routing_pb2.RouteTotals, SimpleNamespace(**_TOTALS), no_such_field=1)


def test_properties_of_the_source_count_as_attributes() -> None:
    """PriorityKpi's derived share comes from PriorityKpis' property of the same name."""
    p = PriorityKpis(1, 2, 1, 0.5, 300.0, 420, 4, 3, 2)
    message = message_from(emergency_pb2.PriorityKpi, p)
    assert message.share_slots_within_target == pytest.approx(0.5)
    assert message.max_response_seconds == 420
