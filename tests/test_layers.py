"""Imports point down only: solvers know nothing of gRPC, protobuf or the service.

``solvers`` must stay usable as a plain library (benchmarks run it in fresh processes, others
may embed it), so it may not import grpc, google.protobuf, google.rpc or dispatch, not even
inside a function. ``dispatch`` and ``solvers`` never import ``benchmarks``.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def imported_modules(path: Path) -> set[str]:
    """Absolute module names a file imports anywhere (relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = list(path.relative_to(ROOT).with_suffix("").parts)[:-1]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def violations(package: str, forbidden: tuple[str, ...]) -> list[str]:
    """``file: module`` for every forbidden import under ``package``."""
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for module in sorted(imported_modules(path)):
            if any(module == f or module.startswith(f + ".") for f in forbidden):
                found.append(f"{path.relative_to(ROOT)}: {module}")
    return found


def test_import_scanner_sees_nested_and_relative_imports(tmp_path, monkeypatch):
    """Imports hidden in functions and relative ones are caught, or the scan proves nothing."""
    pkg = tmp_path / "solvers" / "sub"
    pkg.mkdir(parents=True)
    source = pkg / "m.py"
    source.write_text("def f():\n    import grpc\n    from ...dispatch import server\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert violations("solvers", ("grpc", "dispatch")) == [
        "solvers/sub/m.py: dispatch",
        "solvers/sub/m.py: dispatch.server",
        "solvers/sub/m.py: grpc",
    ]


def test_solvers_do_not_import_transport_or_service():
    """solvers/ never imports grpc, protobuf, google.rpc or dispatch."""
    forbidden = (
        "grpc",
        "grpc_status",
        "grpc_health",
        "grpc_reflection",
        "google.protobuf",
        "google.rpc",
        "dispatch",
        "benchmarks",
    )
    assert violations("solvers", forbidden) == []


def test_dispatch_does_not_import_benchmarks():
    """The service never depends on the benchmark harness."""
    assert violations("dispatch", ("benchmarks",)) == []


def test_importing_solvers_loads_no_grpc_or_service():
    """At run time too (transitively), importing every solvers module pulls in no grpc/dispatch."""
    code = (
        "import importlib, pkgutil, sys\n"
        "import solvers\n"
        "for m in pkgutil.walk_packages(solvers.__path__, 'solvers.'):\n"
        "    importlib.import_module(m.name)\n"
        "bad = sorted(n for n in sys.modules if n.split('.')[0] in ('grpc', 'dispatch'))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
