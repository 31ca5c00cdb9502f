"""Regenerate dispatch/_proto from protos/ with the pinned grpcio-tools.

Run from the repository root: ``python protos/generate.py`` (``--check`` only compares).

Why a script and a rewrite step: protoc writes imports as ``from dispatch.v1 import x_pb2``, which
would collide with our own ``dispatch`` package. The generated files live under
``dispatch/_proto/dispatch/v1`` and their imports are rewritten to that path, so the descriptor
file names (what reflection shows) stay ``dispatch/v1/*.proto``.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROTO_ROOT = ROOT / "protos"
OUT = ROOT / "dispatch" / "_proto"
PINNED_GRPC_TOOLS = "1.81."
_IMPORT = re.compile(r"^from dispatch\.v1 import ", re.MULTILINE)
_INIT = '"""Generated code: do not edit; regenerate with protos/generate.py."""\n'


def generate(dest: Path) -> None:
    """Run protoc into ``dest`` and rewrite imports to the package path."""
    import grpc_tools
    from grpc_tools import protoc

    version = getattr(grpc_tools, "__version__", None)
    if version is None:
        from importlib.metadata import version as dist_version

        version = dist_version("grpcio-tools")
    if not version.startswith(PINNED_GRPC_TOOLS):
        sys.exit(
            f"grpcio-tools {PINNED_GRPC_TOOLS}x required (found {version}); see pyproject.toml"
        )
    include = Path(grpc_tools.__file__).parent / "_proto"
    protos = sorted(str(p.relative_to(PROTO_ROOT)) for p in PROTO_ROOT.rglob("*.proto"))
    args = [
        "protoc",
        f"-I{PROTO_ROOT}",
        f"-I{include}",
        f"--python_out={dest}",
        f"--pyi_out={dest}",
        f"--grpc_python_out={dest}",
        *protos,
    ]
    if protoc.main(args) != 0:
        sys.exit("protoc failed")
    for path in dest.rglob("*.py*"):
        path.write_text(_IMPORT.sub("from dispatch._proto.dispatch.v1 import ", path.read_text()))
    for folder in [dest, *[p for p in dest.rglob("*") if p.is_dir()]]:
        (folder / "__init__.py").write_text(_INIT)


def snapshot(folder: Path) -> dict[str, str]:
    """Map each generated file's relative path to its text."""
    return {
        str(p.relative_to(folder)): p.read_text()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.suffix in {".py", ".pyi"}
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="fail if regenerating changes anything"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp)
        generate(fresh)
        if args.check:
            if snapshot(fresh) != snapshot(OUT):
                print(
                    "dispatch/_proto is out of date: run python protos/generate.py", file=sys.stderr
                )
                return 1
            return 0
        for old in OUT.rglob("*"):
            if old.is_file() and old.suffix in {".py", ".pyi"}:
                old.unlink()
        for rel, text in snapshot(fresh).items():
            target = OUT / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
