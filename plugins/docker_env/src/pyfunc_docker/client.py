"""Talking to the Docker daemon through the Docker SDK: connect, check images, build."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from pyfunc_core.envs import Reporter, stderr_reporter
from pyfunc_core.errors import EnvironmentBuildError, PluginError
from pyfunc_docker.build_log import BuildLog, plain

if TYPE_CHECKING:
    import docker

    from pyfunc_docker.context import BuildContext

#: Labels on every image we build: the context's digest is the cache key of ``serve``.
DIGEST_LABEL = "io.pyfunc.context-digest"
BASE_LABEL = "io.pyfunc.base-image"


def connect() -> docker.DockerClient:
    """A client for the daemon of ``DOCKER_HOST`` (default: the local socket), checked with a ping."""
    try:
        import docker
    except ImportError:
        raise PluginError("The Docker SDK is missing: pip install docker") from None
    try:
        client = docker.from_env(timeout=120)
        client.ping()
    except docker.errors.DockerException as exc:
        raise EnvironmentBuildError(
            f"Cannot reach a Docker daemon ({_first_line(exc)}): start dockerd, or set DOCKER_HOST"
        ) from None
    return client


def image_exists(client: docker.DockerClient, ref: str) -> bool:
    import docker

    try:
        client.images.get(ref)
    except docker.errors.ImageNotFound:
        return False
    except docker.errors.APIError as exc:  # a malformed reference
        raise EnvironmentBuildError(f"Invalid image reference {ref!r}: {_first_line(exc)}") from None
    return True


def ensure_base_image(client: docker.DockerClient, ref: str, *, reporter: Reporter = stderr_reporter) -> None:
    """Make sure ``ref`` is available locally, pulling it when it is not; else a clear error."""
    import docker

    if image_exists(client, ref):
        return
    reporter(f"base image {ref} is not available locally: pulling it")
    try:
        client.images.pull(ref)
    except docker.errors.DockerException as exc:
        raise EnvironmentBuildError(
            f"Base image {ref!r} is not available locally and could not be pulled "
            f"({_first_line(exc)}): build or load it first, or choose another with --base-image"
        ) from None


def build_image(
    client: docker.DockerClient,
    context: BuildContext,
    tag: str,
    *,
    reporter: Reporter = stderr_reporter,
    network_mode: str | None = None,
) -> str:
    """Build ``context`` as ``tag``, reporting every line of build output; the image id.

    A failed build raises one line that starts with the failing step's own error (see
    :class:`~pyfunc_docker.build_log.BuildLog`); its full output was reported already.
    """
    ensure_base_image(client, context.base_image, reporter=reporter)
    labels = {DIGEST_LABEL: context.digest, BASE_LABEL: context.base_image}
    image_id: str | None = None
    log = BuildLog()
    try:
        stream = client.api.build(
            path=str(context.path), tag=tag, rm=True, forcerm=True, pull=False, decode=True,
            labels=labels, network_mode=network_mode,
        )  # fmt: skip
        for chunk in stream:
            image_id = _handle(chunk, reporter, log) or image_id
    except EnvironmentBuildError:
        raise
    except Exception as exc:  # docker.errors.APIError, a dropped connection...
        raise EnvironmentBuildError(f"Building image {tag} failed: {_first_line(exc)}") from None
    if image_id is None:
        image_id = client.images.get(tag).id
    return image_id


def _handle(chunk: dict[str, Any], reporter: Reporter, log: BuildLog) -> str | None:
    if "error" in chunk:
        raise EnvironmentBuildError(f"docker build failed: {log.failure(str(chunk['error']))}")
    text = chunk.get("stream") or chunk.get("status")
    if text:
        for line in plain(str(text)).splitlines():
            if line.strip():
                log.add(line.rstrip())
                reporter(line.rstrip())
    aux = chunk.get("aux")
    if isinstance(aux, dict) and aux.get("ID"):
        return str(aux["ID"])
    return None


def image_tag(model_name: str, digest: str) -> str:
    """``pyfunc-<model name>:<digest prefix>``, lowercased into a valid repository name."""
    slug = re.sub(r"[^a-z0-9._-]+", "-", model_name.lower()).strip("-._") or "model"
    return f"pyfunc-{slug[:60]}:{digest[:16]}"


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "explanation", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
