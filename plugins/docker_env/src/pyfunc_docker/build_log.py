"""Reading ``docker build`` output: plain lines, the current step, and why a failed step failed.

The daemon colours a step's stderr with ANSI codes and ends a failed build with only
``The command '/bin/sh -c …' returned a non-zero code: 1``; the real cause (pip's
``No matching distribution found for …``) is somewhere in the step's output. This module
strips the colours and picks that cause out, so the failure is one line that starts with it.
"""

from __future__ import annotations

import re

_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")
_STEP = re.compile(r"^Step (\d+/\d+) : (.*)$")
_EXIT_CODE = re.compile(r"(?:non-zero code|exit code):?\s*(\d+)")
#: Lines that state an error: pip's ``ERROR:``, apt's ``E:``, a traceback's last line, ...
_ERROR_LINE = re.compile(r"^(?:(?:ERROR|Error|error|E|FATAL|fatal):\s|\w+(?:Error|Exception):\s)")
_MARKER = re.compile(r"^(?:ERROR|Error|error|E|FATAL|fatal):\s*")
#: Daemon bookkeeping lines, never a step's own output.
_BOOKKEEPING = re.compile(r"^(?: ---> |Removing intermediate container |Successfully )")
_INSTRUCTION_CHARS = 60


def plain(text: str) -> str:
    """``text`` without ANSI escape sequences (colours, cursor moves) and carriage returns."""
    return _ANSI.sub("", text).replace("\r", "")


class BuildLog:
    """The lines of a build's output, remembering which step they belong to."""

    def __init__(self, tail: int = 20) -> None:
        self.step: str | None = None
        self.instruction: str = ""
        self.step_lines: list[str] = []
        self.tail: list[str] = []
        self._tail_size = tail

    def add(self, line: str) -> None:
        """Record one line of output (already without colour codes)."""
        self.tail.append(line)
        del self.tail[: -self._tail_size]
        match = _STEP.match(line)
        if match:
            self.step, self.instruction, self.step_lines = match.group(1), match.group(2), []
        elif line.strip() and not _BOOKKEEPING.match(line):
            self.step_lines.append(line.strip())
            del self.step_lines[: -self._tail_size * 10]

    def cause(self) -> str | None:
        """The failing step's own error line (its last one), without the ``ERROR:`` marker."""
        errors = [line for line in self.step_lines if _ERROR_LINE.match(line)]
        if errors:
            return _MARKER.sub("", errors[-1]).strip() or errors[-1]
        return self.step_lines[-1] if self.step_lines else None

    def failure(self, daemon_error: str) -> str:
        """One line: the cause, then which step failed and how (the daemon's words otherwise)."""
        daemon_error = " ".join(plain(daemon_error).split())
        cause = self.cause()
        code = _EXIT_CODE.search(daemon_error)
        if self.step is not None and code:
            instruction = self.instruction
            if len(instruction) > _INSTRUCTION_CHARS:
                instruction = instruction[:_INSTRUCTION_CHARS].rstrip() + "..."
            where = f"step {self.step} `{instruction}` exited with code {code.group(1)}"
        else:
            where = daemon_error
        return f"{cause} ({where})" if cause else where
