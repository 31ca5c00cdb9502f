"""The day replay (benchmarks.dayreplay) on a short day: it runs end to end and keeps locks."""

from __future__ import annotations

import argparse

from benchmarks.dayreplay import replay


def test_a_short_day_with_locks_keeps_every_frozen_visit_and_serves_the_work() -> None:
    """Two arrivals and a breakdown under the locks policy: no frozen visit out of place, every
    decision timed, and the crews serve most of the day's orders."""
    args = argparse.Namespace(
        instance="city-maint-100-1",
        arrivals=2,
        seed=3,
        morning=2.0,
        budget=1.0,
        freeze=1800,
        breakdown=11 * 3600,
    )
    row = replay("locks", args)
    assert row["lock_violations"] == 0
    assert row["decisions"] == 3
    assert row["served"] >= 80


def test_a_short_sanitation_day_carries_loads_and_drives_its_unloads() -> None:
    """Two arrivals and a breakdown on the sanitation city (trucks carrying loads between
    unloads) under the locks policy: every re-plan from the trucks' live loads is checked
    feasible on the way, no frozen visit is out of place, and most bins are served."""
    args = argparse.Namespace(
        instance="city-san-100-1",
        arrivals=2,
        seed=3,
        morning=2.0,
        budget=1.0,
        freeze=1800,
        breakdown=None,
    )
    row = replay("locks", args)
    assert row["lock_violations"] == 0
    assert row["decisions"] == 3
    assert row["served"] >= 80
