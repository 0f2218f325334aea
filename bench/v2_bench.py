"""Open Inference Protocol (V2) paths: ours over HTTP JSON, HTTP binary tensors and gRPC, against
MLServer's gRPC, in one run, on one logistic regression (20 float features).

```
.venv/bin/python bench/v2_bench.py                       # 1-row and 10,000-row requests, ~5 min
.venv/bin/python bench/v2_bench.py --duration 5 --no-mlserver
```

HTTP load is ``wrk`` (as in ``serving_bench.py``); gRPC load is a client process whose threads
send one pre-serialized ``ModelInferRequest`` (raw_input_contents) in a loop over one channel,
the same client for both servers. Every run is bounded in time (``--duration``) and answers are
checked against ``predict_proba``/``predict`` in this process before the load. Loopback only.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from peer_envs import ensure_venv  # noqa: E402
from server_procs import ServerSpec, free_port, start, stop  # noqa: E402
from wrk_load import LUA, MARK, ensure_wrk  # noqa: E402
from wrk_load import run as wrk_run  # noqa: E402

WORK = HERE / ".work"
METHOD = "/inference.GRPCInferenceService/ModelInfer"
N_FEATURES = 20

#: The gRPC load client, run as its own process: argv = port, body file, threads, seconds.
GRPC_CLIENT = """
import sys, threading, time
import grpc
port, body, threads, seconds = sys.argv[1], open(sys.argv[2], "rb").read(), int(sys.argv[3]), float(sys.argv[4])
channel = grpc.insecure_channel("127.0.0.1:" + port, options=[("grpc.max_receive_message_length", -1)])
call = channel.unary_unary("@METHOD@")
counts, errors = [0] * threads, [0] * threads
stop_at = time.perf_counter() + seconds
def loop(i):
    while time.perf_counter() < stop_at:
        try:
            call(body, timeout=30)
            counts[i] += 1
        except grpc.RpcError:
            errors[i] += 1
started = time.perf_counter()
workers = [threading.Thread(target=loop, args=(i,)) for i in range(threads)]
for w in workers: w.start()
for w in workers: w.join()
print("@MARK@" + '{"requests": %d, "errors": %d, "seconds": %f}' % (sum(counts), sum(errors), time.perf_counter() - started))
""".replace("@METHOD@", METHOD).replace("@MARK@", MARK)


def make_model(out: Path):
    from sklearn.datasets import make_classification
    from sklearn.linear_model import LogisticRegression

    X, y = make_classification(n_samples=10_000, n_features=N_FEATURES, random_state=0)
    return X, LogisticRegression(max_iter=1000).fit(X, y)


def save_ours(estimator, X, out: Path) -> Path:
    from pyfunc_sklearn import save_model

    path = out / "ours" / "logreg"
    if not path.exists():
        save_model(estimator, path, input_example=X[:2])
    return path


def save_mlserver(estimator, out: Path) -> Path:
    import joblib

    path = out / "mlserver"
    path.mkdir(parents=True, exist_ok=True)
    joblib.dump(estimator, path / "model.joblib")
    settings = {"name": "logreg", "implementation": "mlserver_sklearn.SKLearnModel",
                "parameters": {"uri": "./model.joblib"}}  # fmt: skip
    (path / "model-settings.json").write_text(json.dumps(settings))
    return path


def grpc_body(rows: np.ndarray, output: str) -> bytes:
    from pyfunc_grpc.proto import grpc_predict_v2_pb2 as pb

    request = pb.ModelInferRequest(model_name="logreg")
    request.inputs.add(name="input-0", datatype="FP64", shape=list(rows.shape))
    request.raw_input_contents.append(np.ascontiguousarray(rows, "<f8").tobytes())
    request.outputs.add(name=output)
    return request.SerializeToString()


def json_body(rows: np.ndarray) -> bytes:
    tensor = {"name": "input-0", "shape": list(rows.shape), "datatype": "FP64", "data": rows.ravel().tolist()}
    return json.dumps({"inputs": [tensor], "outputs": [{"name": "predict"}]}).encode()


def binary_body(rows: np.ndarray) -> tuple[bytes, int]:
    raw = np.ascontiguousarray(rows, "<f8").tobytes()
    header = {
        "inputs": [{"name": "input-0", "shape": list(rows.shape), "datatype": "FP64",
                    "parameters": {"binary_data_size": len(raw)}}],
        "outputs": [{"name": "predict", "parameters": {"binary_data": True}}],
    }  # fmt: skip
    head = json.dumps(header).encode()
    return head + raw, len(head)


def check_grpc(port: int, rows: np.ndarray, expected: np.ndarray, output: str) -> str:
    import grpc

    from pyfunc_grpc.proto import grpc_predict_v2_pb2 as pb

    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        raw = channel.unary_unary(METHOD)(grpc_body(rows, output), timeout=60)
    response = pb.ModelInferResponse.FromString(raw)
    out = response.outputs[0]
    if response.raw_output_contents:
        dtype = {"INT64": "<i8", "FP64": "<f8", "INT32": "<i4"}[out.datatype]
        got = np.frombuffer(response.raw_output_contents[0], dtype)
    else:
        got = np.asarray(out.contents.int64_contents or out.contents.fp64_contents)
    return "ok" if np.array_equal(got.reshape(-1), expected.reshape(-1)) else f"FAIL: got {got[:5]}"


def check_http(url: str, body: bytes, headers: dict[str, str], expected: np.ndarray) -> str:
    import urllib.request

    req = urllib.request.Request(url, data=body, headers=headers)
    with urllib.request.urlopen(req, timeout=60) as resp:
        content = resp.read()
        size = resp.headers.get("Inference-Header-Content-Length")
    if size is None:
        got = np.asarray(json.loads(content)["outputs"][0]["data"])
    else:
        got = np.frombuffer(content[int(size) :], "<i8")
    return "ok" if np.array_equal(got, expected) else f"FAIL: got {got[:5]}"


def grpc_load(port: int, body_path: Path, threads: int, seconds: float) -> tuple[float, int]:
    proc = subprocess.run(
        [sys.executable, "-c", GRPC_CLIENT, str(port), str(body_path), str(threads), str(seconds)],
        capture_output=True, text=True, timeout=seconds + 120,
    )  # fmt: skip
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith(MARK)), None)
    if line is None:
        raise RuntimeError(f"gRPC client failed: {proc.stderr[-800:]}")
    r = json.loads(line[len(MARK) :])
    return r["requests"] / r["seconds"], r["errors"]


def http_load(wrk: str, url: str, body_path: Path, work: Path, conns: int, seconds: float,
              header_length: int | None) -> tuple[float, int]:  # fmt: skip
    content_type = "application/octet-stream" if header_length is not None else "application/json"
    lua = LUA.format(body=body_path.resolve(), content_type=content_type, mark=MARK)
    if header_length is not None:
        lua = lua.replace(
            'wrk.headers["Content-Type"]',
            f'wrk.headers["Inference-Header-Content-Length"] = "{header_length}"\nwrk.headers["Content-Type"]',
            1,
        )
    script = work / f"{body_path.stem}.lua"
    script.write_text(lua)
    result = wrk_run(wrk, url, script, conns, seconds)
    return result.ok_per_s, result.errors


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per measured run")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--no-mlserver", action="store_true")
    parser.add_argument("--flags", default="", help="extra pyfunc-core serve flags")
    args = parser.parse_args(argv)
    WORK.mkdir(exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="v2-bench-", dir=WORK))
    X, estimator = make_model(work)
    wrk = ensure_wrk()
    sizes = {"1-row": 1, "10,000-row": 10_000}
    results: dict[tuple[str, str], tuple[float, int]] = {}
    checks: dict[str, str] = {}

    grpc_port = free_port()
    http_port = free_port()
    ours = ServerSpec(
        server="pyfunc", label="ours",
        cmd=[str(Path(sys.executable).parent / "pyfunc-core"), "serve", "-m", str(save_ours(estimator, X, WORK / "v2-models")),
             "--name", "logreg", "--port", str(http_port), "--grpc-port", str(grpc_port), *args.flags.split()],
        health_url=f"http://127.0.0.1:{http_port}/v2/health/ready",
        infer_url=f"http://127.0.0.1:{http_port}/v2/models/logreg/infer", protocol="v2",
    )  # fmt: skip
    running = start(ours, work / "ours.log")
    try:
        print(f"[ours] ready in {running.cold_start_s:.1f}s", flush=True)
        for label, n in sizes.items():
            rows = X[:n]
            expected = estimator.predict(rows)
            body = work / f"grpc-{n}.bin"
            body.write_bytes(grpc_body(rows, "predict"))
            checks[f"ours gRPC {label}"] = check_grpc(grpc_port, rows, expected, "predict")
            results[("ours gRPC", label)] = grpc_load(grpc_port, body, args.concurrency, args.duration)
            jbody = work / f"json-{n}.json"
            jbody.write_bytes(json_body(rows))
            checks[f"ours HTTP JSON {label}"] = check_http(ours.infer_url, jbody.read_bytes(),
                                                           {"Content-Type": "application/json"}, expected)  # fmt: skip
            results[("ours HTTP JSON", label)] = http_load(wrk, ours.infer_url, jbody, work, args.concurrency,
                                                           args.duration, None)  # fmt: skip
            data, head = binary_body(rows)
            bbody = work / f"binary-{n}.bin"
            bbody.write_bytes(data)
            headers = {
                "Content-Type": "application/octet-stream",
                "Inference-Header-Content-Length": str(head),
            }
            checks[f"ours HTTP binary {label}"] = check_http(ours.infer_url, data, headers, expected)
            results[("ours HTTP binary", label)] = http_load(wrk, ours.infer_url, bbody, work, args.concurrency,
                                                             args.duration, head)  # fmt: skip
            print(f"[ours] {label} done", flush=True)
    finally:
        stop(running.proc)

    if not args.no_mlserver:
        python = ensure_venv(WORK / "venvs", "mlserver", WORK / "mlserver-venv.log")
        folder = save_mlserver(estimator, work)
        mport, mgrpc = free_port(), free_port()
        settings = {"host": "127.0.0.1", "http_port": mport, "grpc_port": mgrpc, "metrics_port": free_port()}
        (folder / "settings.json").write_text(json.dumps(settings))
        spec = ServerSpec(
            server="mlserver", label="defaults", cmd=[str(python.parent / "mlserver"), "start", str(folder)],
            health_url=f"http://127.0.0.1:{mport}/v2/health/ready",
            infer_url=f"http://127.0.0.1:{mport}/v2/models/logreg/infer", protocol="v2",
            env={"PATH": f"{python.parent}:/usr/bin:/bin"}, cwd=folder,
        )  # fmt: skip
        running = start(spec, work / "mlserver.log")
        try:
            time.sleep(1.0)  # its gRPC server comes up beside the HTTP one
            print(f"[mlserver] ready in {running.cold_start_s:.1f}s", flush=True)
            for label, n in sizes.items():
                rows = X[:n]
                body = work / f"mlserver-grpc-{n}.bin"
                body.write_bytes(grpc_body(rows, "predict"))
                checks[f"MLServer gRPC {label}"] = check_grpc(mgrpc, rows, estimator.predict(rows), "predict")
                results[("MLServer gRPC", label)] = grpc_load(mgrpc, body, args.concurrency, args.duration)
                print(f"[mlserver] {label} done", flush=True)
        finally:
            stop(running.proc)

    print()
    print("| path | " + " | ".join(f"{label} req/s | {label} rows/s" for label in sizes) + " | errors |")
    print("|---|" + "---|---|" * len(sizes) + "---|")
    for path in ("ours HTTP JSON", "ours HTTP binary", "ours gRPC", "MLServer gRPC"):
        if (path, "1-row") not in results:
            continue
        cells = []
        errors = 0
        for label, n in sizes.items():
            rate, err = results[(path, label)]
            errors += err
            cells += [f"{rate:,.0f}", f"{rate * n:,.0f}"]
        print(f"| {path} | " + " | ".join(cells) + f" | {errors} |")
    print()
    if ("MLServer gRPC", "1-row") in results:
        for label, target in (("1-row", 2.0), ("10,000-row", 1.5)):
            ratio = results[("ours gRPC", label)][0] / results[("MLServer gRPC", label)][0]
            print(f"ours gRPC / MLServer gRPC, {label}: {ratio:.2f}x (target >= {target}x)")
    ratio = results[("ours HTTP binary", "10,000-row")][0] / results[("ours HTTP JSON", "10,000-row")][0]
    print(f"ours HTTP binary / ours HTTP JSON, 10,000-row rows/s: {ratio:.2f}x (target >= 2x)")
    print("checks: " + ", ".join(f"{k}: {v}" for k, v in checks.items()))
    print(f"logs: {work}")
    return 0 if all(v == "ok" for v in checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
