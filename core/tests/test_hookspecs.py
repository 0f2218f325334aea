"""Every hook is documented, exercised by a test, and described in the plugin guide."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from pyfunc_core import hookspecs

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "writing-a-plugin.md"
TEST_DIRS = [ROOT / "core" / "tests", ROOT / "tests"]
MARKER = f"{hookspecs.PROJECT_NAME}_spec"

HOOKS = sorted(name for name, fn in inspect.getmembers(hookspecs, inspect.isfunction) if hasattr(fn, MARKER))


def test_the_hook_list_is_what_the_guide_expects():
    assert HOOKS == [
        "register_codecs",
        "register_commands",
        "register_env_managers",
        "register_flavors",
        "register_formats",
        "register_servers",
        "select_flavor",
    ]


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_has_a_docstring(hook):
    doc = inspect.getdoc(getattr(hookspecs, hook))
    assert doc and len(doc.split()) >= 15, f"{hook} needs a docstring for plugin authors"


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_implemented_in_some_test(hook):
    sources = [p.read_text(encoding="utf-8") for d in TEST_DIRS for p in d.rglob("*.py")]
    assert any(f"def {hook}(" in text for text in sources), f"no test implements {hook}"


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_in_the_plugin_guide(hook):
    assert f"### `{hook}(" in GUIDE.read_text(encoding="utf-8"), f"{hook} is missing from {GUIDE.name}"


def test_firstresult_is_documented_where_it_applies():
    pm_spec = {h: getattr(getattr(hookspecs, h), MARKER) for h in HOOKS}
    for hook, opts in pm_spec.items():
        doc = inspect.getdoc(getattr(hookspecs, hook))
        assert opts.get("firstresult", False) == ("stops at the first non-none result" in doc.lower()), hook
