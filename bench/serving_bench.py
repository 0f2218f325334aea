"""Serving benchmark: ``pyfunc-core serve`` vs ``mlflow models serve`` vs MLServer, same models, same load.

Run from the repository root with the dev venv (it has scikit-learn, waitress and our server):

    .venv/bin/python bench/serving_bench.py                 # everything, ~15-20 minutes
    .venv/bin/python bench/serving_bench.py --quick --only pyfunc,mlflow --models logreg

See bench/README.md for what is measured and how.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import load_floor
import payloads
import peer_envs
import report_tables
import server_procs
import server_specs
import wrk_load
from report_tables import Instance, Results, Run
from server_procs import ServerSpec

HERE = Path(__file__).resolve().parent
SEED = 0
MODELS = ("logreg", "rf")
SERVERS = ("pyfunc", "mlflow", "mlserver", "floor")
# name -> (rows per request, connections)
SCENARIOS: dict[str, tuple[int, int]] = {
    "1row-c1": (1, 1),
    "1row-c8": (1, 8),
    "1row-c64": (1, 64),
    "100row-c8": (100, 8),
    "10krow-c8": (10_000, 8),
}
# A 10,000-row request can take seconds on a slow server: a short run would count none of them.
MIN_DURATION_S = {"10krow-c8": 10.0}
FLOOR_SCENARIOS = ("1row-c1", "1row-c8", "1row-c64")
CHECK_ROWS = 100


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--only", default=",".join(SERVERS), help="servers: pyfunc,mlflow,mlserver,floor")
    p.add_argument("--models", default=",".join(MODELS), help="models: logreg,rf")
    p.add_argument("--scenarios", default=",".join(SCENARIOS), help="subset of " + ",".join(SCENARIOS))
    p.add_argument("--duration", type=float, default=6.0, help="seconds per measured run")
    p.add_argument("--warmup", type=float, default=1.0, help="seconds of the same load before each run")
    p.add_argument("--rounds", type=int, default=2, help="interleaved rounds per scenario (best kept)")
    p.add_argument("--cold-starts", type=int, default=3, help="cold-start samples per server (min kept)")
    p.add_argument(
        "--settle", type=float, default=2.0, help="idle seconds after the load before memory is measured"
    )
    p.add_argument("--quick", action="store_true", help="3 s runs, 1 s warm-ups, 1 round, 1 cold start")
    p.add_argument("--work", type=Path, default=HERE / ".work", help="venvs, models, bodies, logs")
    p.add_argument(
        "--pyfunc-bin", type=Path, default=Path(sys.executable).parent / "pyfunc-core", help="our CLI"
    )
    p.add_argument(
        "--pyfunc-flags", default="", help="our flags for every scenario (default: none, the headline)"
    )
    p.add_argument(
        "--pyfunc-tuned-flags",
        "--pyfunc-batch-flags",
        default="--batch-max-wait-ms 2",
        help="our tuned flags, a second configuration ('' to skip)",
    )
    p.add_argument(
        "--tuned-scenarios",
        "--batch-scenarios",
        default="1row-c8,1row-c64",
        help="scenarios also run with the tuned flags",
    )
    p.add_argument(
        "--profile", type=float, default=0.0, help="py-spy our server for N s under 1-row load (0: off)"
    )
    p.add_argument("--retrain", action="store_true", help="train and save the models again")
    p.add_argument("--json", type=Path, default=None, help="also write the results here as JSON")
    args = p.parse_args(argv)
    if args.quick:
        args.duration, args.warmup, args.rounds, args.cold_starts = 3.0, 1.0, 1, 1
    for attr, allowed in (("only", SERVERS), ("models", MODELS), ("scenarios", SCENARIOS)):
        chosen = [x.strip() for x in getattr(args, attr).split(",") if x.strip()]
        bad = [x for x in chosen if x not in allowed]
        if bad:
            p.error(f"--{attr}: unknown {', '.join(bad)} (choose from {', '.join(allowed)})")
        setattr(args, attr, chosen)
    args.tuned_scenarios = [s for s in args.tuned_scenarios.split(",") if s in args.scenarios]
    return args


def machine_notes() -> str:
    cpu = next(
        (
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if ln.startswith("model name")
        ),
        platform.processor(),
    )
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{time.strftime('%Y-%m-%d %H:%M %Z')}; {os.cpu_count()} cores ({cpu}); "
        f"Python {platform.python_version()}; load average at start {load}; {git_state()}"
    )


def git_state() -> str:
    """The commit measured, and whether our server/flavor had uncommitted changes."""

    def git(*a: str) -> str:
        try:
            proc = subprocess.run(["git", *a], cwd=HERE, capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            return ""
        return proc.stdout.strip()

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git(
        "status",
        "--porcelain",
        "--untracked-files=no",
        "--",
        "../plugins/scoring_server",
        "../plugins/sklearn",
    )
    return f"commit {head}" + (" + uncommitted plugin changes" if dirty else "")


def prepare_models(args: argparse.Namespace, mlflow_python: Path) -> Path:
    """Train + save once (in the MLflow venv); reused by later runs unless --retrain."""
    models_root = args.work / "models"
    done = models_root / ".done"
    if done.is_file() and not args.retrain:
        return models_root
    models_root.mkdir(parents=True, exist_ok=True)
    print("[models] training and saving with mlflow.sklearn.save_model ...", flush=True)
    proc = subprocess.run(
        [str(mlflow_python), str(HERE / "make_models.py"), str(models_root), str(SEED)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    if proc.returncode != 0:
        raise SystemExit(f"make_models.py failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
    done.write_text(str(SEED))
    return models_root


@dataclass
class Contender:
    """One server configuration under test: how to build its spec, and which scenarios it runs."""

    key: str
    make_spec: Callable[[], ServerSpec]
    model: str
    scenarios: list[str]
    check_data: tuple | None
    cold_starts: list[float] = field(default_factory=list)
    running: server_procs.Running | None = None
    check: str = "-"


def sample_cold_starts(contenders: list[Contender], rounds: int, logs: Path) -> None:
    """Start and stop each contender ``rounds`` times, one at a time, to time it to its first 200."""
    for _ in range(rounds):
        for c in contenders:
            spec = c.make_spec()
            try:
                running = server_procs.start(spec, logs / f"{c.key}-{c.model}-cold.log")
            except RuntimeError as exc:
                print(f"  [{c.key}] failed to start: {exc}", flush=True)
                continue
            server_procs.stop(running.proc)
            c.cold_starts.append(running.cold_start_s)
            print(f"  [{c.key}] {c.model}: cold start {running.cold_start_s:.2f} s", flush=True)


def start_all(contenders: list[Contender], logs: Path) -> list[Contender]:
    """Start every contender (one after the other) and check one response of each."""
    up = []
    for c in contenders:
        spec = c.make_spec()
        print(f"[{c.key}] {c.model}: {shlex.join(spec.cmd)}", flush=True)
        try:
            c.running = server_procs.start(spec, logs / f"{c.key}-{c.model}.log")
        except RuntimeError as exc:
            print(f"  FAILED to start: {exc}", flush=True)
            continue
        c.cold_starts.append(c.running.cold_start_s)
        print(f"  cold start {c.running.cold_start_s:.2f} s", flush=True)
        if c.check_data is not None:
            c.check = payloads.check(spec.infer_url, spec.protocol, *c.check_data)
            print(f"  response check: {c.check}", flush=True)
        up.append(c)
    return up


def drive_rounds(up: list[Contender], scenarios: list[str], ctx, results: Results) -> None:
    """For each scenario, load the contenders in turn, ``rounds`` times; keep each one's best round.

    Interleaving spreads the background load of this shared machine over every contender alike.
    """
    bodies, lua_dir, wrk, args = ctx
    for sc in scenarios:
        rows, conns = SCENARIOS[sc]
        best: dict[str, Run] = {}
        for _ in range(args.rounds):
            for c in up:
                if sc not in c.scenarios:
                    continue
                spec = c.running.spec
                body = bodies[(spec.protocol, rows)]
                lua = wrk_load.write_lua(lua_dir / f"{body.stem}.lua", body)
                duration = max(args.duration, MIN_DURATION_S.get(sc, 0.0))
                try:
                    if args.warmup > 0:
                        wrk_load.run(wrk, spec.infer_url, lua, conns, args.warmup)
                    cpu_before = server_procs.tree_cpu_seconds(c.running.proc.pid)
                    r = wrk_load.run(wrk, spec.infer_url, lua, conns, duration)
                    cpu_s = server_procs.tree_cpu_seconds(c.running.proc.pid) - cpu_before
                except (RuntimeError, subprocess.TimeoutExpired) as exc:
                    print(f"  {c.key:12s} {c.model:6s} {sc:10s} load failed: {exc}", flush=True)
                    continue
                run = Run(
                    spec.server, spec.label, c.model, sc, rows, conns, r.ok_per_s, r.p50_ms,
                    r.p99_ms, r.errors, r.requests, cpu_s,
                )  # fmt: skip
                print(
                    f"  {c.key:12s} {c.model:6s} {sc:10s} {run.req_s:9,.1f} req/s "
                    f"{run.rows_s:12,.0f} rows/s  p50 {run.p50_ms:8.2f} ms  p99 {run.p99_ms:8.2f} ms"
                    f"  errors {run.errors}  CPU {run.cpu_ms_per_req or 0:.3f} ms/req",
                    flush=True,
                )
                if c.key not in best or run.req_s > best[c.key].req_s:
                    best[c.key] = run
        results.runs.extend(best[c.key] for c in up if c.key in best)


def bench_group(contenders: list[Contender], ctx, results: Results) -> None:
    """Cold starts, then all contenders up at once and loaded in turn, then memory, then stop."""
    args = ctx[-1]
    logs = args.work / "logs"
    if args.cold_starts > 1:
        print("[cold starts]", flush=True)
        sample_cold_starts(contenders, args.cold_starts - 1, logs)
    up = start_all(contenders, logs)
    try:
        scenarios = [s for s in SCENARIOS if any(s in c.scenarios for c in up)]
        drive_rounds(up, scenarios, ctx, results)
        time.sleep(args.settle)  # every server gets the same idle moment before its memory is read
        for c in up:
            spec = c.running.spec
            rss, pss = server_procs.tree_memory_mb(c.running.proc.pid)
            print(f"  [{c.key}] {c.model}: RSS {rss:,.0f} MB, PSS {pss:,.0f} MB", flush=True)
            cold = min(c.cold_starts)
            results.instances.append(
                Instance(spec.server, spec.label, c.model, cold, rss, pss, c.check, c.cold_starts)
            )
    finally:
        for c in up:
            server_procs.stop(c.running.proc)


def estimator_predict(models_root: Path, model_names: list[str]) -> dict:
    """The estimators' own predict times and answers, from a child process (see estimator_predict.py)."""
    out = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("estimator_predict.py")), str(models_root),
         str(models_root / "data.npz"), str(CHECK_ROWS), *model_names],
        capture_output=True, text=True, check=True, timeout=600,
    )  # fmt: skip
    return json.loads(out.stdout)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    import numpy as np

    for sub in ("venvs", "logs", "bodies", "lua"):
        (args.work / sub).mkdir(parents=True, exist_ok=True)
    notes = machine_notes()
    print(f"[bench] {notes}", flush=True)
    wrk = wrk_load.ensure_wrk()
    venvs = args.work / "venvs"
    env_log = args.work / "logs" / "venvs.log"
    mlflow_python = peer_envs.ensure_venv(venvs, "mlflow", env_log)
    mlserver_python = peer_envs.ensure_venv(venvs, "mlserver", env_log) if "mlserver" in args.only else None
    models_root = prepare_models(args, mlflow_python)
    X = np.load(models_root / "data.npz")["X"]
    sizes = sorted({SCENARIOS[s][0] for s in args.scenarios} | {1})
    bodies = payloads.write_bodies(args.work / "bodies", X, sizes)
    ctx = (bodies, args.work / "lua", wrk, args)

    # Our skops cache starts empty, so our first cold start of each model is a first-ever one.
    pyfunc_cache = args.work / "pyfunc-cache"
    shutil.rmtree(pyfunc_cache, ignore_errors=True)
    results = Results()
    estimators = estimator_predict(models_root, args.models)
    results.predict_ms = {
        m: {int(rows): ms for rows, ms in by_rows.items()} for m, by_rows in estimators["predict_ms"].items()
    }
    for model in args.models:
        results.load_floor[model] = load_floor.measure(
            Path(sys.executable), models_root / "mlflow" / model, args.cold_starts
        )
    check_rows = X[:CHECK_ROWS]
    if "pyfunc" in args.only and not args.pyfunc_bin.exists():
        print(f"[pyfunc] {args.pyfunc_bin} not found: skipped", flush=True)
        args.only.remove("pyfunc")
    for i, model in enumerate(args.models):
        check_data = (check_rows, estimators["expected"][model])
        mlflow_dir = models_root / "mlflow" / model
        mls_dir = models_root / "mlserver" / model
        group: list[Contender] = []
        if "pyfunc" in args.only:
            flags = shlex.split(args.pyfunc_flags)
            group.append(Contender(
                "pyfunc", partial(server_specs.pyfunc, args.pyfunc_bin, mlflow_dir, flags, pyfunc_cache),
                model, args.scenarios, check_data,
            ))  # fmt: skip
            if args.pyfunc_tuned_flags.strip() and args.tuned_scenarios:
                tflags = shlex.split(args.pyfunc_tuned_flags)
                group.append(Contender(
                    "pyfunc-tuned", partial(server_specs.pyfunc, args.pyfunc_bin, mlflow_dir, tflags, pyfunc_cache),
                    model, args.tuned_scenarios, check_data,
                ))  # fmt: skip
        if "mlflow" in args.only:
            group.append(Contender(
                "mlflow", partial(server_specs.mlflow, mlflow_python, mlflow_dir),
                model, args.scenarios, check_data,
            ))  # fmt: skip
        if "mlserver" in args.only:
            group.append(Contender(
                "mlserver", partial(server_specs.mlserver, mlserver_python, mls_dir, model),
                model, args.scenarios, check_data,
            ))  # fmt: skip
        if "floor" in args.only and i == 0:
            floor_scenarios = [s for s in FLOOR_SCENARIOS if s in args.scenarios]
            group.append(Contender("floor", server_specs.floor, "none", floor_scenarios, None))
        bench_group(group, ctx, results)
    report = render(results, args, notes)
    if args.profile > 0 and "pyfunc" in args.only:
        report += "\n\n" + run_profile(args, models_root, bodies, wrk, env_log)
    print("\n" + report)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (args.work / f"report-{stamp}.md").write_text(report + "\n")
    json_path = args.json or args.work / f"results-{stamp}.json"
    json_path.write_text(json.dumps({"notes": notes, **asdict(results)}, indent=2))
    print(f"\n[bench] report: {args.work / f'report-{stamp}.md'}; JSON: {json_path}")
    return 0


def run_profile(args: argparse.Namespace, models_root: Path, bodies, wrk: str, env_log: Path) -> str:
    import profile_ours

    py_spy = peer_envs.ensure_venv(args.work / "venvs", "tools", env_log).parent / "py-spy"
    model = args.models[0]
    spec = server_specs.pyfunc(
        args.pyfunc_bin, models_root / "mlflow" / model, shlex.split(args.pyfunc_flags)
    )
    print(f"[profile] {model}, 1-row requests at concurrency 8, {args.profile:g} s", flush=True)
    out = args.work / "logs" / f"profile-{model}"
    summary = profile_ours.profile(spec, bodies[("mlflow", 1)], wrk, py_spy, args.profile, out)
    return f"### Profile of our server ({model}, {spec.label}, 1-row c8, py-spy)\n\n```\n{summary}\n```"


def render(results: Results, args: argparse.Namespace, notes: str) -> str:
    parts = [
        f"Run: {notes}. Each run {args.duration:g} s after a {args.warmup:g} s warm-up; "
        f"wrk, 1 thread, on 127.0.0.1; all servers of a model up at once and loaded in turn, "
        f"{args.rounds} round(s) per scenario, best round kept; cold start: best of "
        f"{args.cold_starts} start(s). req/s counts 2xx responses only.",
        "### Runs\n\n" + report_tables.runs_table(results),
        f"### Server instances (memory after the load, once idle for {args.settle:g} s)\n\n"
        + report_tables.instances_table(results),
    ]
    if any(r.server == "pyfunc" for r in results.runs):
        defaults = report_tables.DEFAULTS if not args.pyfunc_flags.strip() else args.pyfunc_flags.strip()
        parts.append(
            f"### Ours ÷ peers, every server with its defaults (ours: {defaults})\n\n"
            + report_tables.ratios_table(results, args.scenarios, defaults)
        )
        if args.pyfunc_tuned_flags.strip() and args.tuned_scenarios:
            tuned = " ".join(shlex.split(args.pyfunc_tuned_flags))
            parts.append(
                f"### Ours with tuned flags ({tuned}) ÷ peers with their defaults\n\n"
                + report_tables.ratios_table(results, args.tuned_scenarios, tuned)
            )
        parts.append("### Targets of issue 15 (defaults)\n\n" + report_tables.targets_table(results))
    parts.append(
        "### Throughput per core (req/s ÷ CPU-seconds of the server's process tree)\n\n"
        + report_tables.per_core_table(results)
    )
    parts.append("### Cold start against the bare load\n\n" + report_tables.cold_start_table(results))
    parts.append("### Floor\n\n" + report_tables.floor_table(results))
    return "\n\n".join(parts)


if __name__ == "__main__":
    sys.exit(main())
