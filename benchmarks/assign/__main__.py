"""``python -m benchmarks.assign``."""

import sys

from benchmarks.assign.runner import main

sys.exit(main())
