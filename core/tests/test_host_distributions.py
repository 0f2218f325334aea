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
    pure_python,
    rebuild_wheel,
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


def _write_wheel(path, files: dict[str, str]) -> None:
    """A wheel of ``tinywheel 0.4`` holding ``files`` plus its .dist-info (RECORD and all)."""
    import base64
    import hashlib

    info = "tinywheel-0.4.dist-info"
    files = {
        **files,
        f"{info}/METADATA": "Metadata-Version: 2.1\nName: tinywheel\nVersion: 0.4\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        f"{info}/entry_points.txt": "[console_scripts]\ntinywheel = tinywheel:main\n",
    }
    record = []
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in files.items():
            data = text.encode()
            archive.writestr(name, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            record.append(f"{name},sha256={digest},{len(data)}")
        archive.writestr(f"{info}/RECORD", "\n".join([*record, f"{info}/RECORD,,"]) + "\n")


def _pip_target(wheel, target) -> None:
    import subprocess
    import sys

    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index", "--target", str(target),
         str(wheel)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip


@pytest.mark.slow
def test_wheel_installed_distribution_is_rebuilt_from_its_installed_files(tmp_path, monkeypatch):
    import subprocess
    import sys

    original = tmp_path / "tinywheel-0.4-py3-none-any.whl"
    _write_wheel(original, {"tinywheel/__init__.py": "VALUE = 4\ndef main():\n    print(VALUE)\n"})
    _pip_target(original, tmp_path / "site")
    original.unlink()  # the file the host installed from is gone
    monkeypatch.syspath_prepend(str(tmp_path / "site"))

    dist = host_distribution("tinywheel")
    assert dist.direct and dist.source is None and dist.version == "0.4"
    assert dist.key.startswith("tinywheel==0.4@")
    assert pure_python("tinywheel")
    (arg,) = install_arguments([dist], root=tmp_path / "envs")
    wheel = zipfile.ZipFile(arg)
    assert arg.endswith("tinywheel-0.4-py3-none-any.whl")
    names = wheel.namelist()
    assert "tinywheel/__init__.py" in names and names[-1] == "tinywheel-0.4.dist-info/RECORD"
    assert not {"INSTALLER", "REQUESTED", "direct_url.json"} & {n.rsplit("/", 1)[-1] for n in names}
    assert not any("__pycache__" in n or n.startswith("..") for n in names)
    # The same installed files give the same bytes: the docker context's digest stays put.
    again = rebuild_wheel("tinywheel", tmp_path / "again")
    assert again.read_bytes() == open(arg, "rb").read()

    # The rebuilt wheel installs offline, console script included, and runs.
    _pip_target(again, tmp_path / "site2")
    out = subprocess.run(
        [sys.executable, "-c", "import tinywheel; tinywheel.main()"],
        env={"PYTHONPATH": str(tmp_path / "site2")}, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert out.stdout.strip() == "4", out.stderr
    assert (tmp_path / "site2" / "bin" / "tinywheel").is_file()


def test_platform_wheels_are_not_pure_python():
    assert not pure_python("numpy")
    assert not pure_python("pyfunc-not-installed-anywhere")


def test_editable_install_whose_source_is_gone_is_refused(tmp_path, monkeypatch):
    import json

    info = tmp_path / "site" / "gonedist-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: gonedist\nVersion: 1.0\n")
    gone = (tmp_path / "src-gone").as_uri()
    (info / "direct_url.json").write_text(json.dumps({"url": gone, "dir_info": {"editable": True}}))
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    with pytest.raises(EnvironmentBuildError) as err:
        host_distribution("gonedist")
    assert "installed in editable mode from" in str(err.value) and "no longer exists" in str(err.value)
