"""Names shared by saving and loading: ``MLmodel`` keys and file names, MLflow's included."""

from __future__ import annotations

FLAVOR_NAME = "tensorflow"
#: MLflow's Keras 3 flavor (``mlflow.keras.save_model``), which this plugin also loads.
KERAS_FLAVOR_NAME = "keras"
#: This plugin's own module, the ``loader_module`` of directories saved by its earlier versions.
LOADER_MODULE = "pyfunc_tensorflow"
#: Written as ``python_function.loader_module`` by our save_model: MLflow's, so that
#: ``mlflow.pyfunc.load_model`` loads our directories without this plugin installed.
MLFLOW_LOADER_MODULE = "mlflow.tensorflow"
LOADER_MODULES = (LOADER_MODULE, MLFLOW_LOADER_MODULE, "mlflow.keras")

# flavors.tensorflow.model_type values, as MLflow writes them
MODEL_TYPE_KERAS = "keras"
MODEL_TYPE_TF2_MODULE = "tf2-module"
#: Not only TF1: MLflow's name for "a SavedModel served through ``signature_def_key``", which
#: is how our save_model records SavedModels that have a serving signature (MLflow's pyfunc
#: then calls that signature with named tensors, as we do; ``tf2-module`` calls the module).
MODEL_TYPE_TF1_ESTIMATOR = "tf1-estimator"

# Keras models: <model>/data/model.keras beside MLflow's marker files
DATA_DIR = "data"
KERAS_FILE_STEM = "model"
KERAS_MODULE_FILE = "keras_module.txt"
SAVE_FORMAT_FILE = "save_format.txt"
CUSTOM_OBJECTS_FILE = "custom_objects.cloudpickle"
GLOBAL_CUSTOM_OBJECTS_FILE = "global_custom_objects.cloudpickle"

# SavedModels: <model>/tf2model/saved_model.pb
SAVED_MODEL_DIR = "tf2model"
SAVED_MODEL_PB = "saved_model.pb"
DEFAULT_SIGNATURE_KEY = "serving_default"
SERVE_TAGS = ("serve",)
