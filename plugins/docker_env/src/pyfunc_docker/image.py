"""Building a model's image: write the context in a temporary directory, build it, tidy up."""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pyfunc_core.envs import Reporter, env_root, file_lock, stderr_reporter
from pyfunc_docker.client import build_image, connect, image_exists, image_tag
from pyfunc_docker.context import write_context
from pyfunc_docker.options import BuildOptions

if TYPE_CHECKING:
    from pyfunc_core.model import ModelDirectory


@dataclass(frozen=True)
class BuiltImage:
    """An image for a model: its tag, and whether this call built it."""

    tag: str
    built: bool
    seconds: float


def build_model_image(
    model_dir: ModelDirectory,
    options: BuildOptions,
    *,
    tag: str | None = None,
    reuse: bool = False,
    reporter: Reporter = stderr_reporter,
) -> BuiltImage:
    """Build the serving image of ``model_dir`` as ``tag``.

    Without ``tag`` the image is named from the model and the context's content digest;
    with ``reuse`` an existing image of that name is returned without building, so the
    same model, distributions and options build once (concurrent callers wait on a lock).
    """
    client = connect()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="pyfunc-docker-") as tmp:
        context = write_context(model_dir, Path(tmp) / "context", options, reporter=reporter)
        name = tag or image_tag(model_dir.path.name, context.digest)
        lock = env_root() / ".locks" / f"docker-{context.digest[:16]}.lock"
        with file_lock(lock, reporter=reporter, what=f"image {name}"):
            if reuse and image_exists(client, name):
                reporter(f"reusing image {name}")
                return BuiltImage(name, built=False, seconds=time.perf_counter() - started)
            reporter(f"building image {name} from {context.base_image}")
            build_image(client, context, name, reporter=reporter)
    seconds = time.perf_counter() - started
    reporter(f"image {name} built in {seconds:.1f}s")
    return BuiltImage(name, built=True, seconds=seconds)
