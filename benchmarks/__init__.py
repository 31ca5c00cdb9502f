"""Benchmarks: standard instances as PlanRoutesRequests, peer solvers, independent scoring, reports.

Entry point: ``python -m benchmarks list | run | report`` (see benchmarks/README.md).
"""
