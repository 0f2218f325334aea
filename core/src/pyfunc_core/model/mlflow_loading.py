"""Whether MLflow itself can load a model directory, and what it needs to, read from ``MLmodel``.

``mlflow.pyfunc.load_model`` imports ``python_function.loader_module`` and calls its
``_load_pyfunc(path)``. MLflow's own modules (``mlflow.sklearn``...) need only the framework;
a module of ours needs our distribution installed beside MLflow. Nothing is imported here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pyfunc_core.model.mlmodel import ModelDirectory

#: Our loader modules that follow MLflow's ``_load_pyfunc`` contract -> the distribution they need.
OUR_MLFLOW_LOADERS = {"pyfunc_core.python_model": "pyfunc-core"}
#: The ``predict_fn`` values MLflow's pyfunc wrapper can call, for MLflow loaders that restrict them.
MLFLOW_PREDICT_FNS = {
    "mlflow.sklearn": ("predict", "predict_proba", "predict_log_proba", "predict_joint_log_proba", "score"),
}
#: MLflow 3 refuses to unpickle (sklearn: any model file; Keras: custom objects) unless it is set.
PICKLE_GATE = "MLFLOW_ALLOW_PICKLE_DESERIALIZATION=true"


@dataclass(frozen=True)
class MlflowLoading:
    """How MLflow loads a model directory: ``pyfunc`` (``mlflow.pyfunc.load_model`` works),
    ``native`` (the flavor's own ``mlflow.<flavor>.load_model``, when that is MLflow's), the
    distributions it needs, and a note."""

    loader_module: str | None
    pyfunc: bool
    native: str | None = None
    needs: list[str] = field(default_factory=list)
    note: str | None = None

    def describe(self) -> str:
        needs = f" (needs {', '.join(self.needs)})" if self.needs else ""
        if self.pyfunc and self.loader_module in OUR_MLFLOW_LOADERS:
            text = f"loads in MLflow with {OUR_MLFLOW_LOADERS[self.loader_module]} installed{needs}"
        elif self.pyfunc:
            text = f"loads with {self.loader_module}{needs}"
        elif self.native:
            text = f"loads only natively, with {self.native}.load_model{needs}"
        else:
            text = "MLflow cannot load it"
        return f"{text}; {self.note}" if self.note else text

    def to_dict(self) -> dict[str, object]:
        return {
            "pyfunc": self.pyfunc,
            "native": f"{self.native}.load_model" if self.native else None,
            "needs": self.needs,
            "note": self.note,
            "summary": self.describe(),
        }


def mlflow_loading(model: ModelDirectory) -> MlflowLoading:
    """What MLflow (3.x) does with ``model``, judged from its ``MLmodel`` and ``requirements.txt``."""
    conf = model.meta.pyfunc_conf
    loader = str(conf.get("loader_module") or "") if conf else ""
    needs = _needs(model)
    if not loader:
        return MlflowLoading(None, False, note="it has no python_function flavor")
    if loader in OUR_MLFLOW_LOADERS:
        dist = OUR_MLFLOW_LOADERS[loader]
        return MlflowLoading(loader, True, needs=[d for d in needs if d != dist] or needs)
    if not loader.startswith("mlflow."):
        return MlflowLoading(
            loader,
            False,
            note=f"its loader_module {loader} is not one of MLflow's; re-save it with the current plugin",
        )
    gated = loader == "mlflow.sklearn" or (
        loader in ("mlflow.tensorflow", "mlflow.keras") and "cloudpickle" in needs
    )
    note = f"MLflow 3 asks for {PICKLE_GATE}" if gated else None
    predict_fn = str(conf.get("predict_fn") or "predict") if conf else "predict"
    allowed = MLFLOW_PREDICT_FNS.get(loader)
    if allowed is not None and predict_fn not in allowed:
        reason = f"MLflow's pyfunc wrapper has no {predict_fn}()"
        return MlflowLoading(loader, False, loader, needs, f"{reason}; {note}" if note else reason)
    return MlflowLoading(loader, True, loader, needs, note)


def _needs(model: ModelDirectory) -> list[str]:
    """The distribution names ``requirements.txt`` lists, MLflow itself left out."""
    from packaging.requirements import InvalidRequirement, Requirement

    names = []
    for line in model.requirements():
        try:
            name = Requirement(line).name
        except InvalidRequirement:
            continue
        if name.lower() not in ("mlflow", "mlflow-skinny") and name not in names:
            names.append(name)
    return names
