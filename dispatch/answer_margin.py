"""How much of a gRPC deadline to keep back for the answer's way home, learned per workload.

Why: after the solve deadline the answer still has to come back from the worker, be re-checked,
converted and sent. On a quiet machine that takes a few milliseconds; on a starved one (two
busy loops beside the server, measured in the loaded test runs) it took long enough that a
fixed 10 % margin let a 2 s call miss its gRPC deadline. A fixed larger share would waste
search time on every quiet call. So each workload remembers how far past its solve deadline its
recent answers left the handler, and the margin covers the slowest of them with room to spare.
The fixed share also grows with the machine's load per core, which covers the first calls of a
server too, before any history: on a machine running twice as many processes as it has cores,
what follows the solve takes about twice as long (measured: 2 s PlanRoutes calls beside two busy
loops left 0.19-0.29 s after their solve deadline, against 0.2 s kept back, and the first call
of a fresh server missed its gRPC deadline). It never takes more than half of the time left:
an answer must still have time to be found.
"""

from __future__ import annotations

import collections
import threading

from solvers import budget

#: The margin never goes below this share of the time left, nor below MIN_SECONDS.
FRACTION = 0.10
MIN_SECONDS = 0.02
#: The learned part covers the slowest of the last WINDOW answers times HEADROOM.
WINDOW = 32
HEADROOM = 1.5
#: The margin never takes more than this share of the time left.
MAX_FRACTION = 0.5


class AnswerMargin:
    """Recent answer overruns of one workload, and the margin they call for (thread-safe)."""

    def __init__(self, window: int = WINDOW) -> None:
        self._overruns: collections.deque[float] = collections.deque(maxlen=window)
        self._lock = threading.Lock()

    def record(self, seconds_past_deadline: float) -> None:
        """One answer left the handler this long after its solve deadline (negative: before)."""
        with self._lock:
            self._overruns.append(max(0.0, seconds_past_deadline))

    def learned(self) -> float:
        """The slowest recent overrun with headroom (0 before any answer)."""
        with self._lock:
            slowest = max(self._overruns, default=0.0)
        return HEADROOM * slowest

    def margin(self, time_remaining: float, load_per_core: float | None = None) -> float:
        """Seconds of ``time_remaining`` to keep back from the solve.

        ``load_per_core`` defaults to the machine's one-minute load average per usable core.
        """
        if load_per_core is None:
            load_per_core = budget.load_per_core()
        floor = max(MIN_SECONDS, FRACTION * time_remaining * max(1.0, load_per_core))
        return min(max(floor, self.learned()), MAX_FRACTION * time_remaining)
