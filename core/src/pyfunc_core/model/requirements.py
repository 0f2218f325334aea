"""Pinned requirements and the environment files written beside ``MLmodel``."""

from __future__ import annotations

import sys
from importlib import metadata
from pathlib import Path
from typing import Iterable, Sequence

REQUIREMENTS_FILE = "requirements.txt"
PYTHON_ENV_FILE = "python_env.yaml"
CONDA_ENV_FILE = "conda.yaml"


def pin(requirement: str) -> str:
    """``"scikit-learn"`` -> ``"scikit-learn==1.5.2"`` when installed and not already pinned."""
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        req = Requirement(requirement)
    except InvalidRequirement:
        return requirement  # a URL, a path, -r/-c lines: keep as written
    if req.specifier or req.url:
        return requirement
    try:
        version = metadata.version(req.name)
    except metadata.PackageNotFoundError:
        return requirement
    extras = f"[{','.join(sorted(req.extras))}]" if req.extras else ""
    marker = f"; {req.marker}" if req.marker else ""
    return f"{req.name}{extras}=={version}{marker}"


def resolve_requirements(
    default: Sequence[str],
    pip_requirements: Sequence[str] | str | Path | None = None,
    extra_pip_requirements: Sequence[str] | str | Path | None = None,
    required: Sequence[str] = (),
) -> list[str]:
    """MLflow's rule: ``pip_requirements`` replaces the defaults, ``extra`` adds to them.

    ``required`` are distributions loading the directory always needs (its ``loader_module``'s
    own, as MLflow always adds ``mlflow``): pinned and added after the base list unless a line
    already names them, even when ``pip_requirements`` replaced the defaults.
    """
    if pip_requirements is not None and extra_pip_requirements is not None:
        raise ValueError("pass pip_requirements or extra_pip_requirements, not both")
    base = _read(pip_requirements) if pip_requirements is not None else [pin(r) for r in default]
    extra = _read(extra_pip_requirements) if extra_pip_requirements is not None else []
    named = {_name(r) for r in [*base, *extra]}
    must = [pin(r) for r in required if _name(r) not in named]
    out: list[str] = []
    for r in [*base, *must, *extra]:
        if r not in out:
            out.append(r)
    return out


def pickled_requirements(files: Iterable[Path], known: Sequence[str] = ()) -> list[str]:
    """Installed distributions that unpickling ``files`` imports, as MLflow infers them.

    The modules a pickle names (its GLOBAL / STACK_GLOBAL opcodes, and cloudpickle's
    ``subimport`` of a module) are mapped to the distributions that install them; those that
    ``known`` requirements or another found distribution already depend on are left out, and
    so are the standard library and modules of no installed distribution (shipped code).
    """
    packages = _packages_distributions()
    if packages is None:
        return []
    found: list[str] = []
    for file in files:
        for module in _pickled_modules(file):
            for dist in packages.get(module.split(".")[0], ()):
                if dist not in found:
                    found.append(dist)
    named = {_name(r) for r in known}
    found = [d for d in found if _name(d) not in named]
    pulled_in: set[str | None] = set()
    for dist in [*known, *found]:
        pulled_in.update(_dependencies(dist))
    return [d for d in found if _name(d) not in pulled_in]


#: cloudpickle's ``subimport(name)``: how it pickles a reference to a module.
_SUBIMPORT = ("cloudpickle", "subimport")


def _pickled_modules(file: Path) -> list[str]:
    import pickletools

    modules: list[str] = []
    memo: dict[int, object] = {}
    pushes: list[object] = []  # what the recent opcodes pushed: strings, else None
    subimport = False
    with open(file, "rb") as f:
        try:
            for op, arg, _ in pickletools.genops(f):
                pushed: object = None
                module: object = None
                attr: object = None
                if op.name == "GLOBAL":
                    module, _, attr = str(arg).partition(" ")
                elif op.name == "STACK_GLOBAL" and len(pushes) >= 2:
                    module, attr = pushes[-2], pushes[-1]
                elif op.name in ("SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "UNICODE"):
                    pushed = arg
                    if subimport:  # cloudpickle's subimport("numpy") of a module by reference
                        modules.append(str(arg))
                        subimport = False
                elif op.name in ("BINGET", "LONG_BINGET", "GET"):
                    pushed = memo.get(int(str(arg)))
                    if isinstance(pushed, tuple):  # a global fetched again, e.g. subimport
                        subimport = pushed == _SUBIMPORT
                elif op.name in ("BINPUT", "LONG_BINPUT", "PUT", "MEMOIZE"):
                    memo[len(memo) if op.name == "MEMOIZE" else int(str(arg))] = (
                        pushes[-1] if pushes else None
                    )
                    continue  # stores the top of the stack, pushes nothing
                if isinstance(module, str) and isinstance(attr, str):
                    modules.append(module)
                    pushed = (module.split(".")[0], attr)
                    subimport = pushed == _SUBIMPORT
                pushes = [*pushes[-1:], pushed]
        except Exception:  # a truncated or exotic pickle: what was read so far
            pass
    return modules


def _packages_distributions() -> dict[str, list[str]] | None:
    # Before Python 3.11 the stdlib's reads only top_level.txt, which wheels from backends other
    # than setuptools (scikit-learn's, for one) lack: the backport (>= 4.7) infers it there.
    if sys.version_info >= (3, 11):
        from importlib.metadata import packages_distributions
    else:
        try:
            from importlib_metadata import packages_distributions
        except ImportError:
            return None
    return dict(packages_distributions())


def _dependencies(requirement: str) -> set[str | None]:
    """The canonical names ``requirement``'s installed distribution depends on (no extras)."""
    from packaging.requirements import InvalidRequirement, Requirement

    name = _name(requirement)
    try:
        lines = metadata.requires(name) if name else None
    except metadata.PackageNotFoundError:
        return set()
    out: set[str | None] = set()
    for line in lines or ():
        try:
            req = Requirement(line)
        except InvalidRequirement:
            continue
        if req.marker is None or req.marker.evaluate({"extra": ""}):
            out.add(_name(req.name))
    return out


def _name(requirement: str) -> str | None:
    """The canonical distribution name a requirement line installs, if it is one."""
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    try:
        return canonicalize_name(Requirement(requirement).name)
    except InvalidRequirement:
        return None


def _read(reqs: Sequence[str] | str | Path) -> list[str]:
    if isinstance(reqs, (str, Path)):
        lines = Path(reqs).read_text(encoding="utf-8").splitlines()
        return [ln.strip() for ln in lines if ln.strip() and not ln.strip().startswith("#")]
    return [str(r) for r in reqs]


def expand_requirement_files(lines: Sequence[str], base: Path, *, source: str) -> list[str]:
    """Replace ``-r FILE`` lines (relative to ``base``) by that file's requirement lines.

    ``source`` names the file the lines came from, for the error when a referenced file is
    missing (``python_env.yaml refers to requirements.txt, which is missing``).
    """
    from pyfunc_core.errors import EnvironmentBuildError

    out: list[str] = []
    for line in (ln.strip() for ln in lines):
        if line.startswith(("-r ", "--requirement ")):
            ref = base / line.split(None, 1)[1].strip()
            if not ref.is_file():
                raise EnvironmentBuildError(f"{source} refers to {ref.name}, which is missing")
            out.extend(expand_requirement_files(_read(ref), ref.parent, source=ref.name))
        elif line and not line.startswith("#"):
            out.append(line)
    return out


def python_version() -> str:
    return ".".join(map(str, sys.version_info[:3]))


def write_environment_files(path: Path, requirements: Iterable[str]) -> None:
    """Write ``requirements.txt``, ``python_env.yaml`` and ``conda.yaml`` as MLflow does."""
    import yaml

    requirements = list(requirements)
    (path / REQUIREMENTS_FILE).write_text("\n".join(requirements) + "\n", encoding="utf-8")
    build = [pin(p) for p in ("pip", "setuptools", "wheel")]
    python_env = {
        "python": python_version(),
        "build_dependencies": build,
        "dependencies": [f"-r {REQUIREMENTS_FILE}"],
    }
    (path / PYTHON_ENV_FILE).write_text(
        yaml.safe_dump(python_env, default_flow_style=False, sort_keys=False), encoding="utf-8"
    )
    pip_version = build[0].partition("==")[2]
    conda_env = {
        "name": "pyfunc-env",
        "channels": ["conda-forge"],
        "dependencies": [
            f"python={python_version()}",
            f"pip<={pip_version}" if pip_version else "pip",
            {"pip": requirements},
        ],
    }
    (path / CONDA_ENV_FILE).write_text(
        yaml.safe_dump(conda_env, default_flow_style=False, sort_keys=False), encoding="utf-8"
    )
