"""Why a docker build failed, in one plain line: the step's own error first."""

from __future__ import annotations

from pyfunc_docker.build_log import BuildLog, plain

# As the daemon streams a failed pip step (stderr in red), from a real build.
PIP_STEP = """\
Step 9/24 : COPY wheels/ /build/wheels/
 ---> 586863b98da7
Step 10/24 : RUN python3 -m venv /build/tools && python3 -m venv --without-pip /opt/venv  && /build/tools/bin/pip --python /opt/venv/bin/python install -r /build/requirements.txt
 ---> Running in 98589965b44b
Processing ./wheels/pyfunc_core-0.1.0-py3-none-any.whl
Collecting cloudpickle==3.1.3
  Downloading cloudpickle-3.1.3-py3-none-any.whl (22 kB)
\x1b[91mERROR: Could not find a version that satisfies the requirement nonexistent-pkg-zzz==1.0 (from versions: none)
\x1b[0m
\x1b[91mERROR: No matching distribution found for nonexistent-pkg-zzz==1.0
\x1b[0m
Removing intermediate container 98589965b44b
"""
DAEMON_ERROR = (
    "The command '/bin/sh -c python3 -m venv /build/tools && python3 -m venv --without-pip /opt/venv"
    "  && /build/tools/bin/pip --python /opt/venv/bin/python install -r /build/requirements.txt'"
    " returned a non-zero code: 1"
)


def _log(text: str) -> BuildLog:
    log = BuildLog()
    for line in plain(text).splitlines():
        if line.strip():
            log.add(line.rstrip())
    return log


def test_pip_failure_names_pips_cause_first_on_one_plain_line() -> None:
    message = _log(PIP_STEP).failure(DAEMON_ERROR)
    assert message.startswith("No matching distribution found for nonexistent-pkg-zzz==1.0 (step 10/24 `RUN ")
    assert message.endswith("` exited with code 1)")
    assert "\n" not in message and "\x1b" not in message
    assert len(message) < 200


def test_traceback_last_line_is_the_cause() -> None:
    text = (
        "Step 3/5 : RUN python3 -c 'import nothing_here'\n ---> Running in 1234\n"
        'Traceback (most recent call last):\n  File "<string>", line 1, in <module>\n'
        "ModuleNotFoundError: No module named 'nothing_here'\n"
    )
    message = _log(text).failure(
        "The command '/bin/sh -c python3 -c 'import nothing_here'' returned a non-zero code: 1"
    )
    assert message == (
        "ModuleNotFoundError: No module named 'nothing_here' "
        "(step 3/5 `RUN python3 -c 'import nothing_here'` exited with code 1)"
    )


def test_silent_failure_keeps_the_daemons_words() -> None:
    text = "Step 2/2 : RUN false\n ---> Running in 1234\n"
    assert _log(text).failure("The command '/bin/sh -c false' returned a non-zero code: 1") == (
        "step 2/2 `RUN false` exited with code 1"
    )
    assert BuildLog().failure("\x1b[31mno space left on device\x1b[0m") == "no space left on device"


def test_plain_strips_colours_and_carriage_returns() -> None:
    assert plain("\x1b[1;91mERROR\x1b[0m: x\r\n\x1b]0;title\x07ok") == "ERROR: x\nok"
