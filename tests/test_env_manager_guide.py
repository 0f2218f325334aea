"""The guide's worked environment manager (docs/writing-a-plugin.md, ``envs:example``) really works."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "writing-a-plugin.md"

pytestmark = pytest.mark.slow

PREFIX_MODEL = textwrap.dedent(
    """
    import sys
    import cloudpickle
    from pyfunc_core.python_model import PythonModel
    from pyfunc_core.python_model.flavor import save_model

    class Prefix(PythonModel):
        '''Answers with ``sys.prefix``: which environment runs it.'''

        def predict(self, context, model_input, params=None):
            import sys
            return [sys.prefix] * len(model_input)

    save_model(sys.argv[1], Prefix(), pip_requirements=[f"cloudpickle=={cloudpickle.__version__}"])
    """
)


def example() -> str:
    """The code block after the ``envs:example`` marker."""
    text = GUIDE.read_text(encoding="utf-8").split("<!-- envs:example -->", 1)[1]
    return re.findall(r"^```python\n(.*?)^```$", text, flags=re.S | re.M)[0]


def marker_python() -> str:
    return ".".join(map(str, sys.version_info[:3]))


def test_the_guide_example_manager_builds_reuses_and_runs_a_real_environment(
    tmp_path, monkeypatch, pyfunc_plugins
):
    import cloudpickle

    from pyfunc_core.envs import env_key, get_env_manager
    from pyfunc_core.model import ModelDirectory

    module = types.ModuleType("pyfunc_uvenv")
    monkeypatch.setitem(sys.modules, "pyfunc_uvenv", module)
    exec(compile(example(), "pyfunc_uvenv.py", "exec"), module.__dict__)
    assert pyfunc_plugins.add_plugin(module, name="uvenv").status == "ok"
    root = (tmp_path / "envs").resolve()
    monkeypatch.setenv("PYFUNC_CORE_ENV_ROOT", str(root))
    model = tmp_path / "model"
    subprocess.run([sys.executable, "-c", PREFIX_MODEL, str(model)], check=True, timeout=120)

    manager = get_env_manager("uvenv")
    assert isinstance(manager, module.UvVenvManager)
    lines: list[str] = []
    environment = manager.prepare(ModelDirectory.open(model), reporter=lines.append)
    assert environment.manager == "uvenv" and environment.root is not None
    assert environment.root.parent == root and environment.root.name.startswith("uvenv-")
    assert environment.python == str(environment.root / "bin" / "python")
    assert environment.env_vars["PATH"].startswith(f"{environment.root / 'bin'}{os.pathsep}")
    assert "uv venv..." in lines and any(
        line.startswith("installing 1 model requirements and pyfunc-core") for line in lines
    )
    marker = json.loads((environment.root / ".pyfunc-env.json").read_text())
    assert marker["requirements"] == [f"cloudpickle=={cloudpickle.__version__}"]  # not pyfunc-core==...
    assert marker["distributions"][0].startswith("pyfunc-core==")
    # The cache key: the name, spec.key, the requirements, the distributions (with source fingerprints).
    key = env_key("uvenv", marker_python(), marker["requirements"], marker["distributions"])
    assert environment.root.name == f"uvenv-{key}"
    assert marker["manager"] == "uvenv" and marker["python"] == marker_python()

    data = tmp_path / "input.json"
    data.write_text(json.dumps({"inputs": [[1], [2]]}))
    argv = ["predict", "-m", str(model), "-i", str(data), "--env-manager", "local"]
    out = subprocess.run(
        environment.command(argv), env={**os.environ, **environment.env_vars},
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {"predictions": [str(environment.root)] * 2}

    again: list[str] = []
    assert manager.prepare(ModelDirectory.open(model), reporter=again.append) == environment
    assert again == [f"reusing environment {environment.root}"]
