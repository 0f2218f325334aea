"""The closing lines of .ci/run: one line per pytest run, the skip reasons, and the total.

Usage: ``python dev/ci_summary.py RUNS_TSV``. Each line of RUNS_TSV is tab-separated:
``label  state  exit_code  junit_xml  detail`` where state is ``ran`` (pytest ran, maybe
failing), ``absent`` (no such Python here), ``broken`` (its venv could not be built) or
``checked`` (a checker such as mypy ran; its exit code decides, detail is its last line).
Failed counts include pytest errors; a run that left no report counts as one failure.
Exit status 1 when any run failed, was absent or broken.
"""

from __future__ import annotations

import ast
import sys
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Run:
    label: str
    state: str
    exit_code: int
    report: Path
    detail: str
    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    skip_reasons: dict[str, int] = field(default_factory=dict)
    ok: bool = False


def read_report(run: Run) -> bool:
    """Fill the counts from pytest's JUnit XML; False when there is none to read."""
    try:
        root = ET.parse(run.report).getroot()
    except (OSError, ET.ParseError):
        return False
    reasons: dict[str, int] = defaultdict(int)
    for case in root.iter("testcase"):
        kinds = {child.tag for child in case}
        if "failure" in kinds:
            run.failed += 1
        elif "error" in kinds:
            run.errors += 1
        elif (skipped := case.find("skipped")) is not None:
            run.skipped += 1
            reasons[_short(_skip_reason(skipped))] += 1
        else:
            run.passed += 1
    run.skip_reasons = dict(reasons)
    return True


def _skip_reason(skipped: ET.Element) -> str:
    message = skipped.get("message", "")
    if message == "collection skipped" and skipped.text:  # a module skipped: (path, line, reason)
        try:
            message = str(ast.literal_eval(skipped.text.strip())[-1]).removeprefix("Skipped: ")
        except (ValueError, SyntaxError, IndexError, TypeError):
            pass
    return message or "(no reason given)"


def _short(reason: str) -> str:
    reason = " ".join(reason.split())
    return reason if len(reason) <= 160 else reason[:157] + "..."


def main(tsv: Path) -> int:
    runs: list[Run] = []
    for line in tsv.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        label, state, code, report, detail = (line.split("\t") + [""] * 5)[:5]
        runs.append(Run(label, state, int(code or 0), Path(report), detail))

    print("==================== test summary ====================")
    for run in runs:
        if run.state == "absent":
            print(f"{run.label}: NOT RUN - {run.detail}")
            continue
        if run.state == "checked":
            run.ok = run.exit_code == 0
            print(f"{run.label}: {run.detail}" + ("" if run.ok else f" - FAILED (exit code {run.exit_code})"))
            continue
        if run.state == "broken":
            print(f"{run.label}: NOT RUN - its venv could not be built ({run.detail})")
            continue
        if not read_report(run):
            run.failed = 1
            print(f"{run.label}: FAILED - pytest left no report (exit code {run.exit_code}; {run.detail})")
            continue
        run.ok = run.exit_code == 0 and run.failed == 0 and run.errors == 0
        errors = f" ({run.errors} of them errors)" if run.errors else ""
        verdict = "" if run.ok else f" - FAILED (exit code {run.exit_code})"
        print(
            f"{run.label}: {run.passed} passed, {run.failed + run.errors} failed{errors}, "
            f"{run.skipped} skipped; {run.detail}{verdict}"
        )

    by_reason: dict[str, dict[str, int]] = defaultdict(dict)
    for run in runs:
        for reason, count in run.skip_reasons.items():
            by_reason[reason][run.label.split(" ")[0]] = count
    if by_reason:
        print("skipped, by reason (count per run):")
        for reason, where in sorted(by_reason.items(), key=lambda item: -sum(item[1].values())):
            counts = ", ".join(f"{label} {n}" for label, n in where.items())
            print(f"  {reason} [{counts}]")

    passed = sum(r.passed for r in runs)
    failed = sum(r.failed + r.errors for r in runs)
    skipped = sum(r.skipped for r in runs)
    print(f"total: {passed} passed, {failed} failed, {skipped} skipped")
    return 0 if all(r.ok for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
