"""The floor under any server's cold start and memory: a bare Python process that imports
scikit-learn and skops, loads the MLflow-written ``model.skops`` and exits.

No HTTP, no plugin discovery, no schema: whatever a server adds on top of this is its own.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

_LOAD = """
import sys
import skops.io
path = sys.argv[1]
skops.io.load(path, trusted=skops.io.get_untrusted_types(file=path))
rss = pss = 0
for line in open("/proc/self/smaps_rollup"):
    if line.startswith("Rss:"):
        rss = int(line.split()[1])
    elif line.startswith("Pss:"):
        pss = int(line.split()[1])
print(rss / 1024, pss / 1024)
"""


def measure(python: Path, model_dir: Path, samples: int = 3) -> tuple[float, float, float]:
    """(best wall seconds from spawn to exit, RSS MB, PSS MB) of loading the model bare."""
    best = float("inf")
    rss = pss = 0.0
    for _ in range(max(samples, 1)):
        started = time.perf_counter()
        out = subprocess.run(
            [str(python), "-c", _LOAD, str(model_dir / "model.skops")],
            capture_output=True, text=True, check=True, timeout=120,
        )  # fmt: skip
        best = min(best, time.perf_counter() - started)
        rss, pss = (float(x) for x in out.stdout.split())
    return best, rss, pss


if __name__ == "__main__":
    print(measure(Path(sys.executable), Path(sys.argv[1])))
