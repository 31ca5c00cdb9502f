"""The city suite: generated maintenance and sanitation requests, run side by side against
AUTO, OR-Tools alone, PyVRP (where it models the instance) and VROOM (benchmarks/README.md)."""
