"""The benchmark's results and the Markdown tables printed from them: runs, instances, ratios, targets."""

from __future__ import annotations

from dataclasses import dataclass, field

PEERS = ("mlflow", "mlserver")


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

    @property
    def rows_s(self) -> float:
        return self.req_s * self.rows


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

    def best(self, server: str, model: str, scenario: str) -> Run | None:
        """The server's best successful requests/s in a scenario over the configurations it ran with."""
        runs = [r for r in self.runs if (r.server, r.model, r.scenario) == (server, model, scenario)]
        return max(runs, key=lambda r: r.req_s, default=None)

    def instance(self, server: str, model: str) -> Instance | None:
        """The server's first (default-configuration) instance for a model."""
        return next((i for i in self.instances if (i.server, i.model) == (server, model)), None)


def _models(res: Results) -> list[str]:
    return sorted({r.model for r in res.runs if r.server == "pyfunc"})


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


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
        ]
        for r in runs
    ]
    header = ["server", "flags", "model", "scenario", "req/s", "rows/s", "p50 ms", "p99 ms", "errors"]
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


def ratios_table(res: Results, scenarios: list[str]) -> str:
    rows = []
    for model in _models(res):
        for sc in scenarios:
            ours = res.best("pyfunc", model, sc)
            if ours is None:
                continue
            peers = {p: res.best(p, model, sc) for p in PEERS}
            row = [model, sc, ours.label, f"{ours.req_s:,.0f}"]
            row += [_ratio(ours.req_s, peers[p].req_s if peers[p] else None) for p in PEERS]
            row += [f"{ours.p99_ms:.2f}"]
            row += [_ratio(ours.p99_ms, peers[p].p99_ms if peers[p] else None) for p in PEERS]
            rows.append(row)
        ours_i = res.instance("pyfunc", model)
        if ours_i:
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
    """The issue's targets, each as a ratio measured in this run."""
    rows = []

    def add(name: str, value: float | None, goal: str, met: bool | None) -> None:
        shown = "-" if value is None else f"{value:.2f}"
        rows.append([name, goal, shown, "-" if met is None else ("yes" if met else "NO")])

    def rps_ratio(model: str, sc: str, peer: str, attr: str = "req_s") -> float | None:
        ours, other = res.best("pyfunc", model, sc), res.best(peer, model, sc)
        if not ours or not other or not getattr(other, attr):
            return None
        return getattr(ours, attr) / getattr(other, attr)

    for model in _models(res):
        for sc in ("1row-c8", "1row-c64"):
            goal = 5.0 if (model == "rf" and sc == "1row-c64") else 2.0
            v = rps_ratio(model, sc, "mlserver")
            add(f"{model} {sc} req/s ÷ MLServer", v, f"≥ {goal:g}", None if v is None else v >= goal)
        v = rps_ratio(model, "10krow-c8", "mlserver", "rows_s")
        add(f"{model} 10krow-c8 rows/s ÷ MLServer", v, "≥ 1.2", None if v is None else v >= 1.2)
        for peer in PEERS:
            ours, other = res.best("pyfunc", model, "1row-c1"), res.best(peer, model, "1row-c1")
            v = ours.p99_ms / other.p99_ms if ours and other and other.requests else None
            add(f"{model} 1row-c1 p99 ÷ {peer}", v, "< 1", None if v is None else v < 1)
        ours_i = res.instance("pyfunc", model)
        if ours_i:
            add(f"{model} cold start s (ours)", ours_i.cold_start_s, "< 1.2", ours_i.cold_start_s < 1.2)
            for peer in PEERS:
                peer_i = res.instance(peer, model)
                for attr in ("rss_mb", "pss_mb"):
                    v = getattr(ours_i, attr) / getattr(peer_i, attr) if peer_i else None
                    add(f"{model} {attr[:3].upper()} ÷ {peer}", v, "< 0.5", None if v is None else v < 0.5)
    return _table(["target", "goal", "measured", "met"], rows)


def floor_table(res: Results) -> str:
    rows = [
        [r.scenario, f"{r.req_s:,.0f}", f"{r.p50_ms:.2f}", f"{r.p99_ms:.2f}", str(r.errors)]
        for r in res.runs
        if r.server == "floor"
    ]
    text = _table(["bare waitress, 1-row body", "req/s", "p50 ms", "p99 ms", "errors"], rows)
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
