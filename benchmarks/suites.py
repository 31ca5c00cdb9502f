"""The instance suites: where their files are, which reader and convention, the --quick subset."""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from benchmarks.readers import Convention, Instance, read_cvrplib, read_vrptw, read_waste

REPO_ROOT = Path(__file__).resolve().parents[1]


def default_bench_dir() -> Path:
    """DISPATCH_BENCH_DIR if set, else ``shared/bench`` beside the repository root."""
    env = os.environ.get("DISPATCH_BENCH_DIR")
    return Path(env) if env else REPO_ROOT.parent / "shared" / "bench"


@dataclass(frozen=True)
class Suite:
    """A set of instance files read in one convention."""

    name: str
    folder: str
    pattern: str
    reader: Callable[[Path, Convention], Instance]
    convention: Convention
    quick: tuple[str, ...]
    description: str

    def files(
        self, bench_dir: Path, instances: str | None = None, quick: bool = False
    ) -> list[Path]:
        """Instance files in name order, filtered by a glob on the stem and by --quick."""
        paths = sorted((bench_dir / self.folder).glob(self.pattern), key=_natural)
        if instances:
            wanted = [p.strip() for p in instances.split(",") if p.strip()]
            paths = [
                p for p in paths if any(fnmatch.fnmatch(p.stem.upper(), w.upper()) for w in wanted)
            ]
        if quick:
            paths = [p for p in paths if p.stem.upper() in {q.upper() for q in self.quick}]
        return paths

    def read(self, path: Path) -> Instance:
        """Read one file of the suite in the suite's convention."""
        return self.reader(path, self.convention)

    def instances(
        self, bench_dir: Path, instances: str | None = None, quick: bool = False
    ) -> Iterator[Instance]:
        """Read the suite's (selected) instances one by one."""
        for path in self.files(bench_dir, instances, quick):
            yield self.read(path)


def _natural(path: Path) -> tuple:
    stem = path.stem
    return (re.sub(r"\d+", "#", stem).lower(), [int(d) for d in re.findall(r"\d+", stem)], stem)


ROUTING_SUITES: dict[str, Suite] = {
    s.name: s
    for s in (
        Suite(
            "solomon",
            "solomon",
            "*.txt",
            read_vrptw,
            Convention.DIMACS,
            ("C101", "R101", "RC201"),
            "Solomon VRPTW, 56 x 100 customers, DIMACS convention (vs proven optima)",
        ),
        Suite(
            "solomon-sintef",
            "solomon",
            "*.txt",
            read_vrptw,
            Convention.SINTEF,
            ("C101", "R101"),
            "Solomon VRPTW, SINTEF convention (vehicles, then double distance)",
        ),
        Suite(
            "homberger",
            "homberger",
            "*.txt",
            read_vrptw,
            Convention.DIMACS,
            ("C1_2_1",),
            "Gehring-Homberger 200 customers (6), DIMACS convention",
        ),
        Suite(
            "homberger-sintef",
            "homberger",
            "*.txt",
            read_vrptw,
            Convention.SINTEF,
            ("C1_2_1",),
            "Gehring-Homberger 200 customers (6), SINTEF convention",
        ),
        Suite(
            "homberger1000",
            "homberger1000",
            "*.txt",
            read_vrptw,
            Convention.DIMACS,
            ("C1_10_1",),
            "Gehring-Homberger 1000 customers (6), DIMACS convention",
        ),
        Suite(
            "homberger1000-sintef",
            "homberger1000",
            "*.txt",
            read_vrptw,
            Convention.SINTEF,
            ("C1_10_1",),
            "Gehring-Homberger 1000 customers (6), SINTEF convention",
        ),
        Suite(
            "cvrplib",
            "cvrplib",
            "*.vrp",
            read_cvrplib,
            Convention.CVRPLIB,
            ("X-n101-k25",),
            "CVRPLIB X, 100 to 1000 customers (11), nint Euclidean, unlimited fleet",
        ),
        Suite(
            "waste",
            "waste",
            "*.txt",
            read_waste,
            Convention.KIM,
            ("102_stop",),
            "Kim et al. 2006 waste collection (10): disposal trips, lunch, Manhattan miles",
        ),
    )
}

OTHER_SUITES = {
    "assign": "Emergency assignment benchmarks (delegates to benchmarks.assign.main)",
    "latency": "AssignUnits latency over gRPC on loopback, idle vs. routing workers busy",
    "city": "Generated city requests (12): maintenance (skills, two windows, lunch) and"
    " sanitation (capacity, disposal sites), 100/200/400 stops (benchmarks.city)",
    "dispatchsim": "A day of emergency calls in a generated city: closest idle vs AssignUnits vs"
    " AssignUnits with move-up, 5 seeds from --seed (benchmarks.dispatchsim)",
}
