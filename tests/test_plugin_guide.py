"""docs/writing-a-plugin.md quotes the tutorial flavor that the end-to-end test builds."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "writing-a-plugin.md"
POLY = ROOT / "tests" / "pyfunc-poly"


def code_blocks(text: str) -> list[str]:
    return re.findall(r"^```[a-z]*\n(.*?)^```$", text, flags=re.S | re.M)


@pytest.mark.parametrize(
    "relative", ["pyproject.toml", "src/pyfunc_poly/plugin.py", "src/pyfunc_poly/__init__.py"]
)
def test_guide_quotes_the_tutorial_files_exactly(relative):
    source = (POLY / relative).read_text(encoding="utf-8")
    assert source in code_blocks(GUIDE.read_text(encoding="utf-8")), f"{relative} differs from the guide"


def test_guide_save_example_compiles():
    compile(save_example(), "save_poly.py", "exec")


def save_example() -> str:
    """The guide's save script (the code block after the ``tutorial:save`` marker)."""
    text = GUIDE.read_text(encoding="utf-8")
    return code_blocks(text.split("<!-- tutorial:save -->", 1)[1])[0]
