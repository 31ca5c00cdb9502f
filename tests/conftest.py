"""Shared fixtures: a real gRPC server on 127.0.0.1 port 0, real solvers, no mocks.

Fixtures others may reuse:

- ``server``: a session-scoped :class:`dispatch.server.ServerHandle` (started; shut down at the end
  of the session). ``server.target`` is ``127.0.0.1:<port>``, ``server.port`` the port. Its job
  store lives in a temporary folder. Do not shut it down in a test: use ``fresh_server``.
- ``channel`` / ``stub``: a session-scoped channel to ``server`` and a DispatchService stub on it.
- ``fresh_server``: a function-scoped server of your own (e.g. to shut it down or fill its
  workers); shut down at teardown if the test did not.
- ``make_server``: a factory ``make_server(**ServerConfig fields) -> ServerHandle`` for servers with
  a special configuration; every one is shut down at teardown.
- ``examples``: the bundled example requests as messages, keyed ``emergency``, ``sanitation``,
  ``maintenance`` (fresh copies per test, so mutate freely).

Read a failed call's code and field paths with ``dispatch.client.error_details(rpc_error)``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import grpc
import pytest

from dispatch import client
from dispatch._proto.dispatch.v1 import dispatch_service_pb2_grpc
from dispatch.config import ServerConfig
from dispatch.examples import EXAMPLES
from dispatch.server import ServerHandle, start

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_METHODS = EXAMPLES


def _config(folder: Path, **overrides: object) -> ServerConfig:
    base = ServerConfig(
        address="127.0.0.1:0",
        routing_workers=1,
        job_workers=1,
        store_path=str(folder / "dispatch.sqlite3"),
        grace_seconds=5.0,
    )
    return base.with_overrides(**overrides)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerHandle]:
    """One started server for the whole session (do not shut it down in a test)."""
    handle = start(_config(tmp_path_factory.mktemp("server")))
    yield handle
    handle.shutdown(grace=1.0)


@pytest.fixture(scope="session")
def channel(server: ServerHandle) -> Iterator[grpc.Channel]:
    """A channel to the session server."""
    chan = client.channel(server.target)
    grpc.channel_ready_future(chan).result(timeout=10)
    yield chan
    chan.close()


@pytest.fixture(scope="session")
def stub(channel: grpc.Channel) -> dispatch_service_pb2_grpc.DispatchServiceStub:
    """A DispatchService stub on the session channel."""
    return client.stub(channel)


@pytest.fixture
def make_server(tmp_path: Path) -> Iterator[Callable[..., ServerHandle]]:
    """Factory for servers with their own configuration; all are shut down at teardown."""
    handles: list[ServerHandle] = []

    def make(**overrides: object) -> ServerHandle:
        folder = tmp_path / f"server{len(handles)}"
        folder.mkdir()
        handle = start(_config(folder, **overrides))
        handles.append(handle)
        return handle

    yield make
    for handle in handles:
        handle.shutdown(grace=0.5)


@pytest.fixture
def fresh_server(make_server: Callable[..., ServerHandle]) -> ServerHandle:
    """A server of this test's own, safe to shut down inside the test."""
    return make_server()


@pytest.fixture
def examples() -> dict[str, object]:
    """Fresh parsed copies of examples/*.json as request messages (empty if not generated)."""
    out: dict[str, object] = {}
    for name, method in EXAMPLE_METHODS.items():
        path = ROOT / "examples" / f"{name}.json"
        if path.exists():
            out[name] = client.parse_request(method, path.read_text())
    return out


def example_json(name: str) -> dict[str, object]:
    """The raw JSON dict of one example (for tests that mutate JSON rather than messages)."""
    return json.loads((ROOT / "examples" / f"{name}.json").read_text())


@pytest.fixture(scope="session")
def local_ray() -> Iterator[int]:
    """A local Ray with 2 CPUs, started once per test process; yields its CPU count.

    A local Ray start costs 7-12 s on a 2-core machine and is the step most exposed to load (its
    GCS or raylet start-up), so every Ray test shares one start; servers started with
    ``ray_address="local"`` reuse it and leave it running (``ClusterRouting.owns_ray``). Skips
    where the ``ray`` extra is not installed.
    """
    pytest.importorskip("ray")
    from dispatch.cluster import connect
    from dispatch.cluster.ray_runner import shutdown

    cpus = connect("local", 2)
    yield cpus
    shutdown()
