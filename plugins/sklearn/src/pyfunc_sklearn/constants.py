"""Names shared by saving and loading: the flavor, its formats, files and predict methods."""

from __future__ import annotations

FLAVOR_NAME = "sklearn"
#: This plugin's own module, the ``loader_module`` of directories saved by its earlier versions.
LOADER_MODULE = "pyfunc_sklearn"
#: Written as ``python_function.loader_module`` by our save_model: MLflow's, so that
#: ``mlflow.pyfunc.load_model`` loads our directories without this plugin installed.
MLFLOW_LOADER_MODULE = "mlflow.sklearn"
#: The loader_module values this flavor answers for: ours, and MLflow's.
LOADER_MODULES = (LOADER_MODULE, MLFLOW_LOADER_MODULE)
#: The ``predict_fn`` values MLflow's pyfunc wrapper for scikit-learn can call (it has no
#: ``decision_function`` or ``score_samples``: those directories load in MLflow only natively).
MLFLOW_PYFUNC_PREDICT_FUNCTIONS = ("predict", "predict_proba", "predict_log_proba", "predict_joint_log_proba")
#: Oldest scikit-learn this plugin supports (``predict_joint_log_proba`` arrived in 1.2).
SKLEARN_REQUIREMENT = "scikit-learn>=1.2"

CLOUDPICKLE, PICKLE, SKOPS = "cloudpickle", "pickle", "skops"
SERIALIZATION_FORMATS = (CLOUDPICKLE, PICKLE, SKOPS)
#: File names as MLflow writes them.
MODEL_FILES = {CLOUDPICKLE: "model.pkl", PICKLE: "model.pkl", SKOPS: "model.skops"}

PREDICT_FUNCTIONS = (
    "predict",
    "predict_proba",
    "predict_log_proba",
    "predict_joint_log_proba",
    "decision_function",
    "score_samples",
)

#: Comma-separated skops types to trust when loading, for models served by the CLI whose
#: ``MLmodel`` does not list them (the explicit opt-in for ``pyfunc-core serve``).
ENV_TRUSTED_TYPES = "PYFUNC_SKLEARN_SKOPS_TRUSTED_TYPES"


class SklearnVersionWarning(UserWarning):
    """A model is loaded under a scikit-learn version other than the one that saved it."""
