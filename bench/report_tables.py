"""The benchmark's results and the Markdown tables printed from them: runs, instances, ratios, targets."""

from __future__ import annotations

from dataclasses import dataclass, field

PEERS = ("mlflow", "mlserver")
#: The label of our server run with no flags at all (``server_specs.pyfunc``): the headline.
DEFAULTS = "(defaults)"


@dataclass
class Run:
    server: str
    label: str
    model: str
    scenario: str
    rows: int
    connections: int
    req_s: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int
    cpu_s: float = 0.0  # CPU seconds the server's process tree used during the measured run

    @property
    def rows_s(self) -> float:
        return self.req_s * self.rows

    @property
    def ok_requests(self) -> int:
        return max(self.requests - self.errors, 0)

    @property
    def cpu_ms_per_req(self) -> float | None:
        """Server CPU per successful request (all its processes), in ms."""
        return 1000 * self.cpu_s / self.ok_requests if self.cpu_s and self.ok_requests else None

    @property
    def req_per_cpu_s(self) -> float | None:
        """Throughput per core: successful requests per CPU-second the server used."""
        return self.ok_requests / self.cpu_s if self.cpu_s and self.ok_requests else None


@dataclass
class Instance:
    server: str
    label: str
    model: str
    cold_start_s: float
    rss_mb: float
    pss_mb: float
    check: str
    cold_starts: list[float] = field(default_factory=list)


@dataclass
class Results:
    runs: list[Run] = field(default_factory=list)
    instances: list[Instance] = field(default_factory=list)
    predict_ms: dict[str, dict[int, float]] = field(default_factory=dict)  # model -> rows -> ms
    load_floor: dict[str, tuple[float, float, float]] = field(default_factory=dict)  # s, RSS, PSS

    def best(self, server: str, model: str, scenario: str, label: str | None = None) -> Run | None:
        """The server's best successful requests/s in a scenario over the configurations it ran
        with (only the one labelled ``label`` when given)."""
        runs = [
            r
            for r in self.runs
            if (r.server, r.model, r.scenario) == (server, model, scenario) and label in (None, r.label)
        ]
        return max(runs, key=lambda r: r.req_s, default=None)

    def ours(self, model: str, scenario: str, label: str | None = DEFAULTS) -> Run | None:
        """Our run with the given flags (default: none at all)."""
        return self.best("pyfunc", model, scenario, label)

    def instance(self, server: str, model: str, label: str | None = None) -> Instance | None:
        """The server's first instance for a model (with ``label``'s flags when given)."""
        return next(
            (
                i
                for i in self.instances
                if (i.server, i.model) == (server, model) and label in (None, i.label)
            ),
            None,
        )


def _models(res: Results) -> list[str]:
    return sorted({r.model for r in res.runs if r.server == "pyfunc"})


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _num(value: float | None, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


def _ratio(a: float | None, b: float | None) -> str:
    if not a or not b:
        return "-"
    return f"{a / b:.2f}x"


def runs_table(res: Results) -> str:
    order = {s: i for i, s in enumerate(("pyfunc", "mlflow", "mlserver", "floor"))}
    runs = sorted(res.runs, key=lambda r: (r.model == "none", r.model, order.get(r.server, 9)))
    rows = [
        [
            r.server,
            r.label,
            r.model,
            r.scenario,
            f"{r.req_s:,.0f}",
            f"{r.rows_s:,.0f}",
            f"{r.p50_ms:.2f}" if r.requests else "n/a",
            f"{r.p99_ms:.2f}" if r.requests else "n/a",
            str(r.errors),
            _num(r.cpu_ms_per_req, ".3f"),
            _num(r.req_per_cpu_s, ",.0f"),
        ]
        for r in runs
    ]
    header = ["server", "flags", "model", "scenario", "req/s", "rows/s", "p50 ms", "p99 ms", "errors",
              "server CPU ms/req", "req/s per CPU-s"]  # fmt: skip
    return _table(header, rows)


def instances_table(res: Results) -> str:
    rows = [
        [
            i.server,
            i.label,
            i.model,
            f"{i.cold_starts[0]:.2f}" if i.cold_starts else "-",
            f"{i.cold_start_s:.2f}",
            f"{i.rss_mb:,.0f}",
            f"{i.pss_mb:,.0f}",
            i.check,
        ]
        for i in res.instances
    ]
    header = ["server", "flags", "model", "first start s", "cold start s (best)", "RSS MB", "PSS MB",
              "response check"]  # fmt: skip
    return _table(header, rows)


def ratios_table(res: Results, scenarios: list[str], label: str = DEFAULTS) -> str:
    """Ours (run with ``label``'s flags) against each peer with its defaults; the instance rows
    (cold start, memory) for the defaults only."""
    rows = []
    for model in _models(res):
        for sc in scenarios:
            ours = res.ours(model, sc, label)
            if ours is None:
                continue
            peers = {p: res.best(p, model, sc) for p in PEERS}
            row = [model, sc, ours.label, f"{ours.req_s:,.0f}"]
            row += [_ratio(ours.req_s, peers[p].req_s if peers[p] else None) for p in PEERS]
            row += [f"{ours.p99_ms:.2f}"]
            row += [_ratio(ours.p99_ms, peers[p].p99_ms if peers[p] else None) for p in PEERS]
            rows.append(row)
        ours_i = res.instance("pyfunc", model, DEFAULTS)
        if ours_i and label == DEFAULTS:
            for what, attr in (("cold start", "cold_start_s"), ("RSS", "rss_mb"), ("PSS", "pss_mb")):
                row = [model, what, ours_i.label, f"{getattr(ours_i, attr):,.2f}"]
                for p in PEERS:
                    peer_i = res.instance(p, model)
                    row.append(_ratio(getattr(ours_i, attr), getattr(peer_i, attr) if peer_i else None))
                rows.append([*row, "", "", ""])
    header = [
        "model", "scenario", "ours: flags", "ours req/s (or value)", "x MLflow", "x MLServer",
        "ours p99 ms", "p99 ÷ MLflow", "p99 ÷ MLServer",
    ]  # fmt: skip
    return _table(header, rows)


def targets_table(res: Results) -> str:
    """Issue 15's targets, every server with its defaults (ours: no flags), as measured in this run."""
    rows = []

    def add(name: str, value: float | None, goal: str, met: bool | None) -> None:
        shown = "-" if value is None else f"{value:.2f}"
        rows.append([name, goal, shown, "-" if met is None else ("yes" if met else "NO")])

    def vs(model: str, sc: str, peer: str, attr: str) -> float | None:
        ours, other = res.ours(model, sc), res.best(peer, model, sc)
        a, b = (getattr(ours, attr), getattr(other, attr)) if ours and other else (None, None)
        return a / b if a and b else None

    floor_cpu = {r.scenario: r.cpu_ms_per_req for r in res.runs if r.server == "floor"}
    for model in _models(res):
        goal = 5.0 if model == "rf" else 3.0
        for sc in ("1row-c8", "1row-c64"):
            v = vs(model, sc, "mlserver", "req_s")
            if model == "logreg" or sc == "1row-c64":
                add(f"{model} {sc} req/s ÷ MLServer", v, f"≥ {goal:g}", None if v is None else v >= goal)
        v = vs(model, "10krow-c8", "mlserver", "rows_s")
        add(f"{model} 10krow-c8 rows/s ÷ MLServer", v, "≥ 2", None if v is None else v >= 2)
        v = vs(model, "1row-c1", "mlserver", "p99_ms")
        add(f"{model} 1row-c1 p99 ÷ MLServer", v, "≤ 0.5", None if v is None else v <= 0.5)
        v = vs(model, "1row-c64", "mlserver", "p99_ms")
        add(f"{model} 1row-c64 p99 ÷ MLServer", v, "< 1", None if v is None else v < 1)
        for sc in SCENARIO_ORDER:
            for peer in PEERS:
                v = vs(model, sc, peer, "req_s")
                if v is not None and v < 1:
                    add(f"{model} {sc} req/s ÷ {peer} (slower than a peer)", v, "≥ 1", False)
        if model == "logreg":
            for sc in ("1row-c1", "1row-c8", "1row-c64"):
                ours = res.ours(model, sc)
                v = (
                    ours.cpu_ms_per_req / floor_cpu[sc]
                    if ours and ours.cpu_ms_per_req and floor_cpu.get(sc)
                    else None
                )
                add(
                    f"logreg {sc} server CPU/request ÷ bare waitress", v, "≤ 3", None if v is None else v <= 3
                )
        ours_i, floor = res.instance("pyfunc", model, DEFAULTS), res.load_floor.get(model)
        if ours_i:
            later = min(ours_i.cold_starts[1:] or ours_i.cold_starts)
            v = later / floor[0] if floor else None
            add(
                f"{model} cold start (later starts) ÷ bare load",
                v,
                "≤ 1.15",
                None if v is None else v <= 1.15,
            )
            peer_i = res.instance("mlserver", model)
            v = ours_i.cold_start_s / peer_i.cold_start_s if peer_i else None
            add(f"{model} cold start ÷ MLServer", v, "≤ 0.3", None if v is None else v <= 0.3)
            v = ours_i.pss_mb / peer_i.pss_mb if peer_i and peer_i.pss_mb else None
            add(f"{model} PSS ÷ MLServer", v, "≤ 0.5", None if v is None else v <= 0.5)
    return _table(["target", "goal", "measured", "met"], rows)


SCENARIO_ORDER = ("1row-c1", "1row-c8", "1row-c64", "100row-c8", "10krow-c8")


def per_core_table(res: Results) -> str:
    """Throughput per core: each server's successful requests per CPU-second of its process tree,
    and its CPU per request (ours with its defaults and tuned flags; the bare waitress floor too)."""
    rows = []
    order = {s: i for i, s in enumerate(("pyfunc", "mlflow", "mlserver", "floor"))}
    runs = sorted(res.runs, key=lambda r: (r.model == "none", r.model, SCENARIO_ORDER.index(r.scenario)
                                           if r.scenario in SCENARIO_ORDER else 9, order.get(r.server, 9)))  # fmt: skip
    for r in runs:
        if r.cpu_s:
            rows.append([r.model, r.scenario, r.server, r.label, f"{r.req_s:,.0f}", f"{r.cpu_s:.2f}",
                         _num(r.req_per_cpu_s, ",.0f"), _num(r.cpu_ms_per_req, ".3f")])  # fmt: skip
    header = ["model", "scenario", "server", "flags", "req/s", "CPU s used", "req/s per CPU-s", "CPU ms/req"]
    return _table(header, rows)


def cold_start_table(res: Results) -> str:
    """Cold start against its own floor: the bare load (a Python process that imports skops and
    loads the same file), first-ever start and later starts apart."""
    rows = []
    for i in res.instances:
        floor = res.load_floor.get(i.model)
        if not i.cold_starts or i.server == "floor":
            continue
        first, later = i.cold_starts[0], min(i.cold_starts[1:] or i.cold_starts)
        rows.append([
            i.server, i.label, i.model, f"{first:.2f}", f"{later:.2f}",
            f"{floor[0]:.2f}" if floor else "-", _ratio(first, floor[0] if floor else None),
            _ratio(later, floor[0] if floor else None),
        ])  # fmt: skip
    header = ["server", "flags", "model", "first start s", "later starts s (best)", "bare load s",
              "first ÷ bare load", "later ÷ bare load"]  # fmt: skip
    return _table(header, rows)


def floor_table(res: Results) -> str:
    rows = [
        [
            r.scenario,
            f"{r.req_s:,.0f}",
            f"{r.p50_ms:.2f}",
            f"{r.p99_ms:.2f}",
            str(r.errors),
            _num(r.cpu_ms_per_req, ".3f"),
            _num(r.req_per_cpu_s, ",.0f"),
        ]
        for r in res.runs
        if r.server == "floor"
    ]
    header = [
        "bare waitress, 1-row body",
        "req/s",
        "p50 ms",
        "p99 ms",
        "errors",
        "CPU ms/req",
        "req/s per CPU-s",
    ]
    text = _table(header, rows)
    if res.predict_ms:
        prow = [
            [model, *(f"{by_rows.get(n, float('nan')):.3f}" for n in (1, 10_000))]
            for model, by_rows in res.predict_ms.items()
        ]
        text += "\n\n" + _table(["in-process predict", "1 row ms", "10,000 rows ms"], prow)
    if res.load_floor:
        lrow = [
            [model, f"{secs:.2f}", f"{rss:,.0f}", f"{pss:,.0f}"]
            for model, (secs, rss, pss) in res.load_floor.items()
        ]
        header = ["bare load (python: import skops.io, load model.skops, exit)", "s", "RSS MB", "PSS MB"]
        text += "\n\n" + _table(header, lrow)
    return text
