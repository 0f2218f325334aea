"""The core's public API: what plugins may import is declared, and they import nothing else.

Code under ``plugins/*/src`` imports from the core only through the public modules below,
and only names in their ``__all__`` (docs/writing-a-plugin.md); the rest of the core may
change without notice. Generated protobuf modules are skipped.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

PUBLIC_MODULES = (
    "pyfunc_core",
    "pyfunc_core.batch",
    "pyfunc_core.cli",
    "pyfunc_core.codecs",
    "pyfunc_core.envs",
    "pyfunc_core.errors",
    "pyfunc_core.formats",
    "pyfunc_core.formats.file_cache",
    "pyfunc_core.model",
    "pyfunc_core.plugins",
    "pyfunc_core.registry",
    "pyfunc_core.schema",
)
PLUGINS = Path(__file__).resolve().parents[2] / "plugins"


def _plugin_sources() -> list[Path]:
    return sorted(p for p in PLUGINS.glob("*/src/**/*.py") if "_pb2" not in p.name)


def _public_names(module: str) -> set[str]:
    return set(importlib.import_module(module).__all__)


def _violations(path: Path, root: Path = PLUGINS.parent) -> list[str]:
    """``file:line: what`` for each core import in ``path`` that is not public."""
    found = []
    where = path.relative_to(root)
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "pyfunc_core" and alias.name not in PUBLIC_MODULES:
                    found.append(f"{where}:{node.lineno}: import {alias.name}")
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.split(".")[0] != "pyfunc_core":
                continue
            if node.module not in PUBLIC_MODULES:
                names = ", ".join(alias.name for alias in node.names)
                found.append(f"{where}:{node.lineno}: from {node.module} import {names}")
                continue
            public = _public_names(node.module)
            for alias in node.names:
                if alias.name not in public and f"{node.module}.{alias.name}" not in PUBLIC_MODULES:
                    found.append(f"{where}:{node.lineno}: {alias.name} is not in {node.module}.__all__")
    return found


def test_plugins_import_only_the_public_api() -> None:
    sources = _plugin_sources()
    assert len(sources) > 50  # the glob found the plugins' modules
    violations = [line for path in sources for line in _violations(path)]
    assert violations == [], "plugins import private core names:\n" + "\n".join(violations)


@pytest.mark.parametrize("module", PUBLIC_MODULES)
def test_every_public_name_resolves(module: str) -> None:
    imported = importlib.import_module(module)
    assert imported.__all__, f"{module} declares no public names"
    assert len(set(imported.__all__)) == len(imported.__all__), f"{module}.__all__ lists a name twice"
    missing = [name for name in imported.__all__ if not hasattr(imported, name)]
    assert missing == [], f"{module}.__all__ names what it does not have: {missing}"


def test_the_check_finds_private_imports(tmp_path: Path) -> None:
    """The scanner itself: each kind of private import is reported, public ones are not."""
    code = (
        "import pyfunc_core.registry\n"
        "import pyfunc_core.model.mlmodel\n"
        "from pyfunc_core.errors import PluginError\n"
        "from pyfunc_core import registry, hookimpl\n"
        "from pyfunc_core.schema.enforce import enforce_schema\n"
        "from pyfunc_core.errors import not_a_public_name\n"
        "from . import sibling\n"
    )
    path = tmp_path / "plugins" / "example" / "src" / "example" / "mod.py"
    path.parent.mkdir(parents=True)
    path.write_text(code)
    assert _violations(path, tmp_path) == [
        "plugins/example/src/example/mod.py:2: import pyfunc_core.model.mlmodel",
        "plugins/example/src/example/mod.py:5: from pyfunc_core.schema.enforce import enforce_schema",
        "plugins/example/src/example/mod.py:6: not_a_public_name is not in pyfunc_core.errors.__all__",
    ]
