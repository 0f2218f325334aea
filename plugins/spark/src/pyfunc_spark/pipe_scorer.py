"""The scoring loop run inside a model's own environment, fed over stdin/stdout.

It needs only pyfunc-core there: the executor runs this file's source with
``python -c``, so pyfunc-spark does not have to be installed in the model's environment.
Each request is MLflow's ``{"dataframe_split": ...}`` JSON; each answer is
``{"predictions": ...}`` or ``{"error": "..."}``. Frames are 4-byte big-endian lengths
followed by the bytes. Anything the model prints goes to stderr, never into the protocol.
"""

import json
import os
import struct
import sys


def main(model_path: str) -> None:
    protocol_out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # model code that prints must not corrupt the frames
    source = sys.stdin.buffer

    from pyfunc_core.codecs import decode_request, predictions_to_json
    from pyfunc_core.model import load_model
    from pyfunc_core.plugins import get_plugins

    def send(payload: bytes) -> None:
        protocol_out.write(struct.pack(">I", len(payload)) + payload)
        protocol_out.flush()

    try:
        model = load_model(model_path)
    except Exception as exc:
        send(json.dumps({"error": f"{type(exc).__name__}: {exc}"}).encode())
        return
    send(b'{"ready": true}')
    schema, codecs = model.metadata.get_input_schema(), get_plugins().codecs
    while True:
        head = source.read(4)
        if len(head) < 4:
            return
        (size,) = struct.unpack(">I", head)
        body = source.read(size)
        try:
            _, request = decode_request(codecs, "application/json", body, schema)
            answer = predictions_to_json(model.predict(request.data, request.params))
        except Exception as exc:
            answer = json.dumps({"error": f"{type(exc).__name__}: {exc}"}).encode()
        send(answer)


if __name__ == "__main__":
    main(sys.argv[1])
