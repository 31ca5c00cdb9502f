"""The one exception hierarchy of the project.

The service (``dispatch``) extends it with transport-level cases and maps every class to a gRPC
status in exactly one place (``dispatch/errors.py``). Solvers raise these, never bare exceptions,
for anything a caller could cause.
"""

from __future__ import annotations

from dataclasses import dataclass


class DispatchError(Exception):
    """Root of every error the project raises on purpose."""


@dataclass(frozen=True)
class FieldProblem:
    """One problem with one field of the input, named by its path (``units[3].capabilities``)."""

    path: str
    description: str


class InvalidProblemError(DispatchError, ValueError):
    """The input cannot be solved as given; carries every problem found (up to a limit)."""

    def __init__(self, problems: list[FieldProblem] | FieldProblem) -> None:
        self.problems = [problems] if isinstance(problems, FieldProblem) else list(problems)
        first = self.problems[0] if self.problems else FieldProblem("", "invalid input")
        more = f" (+{len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
        super().__init__(f"{first.path}: {first.description}{more}")


class SolverFailedError(DispatchError):
    """A solver raised, crashed or returned nothing usable; fallbacks catch this."""


class PlanRejectedError(DispatchError):
    """The independent checker found a violation in a plan a solver produced (a solver bug)."""

    def __init__(self, violations: list[str]) -> None:
        self.violations = list(violations)
        super().__init__("; ".join(self.violations[:5]) or "plan rejected")


class CancelledError(DispatchError):
    """The caller cancelled the solve or its deadline passed before any plan existed."""
