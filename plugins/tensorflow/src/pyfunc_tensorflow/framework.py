"""Which TensorFlow build is installed, checked from metadata before anything is imported."""

from __future__ import annotations

import os
from importlib import metadata
from typing import Any

from pyfunc_core.errors import ModelLoadError

#: Distributions that install the ``tensorflow`` package, most common first.
TENSORFLOW_DISTRIBUTIONS = (
    "tensorflow",
    "tensorflow-cpu",
    "tensorflow-intel",
    "tensorflow-macos",
    "tensorflow-aarch64",
    "tf-nightly",
    "tf-nightly-cpu",
)
MIN_TENSORFLOW = (2, 16)  # the first release whose tf.keras is Keras 3
INSTALL_HINT = "pip install 'pyfunc-tensorflow[cpu]' (or [gpu])"


def tensorflow_distribution() -> tuple[str, str] | None:
    """``(name, version)`` of the installed TensorFlow distribution, or ``None``."""
    for name in TENSORFLOW_DISTRIBUTIONS:
        try:
            return name, metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return None


def check_tensorflow() -> None:
    """Refuse, from installed metadata and with an install hint, a missing or too old TensorFlow or Keras.

    This is the plugin's version check (rather than ``Flavor.requirements``) because the
    TensorFlow build may be any of several distributions.
    """
    found = tensorflow_distribution()
    if found is None:
        raise ModelLoadError(
            f"The tensorflow flavor needs TensorFlow, which is not installed: {INSTALL_HINT}"
        )
    name, version = found
    if _release(version) < MIN_TENSORFLOW:
        raise ModelLoadError(
            f"pyfunc-tensorflow supports TensorFlow >= 2.16 (Keras 3), but {name} {version} is installed"
        )
    try:
        keras_version = metadata.version("keras")
    except metadata.PackageNotFoundError:
        raise ModelLoadError(
            f"The tensorflow flavor needs Keras 3, which is not installed: {INSTALL_HINT}"
        ) from None
    if _release(keras_version) < (3,):
        raise ModelLoadError(f"pyfunc-tensorflow supports Keras >= 3, but keras {keras_version} is installed")


def default_requirements(*, custom_objects: bool) -> list[str]:
    """The unpinned requirements of a saved model: the TensorFlow build in use and Keras."""
    found = tensorflow_distribution()
    reqs = [found[0] if found else "tensorflow", "keras"]
    if custom_objects:
        reqs.append("cloudpickle")
    return reqs


def _release(version: str) -> tuple[int, ...]:
    parts = []
    for piece in version.split(".")[:2]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


def import_tensorflow() -> Any:
    """Import TensorFlow (quietly: no C++ info logs unless ``TF_CPP_MIN_LOG_LEVEL`` says so)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    return tf
