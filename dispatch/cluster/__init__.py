"""Big nights on a Ray cluster: connect (or start a local Ray) and run decomposed parts as tasks.

The decomposition itself is pure and lives in ``solvers.routing.decompose``; this package only
runs its part jobs on Ray (``pip install 'city-dispatch[ray]'``). Ray is imported when a cluster
is asked for, never by the rest of the service.
"""

from dispatch.cluster.ray_runner import ClusterUnavailableError as ClusterUnavailableError
from dispatch.cluster.ray_runner import RayRunner as RayRunner
from dispatch.cluster.ray_runner import connect as connect
