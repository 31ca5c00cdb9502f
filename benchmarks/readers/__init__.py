"""Instance readers: a standard instance file -> dispatch.v1 PlanRoutesRequest + scoring data.

Every reader returns a :class:`benchmarks.readers.common.Instance`: the public request that every
solver gets (the service, and the peers through the same integer matrices) and what the scorer
needs to recompute the objective in the instance's own convention from route sequences alone.
"""

from benchmarks.readers.common import Convention, Instance
from benchmarks.readers.cvrplib import read_cvrplib
from benchmarks.readers.vrptw import read_vrptw
from benchmarks.readers.waste import read_waste

__all__ = ["Convention", "Instance", "read_cvrplib", "read_vrptw", "read_waste"]
