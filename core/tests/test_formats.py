"""Model formats: the core's four, registered through the same hook a plugin uses, each
saving and loading a real object, with one-line errors and the skops safety check."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import pytest

from pyfunc_core import hookimpl
from pyfunc_core.errors import InvalidParameterError, ModelLoadError
from pyfunc_core.formats import ModelFormat, get_format
from pyfunc_core.plugins import Plugins

FORMATS = ["cloudpickle", "pickle", "joblib", "skops"]


class Point:  # module level: pickle, joblib and skops can all name it
    def __init__(self, x: float = 0.0) -> None:
        self.x = x


def test_builtin_formats_register_through_the_hook() -> None:
    plugins = Plugins().load(entry_points=False)
    assert sorted(plugins.formats.names()) == sorted(FORMATS)
    assert {plugins.formats.provider(n) for n in FORMATS} == {"pyfunc-core"}
    assert plugins.info("pyfunc-core").provides["formats"] == sorted(FORMATS)


@pytest.mark.parametrize("name", FORMATS)
def test_save_and_load_round_trip(name: str, tmp_path: Path) -> None:
    import numpy as np

    fmt = get_format(name, Plugins().load(entry_points=False))
    obj = {"weights": np.arange(6.0).reshape(2, 3), "name": "w"}
    fmt.save(obj, tmp_path / fmt.file_name)
    back = fmt.load(tmp_path / fmt.file_name)
    assert back["name"] == "w" and back["weights"].tolist() == obj["weights"].tolist()
    assert set(fmt.versions()) == set(fmt.requirements)


@pytest.mark.parametrize("name", FORMATS)
def test_a_damaged_file_is_one_line_naming_it(name: str, tmp_path: Path) -> None:
    fmt = get_format(name, Plugins().load(entry_points=False))
    path = tmp_path / fmt.file_name
    fmt.save([1, 2, 3], path)
    path.write_bytes(path.read_bytes()[:7])
    with pytest.raises(ModelLoadError) as err:
        fmt.load(path)
    assert str(path) in str(err.value) and "\n" not in str(err.value)


def test_a_version_mismatch_names_both_versions(tmp_path: Path) -> None:
    path = tmp_path / "model.pkl"
    path.write_bytes(b"cno_such_module_here\nThing\n)\x81.")
    with pytest.raises(ModelLoadError) as err:
        get_format("pickle", Plugins().load(entry_points=False)).load(path, saved_with={"numpy": "0.1"})
    assert "saved with numpy 0.1" in str(err.value) and "install numpy==0.1" in str(err.value)


def test_unknown_format_lists_the_installed_ones() -> None:
    with pytest.raises(ModelLoadError, match=r"Unknown model format 'h5' \(installed: cloudpickle, joblib"):
        get_format("h5", Plugins().load(entry_points=False))


def test_trusted_types_only_for_skops(tmp_path: Path) -> None:
    with pytest.raises(InvalidParameterError, match="only to skops"):
        get_format("pickle", Plugins().load(entry_points=False)).save(1, tmp_path / "m", trusted=["a.B"])


def test_skops_check_and_load_refuse_untrusted_and_code_running_types(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYFUNC_CORE_CACHE_DIR", str(tmp_path / "cache"))
    fmt = get_format("skops", Plugins().load(entry_points=False))
    path = tmp_path / "model.skops"
    own = f"{__name__}.Point"
    fmt.save(Point(2.5), path, trusted=[own])
    assert fmt.check(path).passed is False
    assert fmt.check(path, trusted=[own]).passed is True
    with pytest.raises(ModelLoadError, match=r"not trusted: \['.*Point'\]"):
        fmt.load(path)
    assert fmt.load(path, trusted=[own]).x == 2.5
    for listed in ("os.system", "builtins.eval"):
        assert fmt.check(path, trusted=[own, listed]).passed is False
        with pytest.raises(ModelLoadError) as err:
            fmt.load(path, trusted=[own, listed])
        assert "run code" in str(err.value) and "PYFUNC_CORE_ALLOW_CODE_TYPES=1" in str(err.value)
        with pytest.raises(InvalidParameterError, match="run code"):
            fmt.save(Point(), tmp_path / "other.skops", trusted=[listed])
    # the operator's trust list for every flavor, and the opt-in for code-running types
    monkeypatch.setenv("PYFUNC_CORE_SKOPS_TRUSTED_TYPES", own)
    assert fmt.check(path).passed is True
    monkeypatch.setenv("PYFUNC_CORE_ALLOW_CODE_TYPES", "1")
    assert fmt.load(path, trusted=["os.system"]).x == 2.5


def test_pickle_formats_have_no_safety_check(tmp_path: Path) -> None:
    fmt = get_format("cloudpickle", Plugins().load(entry_points=False))
    fmt.save(1, tmp_path / "m.pkl")
    assert fmt.check(tmp_path / "m.pkl").passed is None


class UpperFormat(ModelFormat):
    """A plugin's own format: text written upper-case."""

    name = "upper-text"
    file_name = "model.txt"
    runs_code = False

    def _dump(self, obj: Any, path: Path, trusted: Any) -> None:
        path.write_text(str(obj).upper(), encoding="utf-8")

    def _read(self, path: Path, trusted: Any, model_class: Any, saved_with: Any, trust_hint: Any) -> Any:
        text = path.read_text(encoding="utf-8")
        if not text.isupper():
            raise ValueError("not upper-case")
        return text


class FormatPlugin:
    @hookimpl
    def register_formats(self, registry):
        registry.add(UpperFormat())


def test_a_plugin_registers_a_format_and_pyfunc_core_plugins_lists_it(pyfunc_plugins, pyfunc_cli, tmp_path):
    info = pyfunc_plugins.add_plugin(FormatPlugin(), name="upper", distribution="pyfunc-upper", version="1")
    assert info.status == "ok" and info.provides == {"formats": ["upper-text"]}
    fmt = get_format("upper-text")
    fmt.save("abc", tmp_path / "model.txt")
    assert fmt.load(tmp_path / "model.txt") == "ABC"
    (tmp_path / "model.txt").write_text("abc")
    with pytest.raises(ModelLoadError, match="cannot be read as upper-text: ValueError: not upper-case"):
        fmt.load(tmp_path / "model.txt")
    assert "upper  (pyfunc-upper 1)\n    formats: upper-text\n" in pyfunc_cli("plugins").output
    again = pyfunc_plugins.add_plugin(FormatPlugin(), name="upper2")
    assert "model format 'upper-text' is already provided by upper" in again.error


def test_registering_a_wrong_object_as_a_format_is_broken():
    class NotAFormat:
        @hookimpl
        def register_formats(self, registry):
            registry.add(pickle)

    info = Plugins().load(entry_points=False).add_plugin(NotAFormat(), name="bad-format")
    assert info.status == "broken" and "register_formats must add" in info.error


class FilePlugin:
    """A flavor whose directories keep a pickle or skops file, named by ``model_file``."""

    @hookimpl
    def register_flavors(self, registry):
        from pyfunc_core.registry import Flavor, ModelFile

        def model_file(model_dir):
            conf = model_dir.flavor_conf("filed")
            return ModelFile(model_dir.path / conf["file"], conf["format"], tuple(conf.get("trusted") or ()))

        registry.add(
            Flavor(
                name="filed",
                load=lambda d: None,
                loader_modules=("filed",),
                formats=("pickle", "skops"),
                model_file=model_file,
            )
        )


def _filed_model(path: Path, fmt: str, trusted: list[str] | None = None) -> Path:
    import yaml

    path.mkdir()
    conf = {"file": get_format(fmt).file_name, "format": fmt, "trusted": trusted}
    get_format(fmt).save(Point(1.0), path / conf["file"], trusted=trusted)
    flavors = {"python_function": {"loader_module": "filed"}, "filed": conf}
    (path / "MLmodel").write_text(yaml.safe_dump({"flavors": flavors}))
    return path


def test_info_shows_the_format_and_its_safety_check(pyfunc_plugins, pyfunc_cli, tmp_path, monkeypatch):
    import json

    monkeypatch.setenv("PYFUNC_CORE_CACHE_DIR", str(tmp_path / "cache"))
    assert pyfunc_plugins.add_plugin(FilePlugin(), name="filed").status == "ok"
    assert "flavors: filed (formats: pickle, skops)" in pyfunc_cli("plugins").output
    listed = {p["name"]: p for p in json.loads(pyfunc_cli("plugins", "--json").output)}
    assert listed["filed"]["flavor_formats"] == {"filed": ["pickle", "skops"]}

    pickled = _filed_model(tmp_path / "pickled", "pickle")
    out = pyfunc_cli("info", "-m", str(pickled)).output
    assert "format:       pickle (model.pkl): no safety check: loading a pickle file runs any code" in out

    own = f"{__name__}.Point"
    trusted = _filed_model(tmp_path / "trusted", "skops", [own])
    assert (
        "format:       skops (model.skops): safety check passed"
        in pyfunc_cli("info", "-m", str(trusted)).output
    )
    untrusted = _filed_model(tmp_path / "untrusted", "skops", [own])
    (untrusted / "MLmodel").write_text((untrusted / "MLmodel").read_text().replace(f"- {own}", "- os.system"))
    result = pyfunc_cli("info", "-m", str(untrusted), "--json")
    assert json.loads(result.output)["format"]["safety_check"] is False
    assert "types that run code: ['os.system']" in json.loads(result.output)["format"]["detail"]


def test_a_loader_exception_is_reported_on_one_line(pyfunc_plugins, tmp_path):
    import yaml

    import pyfunc_core

    class Raising:
        @hookimpl
        def register_flavors(self, registry):
            from pyfunc_core.registry import Flavor

            def load(model_dir):
                raise pickle.UnpicklingError("invalid load key, 'x'.\nsecond line of detail")

            registry.add(Flavor(name="raising", load=load, loader_modules=("raising",)))

    pyfunc_plugins.add_plugin(Raising(), name="raising")
    (tmp_path / "MLmodel").write_text(
        yaml.safe_dump({"flavors": {"python_function": {"loader_module": "raising"}}})
    )
    with pytest.raises(ModelLoadError) as err:
        pyfunc_core.load_model(tmp_path)
    assert str(err.value).endswith("with the raising flavor: UnpicklingError: invalid load key, 'x'.")
