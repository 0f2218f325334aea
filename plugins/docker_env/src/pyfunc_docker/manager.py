"""The ``docker`` environment manager: serve a model from its own image."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

from pyfunc_core.envs import Environment, EnvironmentManager, Reporter, stderr_reporter
from pyfunc_core.errors import InvalidParameterError
from pyfunc_docker.dockerfile import VENV

if TYPE_CHECKING:
    from pyfunc_core.model import ModelDirectory

NAME = "docker"


@dataclass
class DockerEnvironment(Environment):
    """A built image; ``python`` is the interpreter inside it."""

    image: str = ""

    def command(self, argv: Sequence[str]) -> list[str]:
        """The ``docker run`` command line equivalent to running ``pyfunc-core *argv`` in the image."""
        return ["docker", "run", "--rm", "--entrypoint", "pyfunc-core", self.image, *argv]


class DockerManager(EnvironmentManager):
    """Build (or reuse, keyed by the build context's content) the model's image; run it.

    ``serve --env-manager docker`` has no build options of its own: the base image, CA
    certificates and pip index come from ``PYFUNC_DOCKER_*`` environment variables
    (see :class:`~pyfunc_docker.options.BuildOptions`).
    """

    name = NAME

    def prepare(self, model_dir: ModelDirectory, *, reporter: Reporter = stderr_reporter) -> Environment:
        from pyfunc_docker.image import build_model_image
        from pyfunc_docker.options import BuildOptions

        image = build_model_image(model_dir, BuildOptions.from_environment(), reuse=True, reporter=reporter)
        return DockerEnvironment(manager=NAME, python=f"{VENV}/bin/python", image=image.tag)

    def run(self, environment: Environment, argv: Sequence[str]) -> int:
        """Run ``pyfunc-core serve`` in a container, published on the requested host address and port."""
        from pyfunc_docker.container import serve_in_container

        if not isinstance(environment, DockerEnvironment):
            raise InvalidParameterError("the docker environment manager runs only environments it prepared")
        if not argv or argv[0] != "serve":
            raise InvalidParameterError(
                f"the docker environment manager runs `pyfunc-core serve` only, not {argv[0] if argv else 'nothing'!r}"
            )
        return serve_in_container(environment.image, list(argv[1:]))
