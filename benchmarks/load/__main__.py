"""``python -m benchmarks.load``: the same as ``python -m benchmarks load``."""

import sys

from benchmarks.load import main

if __name__ == "__main__":
    sys.exit(main())
