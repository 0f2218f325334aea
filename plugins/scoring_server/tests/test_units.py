"""The pure pieces in-process: batch merging and splitting, V2 tensor decoding, the access log."""

from __future__ import annotations

import io
import threading
import time
from typing import Any

import numpy as np
import pandas as pd
import pytest

from pyfunc_core.errors import InvalidInputError, UnsupportedContentTypeError
from pyfunc_core.schema import ColSpec, Schema
from pyfunc_scoring_server.http.access_log import AccessLog
from pyfunc_scoring_server.protocols.v2_codec import check_content_type, decode_infer_request, encode_outputs
from pyfunc_scoring_server.scoring.batching import BatchRunner, count_rows, merge, merge_key, split


def test_merge_keys_separate_incompatible_inputs() -> None:
    a = pd.DataFrame({"x": [1.0], "y": [2.0]})
    same = pd.DataFrame({"x": [3.0, 4.0], "y": [5.0, 6.0]})
    assert merge_key(a, None) == merge_key(same, None)
    assert merge_key(a, None) != merge_key(a, {"k": 1})
    assert merge_key(a, None) != merge_key(pd.DataFrame({"y": [1.0], "x": [2.0]}), None)
    assert merge_key(a, None) != merge_key(a.astype("float32"), None)
    assert merge_key(np.zeros((2, 3)), None) != merge_key(np.zeros((2, 4)), None)
    assert merge_key({"t": np.zeros(2), "u": np.zeros(3)}, None) is None
    assert merge_key("text", None) is None


@pytest.mark.parametrize(
    "parts, result",
    [
        ([pd.DataFrame({"x": [1, 2]}), pd.DataFrame({"x": [3]})], lambda m: m["x"].to_numpy() * 10),
        ([np.arange(4).reshape(2, 2), np.arange(2).reshape(1, 2)], lambda m: m.sum(axis=1)),
        ([{"t": np.array([1, 2])}, {"t": np.array([3])}], lambda m: {"out": m["t"] + 1}),
        ([np.array([1, 2]), np.array([3])], lambda m: pd.DataFrame({"v": m})),
        ([np.array([1, 2]), np.array([3])], lambda m: [str(v) for v in m]),
    ],
    ids=["frame", "array", "dict", "frame-output", "list-output"],
)
def test_merge_then_split_gives_each_request_its_rows(parts: list, result: object) -> None:
    merged = merge(parts)
    assert count_rows(merged) == 3
    pieces = split(result(merged), [count_rows(p) for p in parts])  # type: ignore[operator]
    assert pieces is not None
    for part, piece in zip(parts, pieces):
        want = result(part)  # type: ignore[operator]
        if isinstance(want, pd.DataFrame):
            pd.testing.assert_frame_equal(piece.reset_index(drop=True), want)
        elif isinstance(want, dict):
            assert all(np.array_equal(piece[k], want[k]) for k in want)
        else:
            assert np.array_equal(np.asarray(piece), np.asarray(want))


def test_split_refuses_outputs_of_another_length() -> None:
    assert split(np.array([1.0]), [2, 1]) is None
    assert split(7, [1, 1]) is None
    assert split({"a": np.zeros(2), "b": np.zeros(3)}, [1, 2]) is None


def test_batch_runner_retries_members_alone_when_the_batch_fails() -> None:
    calls: list[int] = []

    def predict(data: np.ndarray, params: object) -> np.ndarray:
        calls.append(len(data))
        if (data < 0).any():
            raise ValueError("negative")
        return data * 2

    runner = BatchRunner(predict, max_rows=100, max_wait=0.5)
    runner.arriving()
    runner.arriving()
    good = runner.submit(np.array([1.0, 2.0]), None, 2)
    runner.left()
    bad = runner.submit(np.array([-1.0]), None, 1)
    runner.left()
    assert good.wait(10) and bad.wait(10)
    runner.stop()
    assert np.array_equal(good.value, [2.0, 4.0]) and good.error is None
    assert isinstance(bad.error, ValueError)
    assert calls[0] == 3  # merged first, then each alone
    assert sorted(calls[1:]) == [1, 2]


def test_v2_decoding() -> None:
    schema = Schema([ColSpec("double", "a"), ColSpec("string", "s")])
    body = (
        b'{"inputs": [{"name": "a", "datatype": "FP32", "shape": [2, 1], "data": [1, 2]},'
        b'{"name": "s", "datatype": "BYTES", "shape": [2], "data": ["x", "y"]}], "parameters": {"k": 1}}'
    )
    request = decode_infer_request(body, schema)
    assert list(request.data.columns) == ["a", "s"]
    assert request.data["s"].tolist() == ["x", "y"]
    assert request.params == {"k": 1}
    single = decode_infer_request(
        b'{"inputs": [{"name": "t", "datatype": "INT8", "shape": [2, 2], "data": [1, 2, 3, 4]}]}', None
    )
    assert single.data.dtype == np.int8 and single.data.shape == (2, 2)
    b64 = b'{"inputs": [{"name": "b", "datatype": "BYTES", "shape": [1], "data": ["aGk="], "parameters": {"content_type": "base64"}}]}'
    assert decode_infer_request(b64, None).data.tolist() == [b"hi"]
    with pytest.raises(InvalidInputError, match="booleans"):
        decode_infer_request(
            b'{"inputs": [{"name": "t", "datatype": "FP64", "shape": [1], "data": [true]}]}', None
        )
    with pytest.raises(InvalidInputError, match="Duplicate"):
        decode_infer_request(
            b'{"inputs": [{"name": "t", "datatype": "FP64", "shape": [1], "data": [1]},'
            b'{"name": "t", "datatype": "FP64", "shape": [1], "data": [1]}]}',
            None,
        )
    with pytest.raises(UnsupportedContentTypeError):
        check_content_type("application/json; charset=latin-1")
    check_content_type("application/json; charset=utf-8")


def test_v2_encoding_of_each_prediction_kind() -> None:
    outputs, ct = encode_outputs(np.array([[1, 2], [3, 4]], dtype=np.int32))
    assert ct == "np" and outputs[0]["shape"] == [2, 2] and outputs[0]["datatype"] == "INT32"
    outputs, ct = encode_outputs(["a", "b"])
    assert outputs[0]["datatype"] == "BYTES" and outputs[0]["data"] == ["a", "b"]
    outputs, ct = encode_outputs({"p": np.array([0.5]), "q": [1]})
    assert ct == "dict" and [o["name"] for o in outputs] == ["p", "q"]
    outputs, ct = encode_outputs(pd.Series([1.5], name="score"))
    assert outputs[0]["name"] == "score" and outputs[0]["datatype"] == "FP64"
    outputs, _ = encode_outputs(3.0)
    assert outputs[0]["shape"] == [1]


def test_access_log_writes_every_line_once() -> None:
    stream = io.StringIO()
    log = AccessLog(stream, interval=0.01)

    def many(k: int) -> None:
        for i in range(200):
            log.log("127.0.0.1", "GET", "/ping", 200, 1, 0.1, f"r{k}-{i}")

    threads = [threading.Thread(target=many, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    log.close()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 800
    assert len({line.rsplit("rid=", 1)[1] for line in lines}) == 800
    assert '"GET /ping" 200 1 0.10ms' in lines[0]


def test_access_log_escapes_forged_lines() -> None:
    stream = io.StringIO()
    log = AccessLog(stream, interval=10)
    log.log("127.0.0.1", "GET", "/x\nforged line", 404, 1, 0.1, "r")
    log.close()
    assert len(stream.getvalue().splitlines()) == 1
    assert "/x\\nforged line" in stream.getvalue()


def _timed_runner(predict: Any, **kwargs: Any) -> BatchRunner:
    """A batch runner that has timed one (fast) call, so the inline path is open."""
    kwargs.setdefault("inline_seconds", 0.05)  # generous: a loaded machine may stall a call
    runner = BatchRunner(predict, max_rows=64, max_wait=0.0, **kwargs)
    assert runner.submit(np.array([0.0]), None, 1).wait(10)
    for _ in range(1000):  # bounded: until the batcher has recorded that call
        if runner.predict_seconds is not None and runner.busy_for() == 0:
            break
        time.sleep(0.002)
    return runner


def test_an_idle_batch_runner_runs_a_short_call_in_the_callers_thread() -> None:
    threads: list[int] = []

    def predict(data: np.ndarray, params: object) -> np.ndarray:
        threads.append(threading.get_ident())
        if (data < 0).any():
            raise ValueError("negative")
        return data * 2

    runner = _timed_runner(predict)
    slot = runner.submit(np.array([1.0, 2.0]), None, 2)
    assert slot.wait(0)  # answered before submit returned
    assert np.array_equal(slot.value, [2.0, 4.0]) and threads[-1] == threading.get_ident()
    failed = runner.submit(np.array([-1.0]), None, 1)
    assert failed.wait(0) and isinstance(failed.error, ValueError)
    assert threads[0] != threading.get_ident()  # the first, untimed call went to the batcher
    runner.stop()


def test_requests_arriving_during_an_inline_call_wait_for_it_and_are_merged() -> None:
    inline_started, release = threading.Event(), threading.Event()
    calls: list[int] = []
    running, most = [0], [0]

    def predict(data: np.ndarray, params: object) -> np.ndarray:
        running[0] += 1
        most[0] = max(most[0], running[0])
        calls.append(len(data))
        if data[0] == 100.0:
            inline_started.set()
            release.wait(10)
        running[0] -= 1
        return data + 1

    runner = _timed_runner(predict)
    calls.clear()
    inline = threading.Thread(target=runner.submit, args=(np.array([100.0]), None, 1))
    inline.start()
    assert inline_started.wait(10)
    queued = [runner.submit(np.array([float(k)]), None, 1) for k in range(3)]
    time.sleep(0.05)
    assert not any(slot.wait(0) for slot in queued)  # held while the inline call runs
    release.set()
    inline.join(10)
    assert all(slot.wait(10) for slot in queued)
    assert [slot.value.tolist() for slot in queued] == [[1.0], [2.0], [3.0]]
    assert calls == [1, 3] and most[0] == 1  # one predict at a time; the three merged
    runner.stop()


def test_no_inline_call_when_the_typical_call_is_long() -> None:
    threads: list[int] = []

    def predict(data: np.ndarray, params: object) -> np.ndarray:
        threads.append(threading.get_ident())
        time.sleep(0.01)
        return data

    runner = _timed_runner(predict, inline_seconds=0.002)  # 10 ms calls: always the batcher
    assert runner.submit(np.array([1.0]), None, 1).wait(10)
    assert threading.get_ident() not in threads
    runner.stop()


def test_no_inline_call_when_a_wait_for_merging_was_asked_for() -> None:
    threads: list[int] = []

    def predict(data: np.ndarray, params: object) -> np.ndarray:
        threads.append(threading.get_ident())
        return data

    runner = BatchRunner(predict, max_rows=64, max_wait=0.001, inline_seconds=0.05)
    for _ in range(3):  # timed calls, then calls that would go inline without the wait
        assert runner.submit(np.array([1.0]), None, 1).wait(10)
    assert threading.get_ident() not in threads
    runner.stop()
