"""Which pyfunc distributions the host runs, and installing the same ones elsewhere."""

from __future__ import annotations

import zipfile

import pytest

from pyfunc_core.envs.host_distributions import (
    HostDistribution,
    host_distribution,
    install_arguments,
    local_wheel,
    model_distributions,
    source_fingerprint,
)
from pyfunc_core.envs.installer import pip_install
from pyfunc_core.errors import EnvironmentBuildError


def test_unknown_distribution_is_installed_unpinned():
    dist = host_distribution("pyfunc-not-installed-anywhere")
    assert dist.version is None and dist.source is None
    assert dist.requirement == "pyfunc-not-installed-anywhere"


def test_index_distribution_is_pinned():
    dist = host_distribution("packaging")
    assert dist.source is None
    assert dist.requirement.startswith("packaging==")
    assert install_arguments([dist]) == [dist.requirement]


def test_source_fingerprint_follows_content(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[project]\nname='x'\n")
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "m.pyc").write_bytes(b"\0")
    before = source_fingerprint(tmp_path)
    (tmp_path / "__pycache__" / "m.pyc").write_bytes(b"\1")
    assert source_fingerprint(tmp_path) == before
    (tmp_path / "m.py").write_text("x = 1\n")
    assert source_fingerprint(tmp_path) != before


@pytest.mark.slow
def test_local_source_is_built_into_a_cached_wheel(tmp_path):
    src = tmp_path / "src"
    (src / "src" / "tinydist").mkdir(parents=True)
    (src / "src" / "tinydist" / "__init__.py").write_text("VALUE = 1\n")
    (src / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=68"]\nbuild-backend = "setuptools.build_meta"\n'
        '[project]\nname = "tinydist"\nversion = "0.3"\n'
    )
    dist = HostDistribution("tinydist", "0.3", source=src, fingerprint=source_fingerprint(src))
    lines: list[str] = []
    wheel = local_wheel(dist, reporter=lines.append, root=tmp_path / "envs")
    assert wheel.name.startswith("tinydist-0.3-") and wheel.suffix == ".whl"
    assert "tinydist/__init__.py" in zipfile.ZipFile(wheel).namelist()
    assert any("building a wheel of tinydist" in line for line in lines)
    lines.clear()
    assert local_wheel(dist, reporter=lines.append, root=tmp_path / "envs") == wheel
    assert lines == []


def test_model_distributions_include_the_core_for_python_models(tmp_path, pyfunc_plugins):
    from pyfunc_core.model.mlmodel import ModelDirectory
    from pyfunc_core.python_model import PythonModel
    from pyfunc_core.python_model.flavor import save_model

    class Echo(PythonModel):
        def predict(self, context, model_input, params=None):
            return model_input

    save_model(tmp_path / "m", Echo())
    names = [d.name for d in model_distributions(ModelDirectory.open(tmp_path / "m"), plugins=pyfunc_plugins)]
    assert names[0] == "pyfunc-core"
    assert names.count("pyfunc-core") == 1
    for server in pyfunc_plugins.servers:
        assert pyfunc_plugins.distribution_of(pyfunc_plugins.servers.provider(server.name)) in names


@pytest.mark.slow
def test_failed_install_carries_the_installer_message(tmp_path):
    import sys

    with pytest.raises(EnvironmentBuildError) as err:
        pip_install(
            sys.executable, ["--dry-run", "pyfunc-no-such-distribution-x7q==1.0"], reporter=lambda _: None
        )
    assert "pyfunc-no-such-distribution-x7q" in str(err.value)
    assert "failed (exit code" in str(err.value)
