"""ServerConfig: environment parsing and the checks that stop a misconfigured server early."""

from __future__ import annotations

import pytest

from dispatch.config import ServerConfig


def test_environment_overrides_defaults():
    """Each documented variable reaches its field."""
    config = ServerConfig.from_env(
        {
            "DISPATCH_ADDRESS": "0.0.0.0:6000",
            "DISPATCH_WORKERS": "3",
            "DISPATCH_JOB_WORKERS": "2",
            "DISPATCH_STORE": "/data/jobs.sqlite3",
            "DISPATCH_LOG_LEVEL": "debug",
        }
    )
    assert (config.address, config.routing_workers, config.job_workers) == ("0.0.0.0:6000", 3, 2)
    assert (config.store_path, config.log_level) == ("/data/jobs.sqlite3", "debug")


def test_empty_environment_keeps_base():
    """Unset or empty variables leave the base configuration alone."""
    base = ServerConfig(address="127.0.0.1:50051")
    assert ServerConfig.from_env({"DISPATCH_WORKERS": ""}, base=base) == base


def test_flags_override_environment():
    """with_overrides applies set flags and ignores unset (None) ones."""
    config = ServerConfig.from_env({"DISPATCH_WORKERS": "3"}).with_overrides(
        routing_workers=5, store_path=None
    )
    assert config.routing_workers == 5
    assert config.store_path == ServerConfig().store_path


@pytest.mark.parametrize(
    "env",
    [{"DISPATCH_WORKERS": "many"}, {"DISPATCH_WORKERS": "0"}, {"DISPATCH_LOG_LEVEL": "LOUD"}],
)
def test_bad_values_are_rejected(env):
    """A typo fails at start with a message naming the setting, not later in a worker."""
    with pytest.raises(ValueError):
        ServerConfig.from_env(env)


def test_default_message_size_fits_a_2000_matrix():
    """2000 x 2000 durations and distances as repeated varints (<= 5 bytes each) fit."""
    assert ServerConfig().max_message_bytes >= 2 * 2000 * 2000 * 5


def test_reserved_threads_must_leave_room_for_long_calls():
    """Reserving the whole pool would refuse every PlanRoutes; reserving none defeats the point."""
    assert ServerConfig(thread_pool_size=32, reserved_threads=8).long_call_limit == 24
    with pytest.raises(ValueError):
        ServerConfig(thread_pool_size=8, reserved_threads=8)
    with pytest.raises(ValueError):
        ServerConfig(reserved_threads=0)
