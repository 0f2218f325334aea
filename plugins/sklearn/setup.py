"""The one compiled module (``pyfunc_sklearn._trees``), built for CPython's stable ABI.

Optional: where it cannot be compiled (no C compiler), the plugin installs without it and
forests are walked by scikit-learn's own code (``pyfunc_sklearn/native_forest.py`` says which).
Everything else is in ``pyproject.toml``.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "pyfunc_sklearn._trees",
            ["src/pyfunc_sklearn/_trees.c"],
            py_limited_api=True,
            define_macros=[("Py_LIMITED_API", "0x03090000")],
            optional=True,
        )
    ],
    options={"bdist_wheel": {"py_limited_api": "cp39"}},
)
