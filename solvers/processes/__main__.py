"""``python -m solvers.processes ENTRY PARENT_PID NICENESS``: a child started by ``spawn``."""

import sys

from solvers.processes.child_side import main

if __name__ == "__main__":  # importing this module (as a package walk does) starts nothing
    raise SystemExit(main(sys.argv[1:]))
