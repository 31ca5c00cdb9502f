"""The one process layer: solver child processes and their IPC, for every solver process.

Why processes: OR-Tools' routing solve holds the GIL for its whole run (DESIGN), so a solve in
a thread would stop the server (and a second engine in a thread would never run). Two users,
one mechanism:

- ``dispatch.workers``: the service's routing workers, long-lived, one job at a time;
- ``solvers.routing.companion``: the second-core engine, started by a routing worker (a child
  starting its own children) with one job, streaming its improving plans.

What this package owns, so neither user writes it again:

- spawning: :func:`spawn` starts ``python -m solvers.processes ENTRY ...`` (a fresh interpreter,
  never a fork of a threaded server) from one long-lived thread; the child gets this process's
  ``sys.path``, then runs ``ENTRY(*args)`` for its imports and warm-up (:class:`ChildSpec`);
- a ready handshake: the child's first frame says its imports are done
  (:meth:`Child.wait_ready`);
- framed duplex IPC over the child's stdin and stdout (length-prefixed pickles,
  :mod:`solvers.processes.frames`), read and written by threads of the parent so that the
  caller waits with a timeout (:meth:`Child.receive`) and never blocks on a full pipe;
- kill and reap (:meth:`Child.kill`) for a cancel, an overrun or a crash the user detects
  (:class:`ChildExited` carries the exit code);
- dying with the parent (the kernel's parent-death signal) and running at a lower CPU
  priority, both set up in the child before its imports (:mod:`solvers.processes.child_side`);
- a kept-warm standby (:class:`Standby`).

It never imports grpc, protobuf or ``dispatch`` (``dispatch`` imports ``solvers``).
"""

from solvers.processes.child_side import Parent, die_with_parent, load_entry, lower_priority
from solvers.processes.frames import read_frame, write_frame
from solvers.processes.parent_side import (
    Child,
    ChildExited,
    ChildSilent,
    ChildSpec,
    Standby,
    spawn,
)

__all__ = [
    "Child",
    "ChildExited",
    "ChildSilent",
    "ChildSpec",
    "Parent",
    "Standby",
    "die_with_parent",
    "load_entry",
    "lower_priority",
    "read_frame",
    "spawn",
    "write_frame",
]
