"""One local Ray for the whole test session (where the ``ray`` extra is installed).

A local Ray start costs 7-12 s on a 2-core machine and is the step most exposed to load (its GCS
or raylet start-up timeout), so the Ray tests share one start instead of one per module; servers
started with ``ray_address="local"`` reuse it and leave it running (``ClusterRouting.owns_ray``).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session")
def local_ray() -> Iterator[int]:
    """A local Ray with 2 CPUs, started once; yields its CPU count."""
    pytest.importorskip("ray")
    from dispatch.cluster import connect
    from dispatch.cluster.ray_runner import shutdown

    cpus = connect("local", 2)
    yield cpus
    shutdown()
