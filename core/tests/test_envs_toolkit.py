"""``pyfunc_core.envs`` declares the environment-manager toolkit and imports it only on use."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import pyfunc_core.envs as envs


def test_every_public_name_is_its_modules_object():
    sources = {name: module for module, names in envs._SOURCES.items() for name in names}
    assert envs.__all__ == sorted(sources)
    for name, module in sources.items():
        assert getattr(envs, name) is getattr(importlib.import_module(f"pyfunc_core.envs.{module}"), name)


def test_importing_the_package_imports_no_submodule():
    probe = "import sys, pyfunc_core.envs; print(sorted(m for m in sys.modules if m.startswith('pyfunc_core.envs.')))"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.strip() == "[]"


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no_such_name"):
        envs.no_such_name  # noqa: B018
