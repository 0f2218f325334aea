"""The plugin system: hooks into registries, validation, discovery, broken plugins."""

from __future__ import annotations

import json
import logging
import sys

import click
import pytest

from pyfunc_core import hookimpl
from pyfunc_core.codecs.base import Codec, ModelRequest
from pyfunc_core.envs.base import Environment, EnvironmentManager
from pyfunc_core.errors import PluginError
from pyfunc_core.plugins import Plugins, get_plugins, reset_plugins
from pyfunc_core.registry import EnvManager, Flavor, Server

CORE_OK = "pyfunc-core>=0.1,<0.2"


class _Predictor:
    def predict(self, data, params=None):
        return data


class _TextCodec(Codec):
    name = "text"
    content_types = ("text/x-demo",)

    def decode(self, body, *, schema=None, params_schema=None, content_params=None):
        return ModelRequest(body.decode().split(), None)


class _NoEnv(EnvironmentManager):
    name = "demo-env"

    def prepare(self, model_dir, *, reporter=print):
        return Environment(manager=self.name, python="python")


class DemoPlugin:
    """Implements every registration hook and the protocol hook."""

    @hookimpl
    def register_flavors(self, registry):
        registry.add(Flavor(name="demo", load=lambda d: _Predictor(), loader_modules=("demo.flavor",)))

    @hookimpl
    def register_env_managers(self, registry):
        registry.add(EnvManager("demo-env", _NoEnv, "does nothing"))

    @hookimpl
    def register_codecs(self, registry):
        registry.add(_TextCodec())

    @hookimpl
    def register_servers(self, registry):
        registry.add(Server("demo-server", lambda options: 0, "serves nothing"))

    @hookimpl
    def register_commands(self, registry):
        @click.command("demo-hello")
        @click.argument("who")
        def hello(who):
            """Say hello."""
            click.echo(f"hello {who}")

        registry.add(hello)

    @hookimpl
    def select_flavor(self, model, registry):
        return registry.get("demo") if model.meta.flavors.get("demo_marker") is not None else None


def test_every_hook_registers_and_is_listed(pyfunc_plugins, pyfunc_cli):
    info = pyfunc_plugins.add_plugin(DemoPlugin(), name="demo", distribution="pyfunc-demo", version="1.2")
    assert info.status == "ok", info.error
    assert info.provides == {
        "flavors": ["demo"],
        "env_managers": ["demo-env"],
        "codecs": ["text/x-demo"],
        "servers": ["demo-server"],
        "commands": ["demo-hello"],
    }
    assert pyfunc_plugins.flavors.provider("demo") == "demo"
    assert pyfunc_plugins.codecs.for_content_type("TEXT/X-DEMO").name == "text"

    text = pyfunc_cli("plugins")
    assert text.exit_code == 0
    assert "demo  (pyfunc-demo 1.2)" in text.output
    for line in ("flavors: demo", "env managers: demo-env", "codecs: text/x-demo", "servers: demo-server"):
        assert line in text.output
    assert "commands: demo-hello" in text.output

    listed = {p["name"]: p for p in json.loads(pyfunc_cli("plugins", "--json").output)}
    assert listed["demo"]["distribution"] == "pyfunc-demo"
    assert listed["demo"]["status"] == "ok"
    assert listed["demo"]["provides"]["servers"] == ["demo-server"]
    assert listed["pyfunc-core"]["provides"]["flavors"] == ["python_model"]

    assert "pyfunc-demo==1.2" in pyfunc_cli("plugins", "--requirements").output
    # the command a plugin adds is a real sub-command
    assert "demo-hello" in pyfunc_cli("--help").output
    assert pyfunc_cli("demo-hello", "world").output == "hello world\n"


def test_builtins_register_through_the_same_hooks():
    plugins = Plugins().load(entry_points=False)
    assert [i.name for i in plugins.infos] == ["pyfunc-core"]
    assert plugins.flavors.provider("python_model") == "pyfunc-core"
    assert plugins.env_managers.provider("local") == "pyfunc-core"
    assert {"application/json", "text/csv"} <= set(plugins.codecs.names())


def test_duplicate_names_are_refused_naming_both_plugins(caplog):
    plugins = Plugins().load(entry_points=False)

    class First:
        @hookimpl
        def register_flavors(self, registry):
            registry.add(Flavor(name="twin", load=lambda d: _Predictor()))

    class Second:
        @hookimpl
        def register_flavors(self, registry):
            registry.add(Flavor(name="twin", load=lambda d: _Predictor()))

    class Json:
        @hookimpl
        def register_codecs(self, registry):
            codec = _TextCodec()
            codec.content_types = ("application/json",)
            registry.add(codec)

    assert plugins.add_plugin(First(), name="first").status == "ok"
    with caplog.at_level(logging.WARNING, logger="pyfunc_core.plugins"):
        second = plugins.add_plugin(Second(), name="second")
    assert second.status == "broken"
    assert "flavor 'twin' is already provided by first; second cannot register it again" in second.error
    assert "second" in caplog.text and "twin" in caplog.text
    assert plugins.flavors.provider("twin") == "first"

    class Shouting(Json):
        @hookimpl
        def register_codecs(self, registry):
            codec = _TextCodec()
            codec.content_types = ("TEXT/CSV",)
            registry.add(codec)

    assert (
        "'text/csv' is already provided by pyfunc-core" in plugins.add_plugin(Shouting(), name="loud").error
    )
    json_info = plugins.add_plugin(Json(), name="json-thief")
    assert json_info.status == "broken"
    assert "'application/json' is already provided by pyfunc-core; json-thief" in json_info.error


def test_unknown_hook_is_refused_at_registration():
    class Typo:
        @hookimpl
        def register_flavour(self, registry):  # misspelt: no such hook
            raise AssertionError("never called")

    plugins = Plugins().load(entry_points=False)
    info = plugins.add_plugin(Typo(), name="typo")
    assert info.status == "broken"
    assert "unknown hooks: register_flavour" in info.error
    assert plugins.pm.get_plugin("typo") is None


def test_registration_goes_through_pluggy_options():
    """Registration hooks run through pluggy, so its options apply: an optional hook that no
    spec knows is accepted, and a plugin's own wrapper runs around its implementation."""
    order = []

    class Wrapped:
        @hookimpl(optionalhook=True)
        def register_something_else(self, registry):
            raise AssertionError("no such hook is ever called")

        @hookimpl(wrapper=True)
        def register_flavors(self, registry):
            order.append("before")
            registry.add(Flavor(name="wrapped", load=lambda d: _Predictor()))
            result = yield
            order.append("after")
            return result

    plugins = Plugins().load(entry_points=False)
    info = plugins.add_plugin(Wrapped(), name="wrapped")
    assert (info.status, info.provides) == ("ok", {"flavors": ["wrapped"]})
    assert plugins.flavors.provider("wrapped") == "wrapped"
    assert order == ["before", "after"]


def test_wrong_argument_names_are_refused_at_registration():
    class WrongArgs:
        @hookimpl
        def register_flavors(self, flavors):
            raise AssertionError("never called")

    plugins = Plugins().load(entry_points=False)
    info = plugins.add_plugin(WrongArgs(), name="wrong-args")
    assert info.status == "broken"
    assert "invalid hook implementation" in info.error and "flavors" in info.error
    assert plugins.pm.get_plugin("wrong-args") is None


def test_registration_that_raises_is_broken_and_rolled_back():
    class HalfWay:
        @hookimpl
        def register_flavors(self, registry):
            registry.add(Flavor(name="halfway", load=lambda d: _Predictor()))

        @hookimpl
        def register_servers(self, registry):
            raise RuntimeError("no port today")

        @hookimpl
        def select_flavor(self, model, registry):
            return registry.get("halfway")

    plugins = Plugins().load(entry_points=False)
    info = plugins.add_plugin(HalfWay(), name="halfway")
    assert info.status == "broken"
    assert info.error == "register_servers failed: RuntimeError: no port today"
    assert "halfway" not in plugins.flavors
    assert plugins.pm.get_plugin("halfway") is None  # its select_flavor is gone too


def test_flavor_with_an_invalid_requirement_is_refused():
    class Typo:
        @hookimpl
        def register_flavors(self, registry):
            registry.add(Flavor(name="typo", load=lambda d: None, requirements=("scikit-learn=>1",)))

    info = Plugins().load(entry_points=False).add_plugin(Typo(), name="typo")
    assert info.status == "broken"
    assert "flavor 'typo' has an invalid requirement 'scikit-learn=>1'" in info.error


def test_registering_a_wrong_object_is_broken():
    class NotAFlavor:
        @hookimpl
        def register_flavors(self, registry):
            registry.add("sklearn")

    plugins = Plugins().load(entry_points=False)
    info = plugins.add_plugin(NotAFlavor(), name="bad-object")
    assert info.status == "broken"
    assert "register_flavors must add Flavor objects" in info.error


# -- discovery through entry points ------------------------------------------------------

GOOD_PLUGIN = """
from pyfunc_core import hookimpl
from pyfunc_core.registry import Flavor

@hookimpl
def register_flavors(registry):
    registry.add(Flavor(name="good", load=lambda d: None, loader_modules=("good_plugin",)))
"""


def test_entry_points_are_discovered_with_distribution_and_version(fake_dist, monkeypatch):
    monkeypatch.delenv("PYFUNC_CORE_PLUGINS", raising=False)
    fake_dist("pyfunc-good", "2.3", entry_points={"good": "good_plugin"},
              modules={"good_plugin": GOOD_PLUGIN}, requires=[CORE_OK])  # fmt: skip
    plugins = Plugins().load()
    info = plugins.info("good")
    assert (info.distribution, info.version, info.status) == ("pyfunc-good", "2.3", "ok")
    assert plugins.flavors.provider("good") == "good"
    assert plugins.distribution_of("good") == "pyfunc-good"


def test_import_failure_is_logged_and_shown_broken(fake_dist, monkeypatch, caplog):
    monkeypatch.delenv("PYFUNC_CORE_PLUGINS", raising=False)
    monkeypatch.delenv("PYFUNC_CORE_STRICT_PLUGINS", raising=False)
    fake_dist("pyfunc-crash", "0.3", entry_points={"crash": "crash_plugin"},
              modules={"crash_plugin": "import framework_that_is_not_installed\n"})  # fmt: skip
    with caplog.at_level(logging.WARNING, logger="pyfunc_core.plugins"):
        plugins = Plugins().load()
    info = plugins.info("crash")
    assert info.status == "broken"
    assert info.error == (
        "import failed: ModuleNotFoundError: No module named 'framework_that_is_not_installed'"
    )
    assert "plugin 'crash' (pyfunc-crash 0.3) broken" in caplog.text
    assert "framework_that_is_not_installed" in caplog.text
    assert "python_model" in plugins.flavors  # the rest still loaded


def test_two_distributions_with_one_entry_point_name(fake_dist, monkeypatch):
    monkeypatch.delenv("PYFUNC_CORE_PLUGINS", raising=False)
    monkeypatch.delenv("PYFUNC_CORE_STRICT_PLUGINS", raising=False)
    fake_dist(
        "pyfunc-good", "2.3", entry_points={"good": "good_plugin"}, modules={"good_plugin": GOOD_PLUGIN}
    )
    fake_dist("pyfunc-impostor", "9.9", entry_points={"good": "good_plugin"})
    plugins = Plugins().load()
    infos = {i.status: i for i in plugins.infos if i.name == "good"}
    assert set(infos) == {"ok", "broken"}  # the first found on sys.path wins, as imports do
    other = ({"pyfunc-good", "pyfunc-impostor"} - {infos["broken"].distribution}).pop()
    assert infos["broken"].error == f"entry point name 'good' is already used by {other}"


def test_allow_list_and_disable(fake_dist, monkeypatch):
    fake_dist(
        "pyfunc-good", "2.3", entry_points={"good": "good_plugin"}, modules={"good_plugin": GOOD_PLUGIN}
    )
    fake_dist("pyfunc-crash", "0.3", entry_points={"crash": "crash_plugin"},
              modules={"crash_plugin": "raise ImportError('boom')\n"})  # fmt: skip

    monkeypatch.setenv("PYFUNC_CORE_PLUGINS", "")
    plugins = Plugins().load()
    assert plugins.info("good").status == "disabled"
    assert plugins.info("crash").status == "disabled"
    assert plugins.info("crash").error == (
        "disabled by PYFUNC_CORE_PLUGINS=''; enable it with PYFUNC_CORE_PLUGINS=crash, "
        "or unset PYFUNC_CORE_PLUGINS to load every plugin"
    )
    assert plugins.flavors.names() == ["python_model"]

    monkeypatch.setenv("PYFUNC_CORE_PLUGINS", "pyfunc-good")  # distribution names work...
    plugins = Plugins().load()
    assert plugins.info("good").status == "ok"
    assert plugins.info("crash").status == "disabled"
    assert "enable it with PYFUNC_CORE_PLUGINS=pyfunc-good,crash," in plugins.info("crash").error

    monkeypatch.setenv("PYFUNC_CORE_PLUGINS", " crash , other")  # ...and entry-point names
    plugins = Plugins().load()
    assert plugins.info("good").status == "disabled"
    assert plugins.info("crash").status == "broken"


def test_strict_mode_makes_a_broken_plugin_fatal(fake_dist, monkeypatch):
    monkeypatch.delenv("PYFUNC_CORE_PLUGINS", raising=False)
    fake_dist("pyfunc-crash", "0.3", entry_points={"crash": "crash_plugin"},
              modules={"crash_plugin": "raise ImportError('boom')\n"})  # fmt: skip
    monkeypatch.setenv("PYFUNC_CORE_STRICT_PLUGINS", "1")
    with pytest.raises(PluginError, match=r"plugin 'crash' \(pyfunc-crash 0.3\) broken: import failed"):
        Plugins().load()


def test_incompatible_core_version_is_refused_before_import(fake_dist, monkeypatch):
    monkeypatch.delenv("PYFUNC_CORE_PLUGINS", raising=False)
    fake_dist("pyfunc-old", "0.0.5", entry_points={"old": "old_plugin"},
              modules={"old_plugin": "raise AssertionError('imported a refused plugin')\n"},
              requires=["numpy", 'pyfunc-core[extra]>=9; extra == "x"', 'pyfunc-core<0.1; python_version >= "3"'])  # fmt: skip
    plugins = Plugins().load()
    info = plugins.info("old")
    assert info.status == "refused"
    assert info.error == "pyfunc-old 0.0.5 requires pyfunc-core<0.1, but pyfunc-core 0.1.0 is installed"


def test_optional_extra_requirement_on_the_core_does_not_refuse(fake_dist, monkeypatch):
    monkeypatch.delenv("PYFUNC_CORE_PLUGINS", raising=False)
    fake_dist("pyfunc-good", "2.3", entry_points={"good": "good_plugin"}, modules={"good_plugin": GOOD_PLUGIN},
              requires=[CORE_OK, 'pyfunc-core>=9; extra == "future"'])  # fmt: skip
    assert Plugins().load().info("good").status == "ok"


def test_broken_plugin_does_not_break_unrelated_commands(fake_dist, cli_subprocess, tmp_path, models):
    from pyfunc_core import save_model

    site = fake_dist("pyfunc-crash", "0.3", entry_points={"crash": "crash_plugin"},
                     modules={"crash_plugin": "raise RuntimeError('plugin exploded')\n"})  # fmt: skip
    model = tmp_path / "model"
    save_model(model, models.AddN(), model_config={"n": 1})
    env = {"PYTHONPATH": str(site), "PYFUNC_CORE_PLUGINS": "crash,pyfunc-core"}
    env["PYFUNC_CORE_STRICT_PLUGINS"] = "0"

    listed = cli_subprocess("plugins", env=env)
    assert listed.returncode == 0
    assert "crash  (pyfunc-crash 0.3)  [BROKEN]" in listed.stdout.decode()
    assert "error: import failed: RuntimeError: plugin exploded" in listed.stdout.decode()
    assert "plugin 'crash' (pyfunc-crash 0.3) broken" in listed.stderr.decode()

    info = cli_subprocess("info", "-m", str(model), env=env)
    assert info.returncode == 0 and "python_model" in info.stdout.decode()
    predicted = cli_subprocess("predict", "-m", str(model), input=b'{"inputs": [1, 2]}', env=env)
    assert predicted.returncode == 0, predicted.stderr
    assert predicted.stdout == b'{"predictions": [2, 3]}\n'

    strict = cli_subprocess("plugins", env={**env, "PYFUNC_CORE_STRICT_PLUGINS": "1"})
    assert strict.returncode == 1
    err = strict.stderr.decode()
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1] == (
        "Error: plugin 'crash' (pyfunc-crash 0.3) broken: import failed: RuntimeError: plugin exploded"
    )


def test_get_plugins_is_process_wide_and_resettable():
    reset_plugins(None)
    try:
        assert get_plugins() is get_plugins()
        custom = Plugins().load(entry_points=False)
        reset_plugins(custom)
        assert get_plugins() is custom
    finally:
        reset_plugins(None)


def test_references_import_on_first_use_and_bad_ones_name_the_plugin(monkeypatch, tmp_path):
    """``"package.module:function"`` in place of a function: imported on the first call;
    a malformed one breaks its plugin at registration, one that does not resolve is a
    one-line PluginError naming the plugin when first used."""
    package = tmp_path / "lazy_demo_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "loader.py").write_text(
        "LOADS = []\n\ndef load(model_dir):\n    LOADS.append(model_dir)\n    return 42\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))

    class Lazy:
        @hookimpl
        def register_flavors(self, registry):
            registry.add(Flavor(name="lazy", load="lazy_demo_pkg.loader:load"))
            registry.add(Flavor(name="nowhere", load="lazy_demo_pkg.missing:load"))
            registry.add(Flavor(name="nothing", load="lazy_demo_pkg.loader:absent"))

        @hookimpl
        def register_env_managers(self, registry):
            registry.add(EnvManager("lazy-env", "lazy_demo_pkg.loader:absent"))

    plugins = Plugins().load(entry_points=False)
    assert plugins.add_plugin(Lazy(), name="lazy-plugin").status == "ok"
    assert "lazy_demo_pkg.loader" not in sys.modules  # nothing imported at registration
    assert plugins.flavors["lazy"].load("dir") == 42
    assert sys.modules["lazy_demo_pkg.loader"].LOADS == ["dir"]
    with pytest.raises(PluginError) as missing:
        plugins.flavors["nowhere"].load("dir")
    assert str(missing.value) == (
        "plugin 'lazy-plugin': flavor 'nowhere' load 'lazy_demo_pkg.missing:load' names a module that does not exist"
    )
    with pytest.raises(PluginError) as absent:
        plugins.env_managers["lazy-env"].factory()
    assert str(absent.value) == (
        "plugin 'lazy-plugin': environment manager 'lazy-env' factory 'lazy_demo_pkg.loader:absent': "
        "lazy_demo_pkg.loader has no callable 'absent'"
    )

    class Malformed:
        @hookimpl
        def register_servers(self, registry):
            registry.add(Server("odd", "lazy_demo_pkg.loader.load"))

    info = plugins.add_plugin(Malformed(), name="malformed")
    assert (info.status, info.error) == (
        "broken",
        "register_servers failed: PluginError: server 'odd' serve 'lazy_demo_pkg.loader.load' is not a "
        "'package.module:function' reference",
    )
