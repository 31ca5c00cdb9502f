"""The bundled example requests, shipped as package data so an installed server finds them.

The files are written by ``examples/generate.py`` (identical to the copies in ``examples/``; a
test keeps them in step).
"""

from __future__ import annotations

from importlib import resources

#: Example name -> the RPC it is a request for.
EXAMPLES: dict[str, str] = {
    "emergency": "AssignUnits",
    "sanitation": "PlanRoutes",
    "maintenance": "PlanRoutes",
}


def read_text(name: str) -> str:
    """The JSON text of one bundled example."""
    if name not in EXAMPLES:
        raise KeyError(f"no example {name!r}; one of {', '.join(EXAMPLES)}")
    return resources.files(__package__).joinpath(f"{name}.json").read_text(encoding="utf-8")
