"""Runs in the kserve venv: inference through KServe's InferenceRESTClient / InferenceGRPCClient.

argv[1] is a JSON plan: {"protocol": "rest"|"grpc", "url": ..., "model": NAME,
"inputs": [{"name", "datatype", "data"}], "outputs": [NAME...] | null}. REST sends numpy data
in the binary tensor extension (the client's default). Prints one JSON line.
"""

import asyncio
import json
import sys

import numpy as np
from kserve import InferenceGRPCClient, InferenceRESTClient, InferInput, InferRequest
from kserve.inference_client import RESTConfig
from kserve.protocol.infer_type import RequestedOutput

plan = json.loads(sys.argv[1])


async def main() -> dict:
    inputs = []
    for spec in plan["inputs"]:
        arr = np.array(spec["data"], dtype=object if spec["datatype"] == "BYTES" else None)
        if spec["datatype"] == "FP64":
            arr = arr.astype(np.float64)
        item = InferInput(spec["name"], list(arr.shape), spec["datatype"])
        item.set_data_from_numpy(arr)
        inputs.append(item)
    outputs = [RequestedOutput(n) for n in plan["outputs"]] if plan["outputs"] else None
    request = InferRequest(plan["model"], inputs, request_outputs=outputs)
    out = {}
    if plan["protocol"] == "grpc":
        client = InferenceGRPCClient(plan["url"], retries=0)
        out["live"] = await client.is_server_live()
        out["ready"] = await client.is_server_ready()
        out["model_ready"] = await client.is_model_ready(plan["model"])
        response = await client.infer(request)
        await client.close()
    else:
        client = InferenceRESTClient(RESTConfig(protocol="v2", retries=0))
        out["live"] = await client.is_server_live(plan["url"])
        out["ready"] = await client.is_server_ready(plan["url"])
        out["model_ready"] = await client.is_model_ready(plan["url"], plan["model"])
        response = await client.infer(plan["url"], request, model_name=plan["model"])
        await client.close()
    out["outputs"] = {}
    for o in response.outputs:
        value = o.as_numpy()
        if value.dtype == object:
            value = np.vectorize(lambda v: v.decode() if isinstance(v, bytes) else v, otypes=[object])(value)
        out["outputs"][o.name] = value.tolist()
    return out


print(json.dumps(asyncio.run(main())))
