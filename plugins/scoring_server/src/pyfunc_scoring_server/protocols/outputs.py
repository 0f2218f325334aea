"""A model's named outputs: one name for each, the same in metadata and in answers.

A flavor's predictor may offer several named outputs (scikit-learn's ``predict``,
``predict_proba``, ``decision_function``, ``transform``) by implementing two optional methods:

- ``outputs() -> dict[str, tuple[str, list[int]]]``: the output names in order, each with
  the numpy dtype name of its values (``"object"`` for text) and its shape (-1 for any
  length); the first is what ``predict`` returns;
- ``predict_output(name, data, params=None)``: one of them computed on prepared input.

Other models have one output named after their output signature (its single column's name),
else ``predict``; a model answering a DataFrame or a dict names its outputs itself.

Requested outputs travel to the runner inside the params under :data:`OUTPUTS_KEY`, so
batching merges only requests that ask for the same outputs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pyfunc_core.errors import InvalidInputError, quote

if TYPE_CHECKING:
    from pyfunc_core.model import PyFuncModel

DEFAULT_NAME = "predict"
#: The params key (never a valid param name) carrying the requested output names.
OUTPUTS_KEY = "\x00outputs"


class ModelOutputs:
    """The output names of one loaded model and how to compute chosen ones."""

    def __init__(self, model: PyFuncModel) -> None:
        self._model = model
        predictor = model.model_impl
        offered = getattr(predictor, "outputs", None)
        self._predict_output = getattr(predictor, "predict_output", None)
        #: name -> (numpy dtype name, shape) of each named output the predictor offers.
        self.dtypes: dict[str, tuple[str, list[int]]] = {}
        if callable(offered) and callable(self._predict_output):
            self.dtypes = {str(k): (str(v[0]), [int(d) for d in v[1]]) for k, v in dict(offered()).items()}
        schema = model.metadata.get_output_schema()
        #: Whether the names are known before predicting (else they come from the predictions).
        self.fixed = bool(self.dtypes) or (schema is not None and len(schema.inputs) == 1)
        if self.dtypes:
            self.default = next(iter(self.dtypes))
        elif schema is not None and len(schema.inputs) == 1 and schema.inputs[0].name:
            self.default = str(schema.inputs[0].name)
        else:
            self.default = DEFAULT_NAME

    @property
    def names(self) -> list[str]:
        """The known output names (empty when only the predictions can tell)."""
        if self.dtypes:
            return list(self.dtypes)
        return [self.default] if self.fixed else []

    def check(self, wanted: list[str] | None) -> tuple[str, ...] | None:
        """The requested names, validated when known up front; None for the default answer."""
        if not wanted:
            return None
        names = self.names
        if names:
            unknown = [w for w in wanted if w not in names]
            if unknown:
                raise unknown_outputs(unknown, names)
        return tuple(dict.fromkeys(wanted))

    def with_request(self, params: dict[str, Any] | None, wanted: tuple[str, ...] | None) -> Any:
        """``params`` carrying the requested outputs when they need their own computation."""
        if wanted is None or not self.dtypes or wanted == (self.default,):
            return params
        return {**(params or {}), OUTPUTS_KEY: wanted}

    def predict(self, data: Any, params: dict[str, Any] | None) -> Any:
        """The runner's predict function: the model's, or the requested named outputs (a dict)."""
        if params is None or OUTPUTS_KEY not in params:
            return self._model.predict_prepared(data, params)
        params = dict(params)
        wanted = params.pop(OUTPUTS_KEY)
        assert self._predict_output is not None
        return {name: self._predict_output(name, data, params or None) for name in wanted}


def unknown_outputs(unknown: list[str], names: list[str]) -> InvalidInputError:
    return InvalidInputError(
        f"Unknown requested output(s) {quote(unknown)}; this model's outputs are {quote(names)}"
    )
