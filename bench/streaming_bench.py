"""Streaming benchmark: our Server-Sent Events against the same agent driven in-process.

A ``ChatAgent`` from code yields N small chunks (default 200). Measured, on 127.0.0.1:

1. **Floor**: ``load_model(path).predict_stream(request)`` consumed in this process: time to
   the first chunk and per chunk (the agent's own cost plus our predictor wrapper).
2. **One SSE stream** at a time over HTTP (``pyfunc-core serve``, one worker): time from
   sending the request to the first ``data:`` event, and per chunk (total time / N), each the
   median of ``--rounds`` streams; the overhead is ours minus the floor.
3. **Concurrent streams**: ``--concurrency`` clients (default 100) each read a whole stream
   at once from one worker (started with as many threads, as each open stream holds one;
   ``--threads 8`` shows the default, where streams beyond 8 wait their turn);
   every stream is checked chunk by chunk (all N, in order, then ``[DONE]``).

No peer is measured: MLflow's scoring server never streams (``predict_stream`` is not
reachable over HTTP, MLflow issue #12439), and no other server speaks MLflow's agent
format, so the in-process floor is the only fair reference.

    .venv/bin/python bench/streaming_bench.py [--chunks 200] [--rounds 20] [--concurrency 100]
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import tempfile
import threading
from pathlib import Path
from time import perf_counter

AGENT = """
import pyfunc_core


class Chunks(pyfunc_core.ChatAgent):
    def predict(self, messages, context=None, custom_inputs=None):
        return {"messages": [{"role": "assistant", "content": "x", "id": "a"}]}

    def predict_stream(self, messages, context=None, custom_inputs=None):
        for i in range(int(custom_inputs["n"])):
            yield {"delta": {"role": "assistant", "content": str(i), "id": "a"}}


pyfunc_core.set_model(Chunks())
"""


def request(n: int) -> dict:
    return {"messages": [{"role": "user", "content": "go"}], "custom_inputs": {"n": n}}


def floor(path: Path, n: int, rounds: int) -> tuple[float, float]:
    from pyfunc_core import load_model

    model = load_model(path)
    firsts, per = [], []
    for _ in range(rounds):
        start = perf_counter()
        stream = model.predict_stream(request(n))
        next(stream)
        firsts.append(perf_counter() - start)
        count = 1 + sum(1 for _ in stream)
        assert count == n
        per.append((perf_counter() - start) / n)
    return statistics.median(firsts), statistics.median(per)


def one_stream(port: int, n: int) -> tuple[float, float, list[str]]:
    """(seconds to the first event, seconds in all, the events' data) of one stream."""
    body = json.dumps({**request(n), "stream": True})
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    start = perf_counter()
    conn.request("POST", "/invocations", body, {"Content-Type": "application/json"})
    response = conn.getresponse()
    assert response.status == 200, response.read()[:300]
    first = None
    data = []
    while True:
        line = response.fp.readline()
        if not line:
            break
        if line.startswith(b"data: "):
            if first is None:
                first = perf_counter() - start
            data.append(line[6:].strip().decode())
            if data[-1] == "[DONE]":
                break
    total = perf_counter() - start
    conn.close()
    return first or total, total, data


def check(data: list[str], n: int) -> bool:
    if len(data) != n + 1 or data[-1] != "[DONE]":
        return False
    return all(json.loads(d)["delta"]["content"] == str(i) for i, d in enumerate(data[:-1]))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--chunks", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--threads", type=int, default=0, help="server threads (default: --concurrency)")
    args = parser.parse_args()
    from pyfunc_core import save_model
    from pyfunc_core.testing import ServerProcess

    n = args.chunks
    with tempfile.TemporaryDirectory(prefix="stream-bench-") as tmp:
        root = Path(tmp)
        (root / "agent.py").write_text(AGENT)
        save_model(root / "agent", python_model=root / "agent.py")
        f_first, f_per = floor(root / "agent", n, args.rounds)
        threads = str(args.threads or max(8, args.concurrency))
        server = ServerProcess(root / "agent", "--threads", threads, log=root / "server.log")
        try:
            one_stream(server.port, n)  # warm-up
            firsts, per = [], []
            for _ in range(args.rounds):
                first, total, data = one_stream(server.port, n)
                assert check(data, n), "a sequential stream lost or reordered chunks"
                firsts.append(first)
                per.append(total / n)
            s_first, s_per = statistics.median(firsts), statistics.median(per)
            results: list[tuple[float, float, list[str]] | None] = [None] * args.concurrency

            def client(i: int) -> None:
                try:
                    results[i] = one_stream(server.port, n)
                except Exception as exc:  # counted as a failed stream below
                    print(f"stream {i} failed: {type(exc).__name__}: {exc}", file=sys.stderr)

            start = perf_counter()
            workers = [threading.Thread(target=client, args=(i,)) for i in range(args.concurrency)]
            for w in workers:
                w.start()
            for w in workers:
                w.join(300)
            wall = perf_counter() - start
        finally:
            server.stop()
    good = sum(1 for r in results if r is not None and check(r[2], n))
    c_firsts = sorted(r[0] for r in results if r is not None)
    print(
        f"streaming bench: {n} chunks per stream, median of {args.rounds} rounds, one worker, {threads} threads"
    )
    print(f"  in-process floor     first chunk {f_first * 1e6:8.1f} us   per chunk {f_per * 1e6:7.2f} us")
    print(f"  SSE over HTTP        first chunk {s_first * 1e6:8.1f} us   per chunk {s_per * 1e6:7.2f} us")
    print(
        f"  SSE overhead         first chunk {(s_first - f_first) * 1e6:8.1f} us   per chunk {(s_per - f_per) * 1e6:7.2f} us"
    )
    print(f"  {args.concurrency} concurrent streams: {good}/{args.concurrency} complete and in order "
          f"({good * n} chunks) in {wall:.2f}s = {good * n / wall:,.0f} chunks/s; first chunk median "
          f"{statistics.median(c_firsts) * 1e3:.1f} ms, max {c_firsts[-1] * 1e3:.1f} ms" if c_firsts else "")  # fmt: skip
    print(
        "  peers: none; MLflow's server never streams (mlflow/mlflow#12439) and nothing else serves its format"
    )
    if good != args.concurrency:
        sys.exit(1)


if __name__ == "__main__":
    main()
