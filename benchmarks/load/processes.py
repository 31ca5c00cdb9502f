"""Client processes: the callers are spread over a few processes and the health prober has one
of its own, so the clients' own GIL does not inflate what they measure (a probe in the same
process as 64 caller threads would wait for them, not for the server)."""

from __future__ import annotations

import multiprocessing
import threading
from dataclasses import dataclass
from typing import Any

from benchmarks.load.clients import CallerSpec, Tally, run_caller, run_health_prober

#: AssignUnits caller processes at most (threads are spread over them round-robin).
MAX_CALLER_PROCESSES = 4
_START_TIMEOUT = 180.0


@dataclass(frozen=True)
class Group:
    """One client process: caller threads (one per spec), or the health prober."""

    name: str
    specs: tuple[CallerSpec, ...] = ()
    seeds: tuple[int, ...] = ()
    health_timeout: float | None = None


def _group_main(target: str, group: Group, seconds: float, barrier: Any, results: Any) -> None:
    """In the child: start when every process is ready, run ``seconds``, send back the tally."""
    stop = threading.Event()
    tally = Tally()
    if group.health_timeout is not None:
        threads = [
            threading.Thread(
                target=run_health_prober, args=(target, stop, tally, group.health_timeout)
            )
        ]
    else:
        threads = [
            threading.Thread(target=run_caller, args=(target, spec, stop, tally, seed))
            for spec, seed in zip(group.specs, group.seeds, strict=True)
        ]
    barrier.wait(_START_TIMEOUT)
    for thread in threads:
        thread.start()
    stop.wait(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    results.put((group.name, tally))


def caller_groups(spec: CallerSpec, clients: int, seed: int) -> list[Group]:
    """``clients`` callers of ``spec`` over at most MAX_CALLER_PROCESSES processes."""
    count = min(clients, MAX_CALLER_PROCESSES)
    return [
        Group(
            spec.method,
            tuple(spec for _ in range(k, clients, count)),
            tuple(seed + i for i in range(k, clients, count)),
        )
        for k in range(count)
    ]


def run_groups(target: str, groups: list[Group], seconds: float) -> dict[str, Tally]:
    """Run every group in its own spawned process for ``seconds``; their tallies by name."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(len(groups) + 1)
    results = context.Queue()
    processes = [
        context.Process(target=_group_main, args=(target, g, seconds, barrier, results))
        for g in groups
    ]
    for process in processes:
        process.start()
    tallies: dict[str, Tally] = {}
    try:
        barrier.wait(_START_TIMEOUT)
        for _ in processes:
            name, tally = results.get(timeout=seconds + _START_TIMEOUT)
            tallies.setdefault(name, Tally()).merge(tally)
    finally:
        for process in processes:
            process.join(30)
            if process.is_alive():
                process.kill()
    return tallies
