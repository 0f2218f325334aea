"""Runs in the tritonclient venv: health, metadata and inference through tritonclient.

argv[1] is a JSON plan: {"protocol": "http"|"grpc", "url": "127.0.0.1:PORT", "model": NAME,
"binary": bool, "inputs": [{"name", "datatype", "data"}], "outputs": [NAME...] | null,
"metadata_outputs": bool}. Prints one JSON line: what the server said, outputs as lists.
"""

import json
import sys

import numpy as np
from tritonclient.utils import InferenceServerException

plan = json.loads(sys.argv[1])
if plan["protocol"] == "grpc":
    import tritonclient.grpc as tc
else:
    import tritonclient.http as tc

client = tc.InferenceServerClient(url=plan["url"])
model = plan["model"]
out = {
    "live": client.is_server_live(),
    "ready": client.is_server_ready(),
    "model_ready": client.is_model_ready(model),
}
meta = client.get_model_metadata(model)
server = client.get_server_metadata()
if plan["protocol"] == "grpc":
    out["metadata_outputs"] = [o.name for o in meta.outputs]
    out["extensions"] = list(server.extensions)
else:
    out["metadata_outputs"] = [o["name"] for o in meta["outputs"]]
    out["extensions"] = server["extensions"]

inputs = []
for spec in plan["inputs"]:
    dtype = object if spec["datatype"] == "BYTES" else None
    arr = np.array(spec["data"], dtype=dtype)
    if spec["datatype"] == "FP64":
        arr = arr.astype(np.float64)
    item = tc.InferInput(spec["name"], list(arr.shape), spec["datatype"])
    if plan["protocol"] == "grpc":
        item.set_data_from_numpy(arr)
    else:
        item.set_data_from_numpy(arr, binary_data=plan["binary"])
    inputs.append(item)
names = plan["outputs"]
if names is None and plan.get("metadata_outputs"):
    names = out["metadata_outputs"][:1]  # what a client that reads metadata asks for
requested = None
if names is not None:
    if plan["protocol"] == "grpc":
        requested = [tc.InferRequestedOutput(n) for n in names]
    else:
        requested = [tc.InferRequestedOutput(n, binary_data=plan["binary"]) for n in names]
try:
    result = client.infer(model, inputs, outputs=requested)
except InferenceServerException as exc:
    out["error"] = str(exc)
    print(json.dumps(out))
    sys.exit(0)
response = result.get_response()
if plan["protocol"] == "grpc":
    listed = [o.name for o in response.outputs]
else:
    listed = [o["name"] for o in response["outputs"]]
out["outputs"] = {}
for n in listed:
    value = result.as_numpy(n)
    if value.dtype == object:
        value = np.vectorize(lambda v: v.decode() if isinstance(v, bytes) else v, otypes=[object])(value)
    out["outputs"][n] = value.tolist()
print(json.dumps(out))
