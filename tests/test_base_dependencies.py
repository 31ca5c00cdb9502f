"""What a base install (`pip install -e .`, the README's first command) must be able to import.

Every module-level import of a third-party package in ``dispatch`` and ``solvers`` must come
from a base dependency in pyproject.toml; optional extras (PostgreSQL, Ray, tracing, rendering)
are imported inside functions, where their absence becomes a clear error instead of a server
that does not start. A move-up module importing SciPy at module level, with SciPy only in the
test extra, once kept `dispatch serve --examples` from starting on a fresh machine.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: Import name -> distribution name, where they differ.
DISTRIBUTION = {
    "google": "protobuf",
    "grpc": "grpcio",
    "grpc_health": "grpcio-health-checking",
    "grpc_reflection": "grpcio-reflection",
    "grpc_status": "grpcio-status",
    "jwt": "pyjwt",
    "prometheus_client": "prometheus-client",
}
#: Modules that belong to an extra as a whole (imported only when that feature is used).
EXTRA_MODULES = {"dispatch/render/page.py": "plotly", "dispatch/render/figures.py": "plotly"}


def _base_distributions() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return {re.split(r"[<>=\[ ;]", dep, maxsplit=1)[0].lower() for dep in project["dependencies"]}


def _module_level_imports(path: Path) -> set[str]:
    """Top-level package names imported outside any function or class body."""
    names: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names.add(node.module.split(".")[0])
        elif isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
    return names


def test_module_level_imports_come_from_base_dependencies():
    """No module of the service needs an extra just to be imported."""
    base = _base_distributions()
    own = {"dispatch", "solvers"}
    wrong = []
    for package in own:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if "/_proto/" in relative:
                continue
            for name in _module_level_imports(path):
                if name in own or name in sys.stdlib_module_names or name == "__future__":
                    continue
                if EXTRA_MODULES.get(relative) == name:
                    continue
                if DISTRIBUTION.get(name, name).lower() not in base:
                    wrong.append(f"{relative}: {name}")
    assert not wrong, wrong
