"""Building a learner's context with the legacy builder, within wall-clock and log limits.

Why the low-level API: `images.build()` buffers the whole log in memory before returning,
so a `RUN yes` would exhaust the worker. Here the stream is read chunk by chunk, its bytes
are counted, and a watchdog thread cuts the connection when the wall clock runs out.
Cutting the connection makes the daemon cancel the build (it kills and removes the step's
container itself); we then force-remove the step containers we saw, in case it did not.
"""

import re
import threading
import time
from collections.abc import Callable

import docker
import requests
import urllib3
from docker.errors import APIError, NotFound
from docker.types.daemon import CancellableStream

from labs.grading.i18n import register
from labs.grading.types import BuildOutcome, Limits

from .context import make_tar
from .faults import api_error_text, is_platform_message

MIB = 1024 * 1024
# After the wall clock, how long we wait for the daemon to finish removing step containers.
REMOVAL_WAIT_SECONDS = 15
# The legacy builder prints these itself. A RUN step could print look-alikes, but a fake
# "Running in <id>" can only name ids the learner cannot know (256-bit random), so at worst
# we try to remove a container that does not exist.
_STEP = re.compile(r"^Step \d+/\d+ : .*")
_RUNNING_IN = re.compile(r"^ ---> Running in ([0-9a-f]{12,64})\s*$")
# A step's resulting image: " ---> <id>" right after the step line (FROM), after
# " ---> Using cache" (a cache hit) or after the step container's removal (a new image).
# A RUN can print look-alikes; at worst that marks some image as recently used, so the
# least-recently-used trim keeps it a little longer, hence only the cap below.
_STEP_IMAGE = re.compile(r"^ ---> ([0-9a-f]{12,64})\s*$")
_BEFORE_STEP_IMAGE = re.compile(
    r"^Step \d+/\d+ : |^ ---> Using cache\s*$|Removing intermediate container [0-9a-f]{12,64}\s*$")
MAX_STEP_IMAGES = 512
_NONZERO = re.compile(r"^The command .* returned a non-zero code: (\d+)$", re.DOTALL)
_PULL_ATTEMPT = re.compile(r"pull access denied|registry-1\.docker\.io|manifest unknown|dial tcp|repository does not exist",
                           re.IGNORECASE)

register({
    "sandbox.build_command_failed": {
        "pt-BR": "O comando terminou com o código de saída {code}; veja o fim do log de build.",
        "en": "The command exited with code {code}; see the end of the build log.",
    },
    "sandbox.build_killed": {
        "pt-BR": "O comando foi encerrado à força (código {code}), em geral por passar do limite de memória "
                 "de {memory_mb} MB do build.",
        "en": "The command was killed (code {code}), usually for going over the build's {memory_mb} MB memory limit.",
    },
    "sandbox.build_error": {
        "pt-BR": "O Docker recusou este passo: {detail}",
        "en": "Docker refused this step: {detail}",
    },
    "sandbox.build_rejected": {
        "pt-BR": "O Docker recusou o Dockerfile: {detail}",
        "en": "Docker refused the Dockerfile: {detail}",
    },
    "sandbox.build_image_missing": {
        "pt-BR": "A imagem pedida não existe no ambiente de avaliação, que não tem acesso a registros de imagens. "
                 "Use uma das imagens base permitidas no laboratório (ou o nome certo do estágio em COPY --from).",
        "en": "The requested image does not exist in the grading sandbox, which cannot reach image registries. "
              "Use one of the base images the lab allows (or the right stage name in COPY --from).",
    },
    "sandbox.build_timeout": {
        "pt-BR": "O build passou do limite de {seconds} s e foi interrompido. Algum comando não termina ou é lento demais.",
        "en": "The build went over its {seconds} s limit and was stopped. Some command does not end or is too slow.",
    },
    "sandbox.build_log_limit": {
        "pt-BR": "O build escreveu mais de {max_kb} KB de log e foi interrompido (log truncado). "
                 "Reduza a saída dos comandos (por exemplo, pip install -q).",
        "en": "The build wrote more than {max_kb} KB of log and was stopped (log truncated). "
              "Make the commands quieter (for example, pip install -q).",
    },
    "sandbox.build_platform": {
        "pt-BR": "Falha da plataforma durante o build (não é culpa sua): {detail}",
        "en": "The platform failed during the build (not your fault): {detail}",
    },
})


class _Watchdog:
    """Closes the build's HTTP response when the wall clock runs out (or when asked).

    The response is captured by a requests hook: docker-py's build generator does not
    expose it, and only closing the socket unblocks a read that waits for a silent RUN."""

    def __init__(self, seconds: float):
        self.fired = threading.Event()
        self.done = threading.Event()
        self.response = None
        self._thread_id = threading.get_ident()
        self._timer = threading.Timer(seconds, self.cancel)
        self._timer.daemon = True

    def hook(self, response, *args, **kwargs):
        # The session is shared by every thread of this client: only keep our own request.
        if threading.get_ident() == self._thread_id and response.request.path_url.split("?")[0].endswith("/build"):
            self.response = response
        return response

    def start(self) -> None:
        self._timer.start()

    def cancel(self) -> None:
        self.fired.set()
        # Until the daemon answers with headers there is nothing to close yet; keep trying.
        while self.response is None and not self.done.is_set():
            time.sleep(0.1)
        self.close()

    def close(self) -> None:
        if self.response is None:
            return
        try:
            CancellableStream(None, self.response).close()
        except Exception:  # noqa: BLE001 - already closed or half-closed: both fine
            pass
        try:
            self.response.close()
        except Exception:  # noqa: BLE001
            pass

    def stop(self) -> None:
        self.done.set()
        self._timer.cancel()


class _Log:
    """The build log, capped at `limit` bytes."""

    def __init__(self, limit: int, on_log: Callable[[str], None] | None):
        self.limit, self.on_log = limit, on_log
        self.parts: list[str] = []
        self.size = 0
        self.truncated = False
        self.pending = ""  # the current, unfinished line (for step parsing)
        self.last_step = ""
        self.container_ids: list[str] = []
        self.step_images: dict[str, None] = {}  # ordered, without repeats
        self._previous = ""

    def add(self, text: str) -> bool:
        """Record text; False once the cap is passed (the caller then stops reading)."""
        data = text.encode("utf-8", "replace")
        if self.size + len(data) > self.limit:
            keep = data[: max(0, self.limit - self.size)].decode("utf-8", "ignore")
            self.truncated = True
            self._record(keep)
            return False
        self._record(text)
        return True

    def _record(self, text: str) -> None:
        if not text:
            return
        self.size += len(text.encode("utf-8", "replace"))
        self.parts.append(text)
        if self.on_log is not None:
            self.on_log(text)
        lines = (self.pending + text).split("\n")
        self.pending = lines.pop()[-4096:]
        for line in lines:
            self._parse(line)

    def _parse(self, line: str) -> None:
        previous, self._previous = self._previous, line
        if _STEP.match(line):
            self.last_step = line.strip()
        elif match := _RUNNING_IN.match(line):
            self.container_ids.append(match.group(1))
        elif (match := _STEP_IMAGE.match(line)) and _BEFORE_STEP_IMAGE.search(previous):
            if len(self.step_images) < MAX_STEP_IMAGES:
                self.step_images[match.group(1)[:12]] = None

    def finish(self) -> None:
        if self.pending:
            self._parse(self.pending)
            self.pending = ""

    @property
    def text(self) -> str:
        return "".join(self.parts)


def run_build(
    client: docker.DockerClient,
    *,
    files: dict[str, bytes],
    tag: str,
    limits: Limits,
    labels: dict[str, str],
    on_log: Callable[[str], None] | None = None,
) -> BuildOutcome:
    started = time.monotonic()
    context = make_tar(files)
    log = _Log(limits.log_bytes, on_log)
    memory = limits.memory_mb * MIB
    image_id, error, early, output_tail = "", None, None, ""
    stopped_for_log = ended = False
    api = client.api
    watchdog = _Watchdog(limits.build_seconds)
    api.hooks["response"].append(watchdog.hook)
    # Started before the request: uploading the context and waiting for the daemon count too.
    watchdog.start()
    try:
        try:
            stream = api.build(
                fileobj=context, custom_context=True, encoding=None, decode=True, tag=tag, labels=labels,
                network_mode="none", rm=True, forcerm=True, pull=False, use_config_proxy=False,
                container_limits={"memory": memory, "memswap": memory, "cpushares": max(2, int(1024 * limits.cpus))},
                # Backstop only: the watchdog ends the build first.
                timeout=limits.build_seconds + 30,
            )
            for chunk in _chunks(stream, watchdog):
                if "errorDetail" in chunk or "error" in chunk:
                    detail = chunk.get("errorDetail") or {}
                    error = str(detail.get("message") or chunk.get("error") or "unknown error")
                    output_tail = log.text[-4000:]  # what the step printed, before the error line
                    log.add(error.rstrip("\n") + "\n")
                    break
                aux = chunk.get("aux")
                if isinstance(aux, dict) and aux.get("ID"):
                    image_id = aux["ID"]
                text = chunk.get("stream")
                if isinstance(text, str) and not log.add(text):
                    stopped_for_log = True
                    break
            else:
                ended = True
        except APIError as exc:
            # Refused before any step ran: 4xx is the Dockerfile (parse error, empty file).
            detail = api_error_text(exc)
            if (exc.status_code or 500) < 500 and not is_platform_message(detail):
                early = ("sandbox.build_rejected", {"detail": detail[:500]}, False)
            else:
                early = ("sandbox.build_platform", {"detail": detail[:500]}, True)
        except (_StreamBroken, requests.exceptions.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            if not watchdog.fired.is_set():
                early = ("sandbox.build_platform", {"detail": f"sandbox daemon unreachable or gone: {exc}"}, True)
    finally:
        # Whatever happened (even on_log raising), stop the timer, let go of the connection
        # (the daemon cancels an unfinished build when it closes) and remove step containers.
        watchdog.stop()
        watchdog.close()
        _remove_hook(api, watchdog.hook)
        log.finish()
        if not (ended and image_id) and log.container_ids:
            _remove_step_containers(api, log.container_ids)

    if watchdog.fired.is_set() and not (ended and image_id):
        return _failed(log, started, "sandbox.build_timeout", {"seconds": limits.build_seconds})
    if early is not None:
        return _failed(log, started, early[0], early[1], platform=early[2])
    if stopped_for_log:
        return _failed(log, started, "sandbox.build_log_limit", {"max_kb": limits.log_bytes // 1000})
    if error is not None:
        return _classify_error(log, started, error, output_tail, limits)
    if not image_id:
        image_id = _image_id_from_log(log.text)
    if not image_id:
        return _failed(log, started, "sandbox.build_platform",
                       {"detail": "the build stream ended without an image or an error"}, platform=True)
    return BuildOutcome(ok=True, image_id=image_id, log=log.text, log_truncated=log.truncated,
                        seconds=time.monotonic() - started, step_images=tuple(log.step_images))


class _StreamBroken(Exception):
    pass


def _chunks(stream, watchdog: _Watchdog):
    """The decoded stream; a read cut by the watchdog ends it quietly, any other broken read
    is reported as _StreamBroken (the daemon went away mid-build)."""
    while True:
        try:
            chunk = next(stream)
        except StopIteration:
            return
        except APIError:
            raise  # an HTTPError too, but it is the daemon's answer, not a broken stream
        except Exception as exc:  # noqa: BLE001
            # Closing the socket under a reading thread surfaces as anything from
            # ProtocolError to ValueError or AttributeError deep in http.client.
            if watchdog.fired.is_set():
                return
            raise _StreamBroken(f"{type(exc).__name__}: {exc}") from exc
        if isinstance(chunk, dict):
            yield chunk


def _classify_error(log: _Log, started: float, error: str, output_tail: str, limits: Limits) -> BuildOutcome:
    if match := _NONZERO.match(error.strip()):
        code = int(match.group(1))
        # A RUN that died of a full disk may have been filled by someone else's build
        # (the data-root is shared): retry rather than blame the learner.
        if "no space left on device" in output_tail.lower():
            return _failed(log, started, "sandbox.build_platform", {"detail": "no space left on device"}, platform=True)
        if code == 137:
            return _failed(log, started, "sandbox.build_killed", {"code": code, "memory_mb": limits.memory_mb})
        return _failed(log, started, "sandbox.build_command_failed", {"code": code})
    if is_platform_message(error):
        return _failed(log, started, "sandbox.build_platform", {"detail": error[:500]}, platform=True)
    if _PULL_ATTEMPT.search(error):
        return _failed(log, started, "sandbox.build_image_missing", {})
    return _failed(log, started, "sandbox.build_error", {"detail": error[:500]})


def _failed(log: _Log, started: float, error_id: str, params: dict, *, platform: bool = False) -> BuildOutcome:
    return BuildOutcome(
        ok=False, log=log.text, log_truncated=log.truncated, error_id=error_id, error_params=params,
        failing_step=log.last_step, platform_fault=platform, seconds=time.monotonic() - started,
        # The steps before the failing one stay in the cache and were used all the same.
        step_images=tuple(log.step_images),
    )


def _image_id_from_log(text: str) -> str:
    # Older daemons do not send the aux message; the last line then names the image.
    for line in reversed(text.splitlines()[-5:]):
        if line.startswith("Successfully built "):
            return line.split()[-1]
    return ""


def _remove_hook(api, hook) -> None:
    try:
        api.hooks["response"].remove(hook)
    except ValueError:
        pass


def _remove_step_containers(api, container_ids: list[str]) -> None:
    """Force-remove the containers this build's steps ran in, then wait until the daemon
    really has: a cancelled step is being removed by the daemon at the same time (409)."""
    pending = []
    for cid in dict.fromkeys(container_ids):
        try:
            api.remove_container(cid, force=True, v=True)
        except NotFound:
            continue
        except (APIError, requests.exceptions.RequestException):
            pending.append(cid)  # removal already in progress, or the daemon is busy
            continue
        pending.append(cid)
    deadline = time.monotonic() + REMOVAL_WAIT_SECONDS
    while pending and time.monotonic() < deadline:
        still = []
        for cid in pending:
            try:
                if api.containers(all=True, filters={"id": cid}):
                    still.append(cid)
                    api.remove_container(cid, force=True, v=True)
            except NotFound:
                continue
            except (APIError, requests.exceptions.RequestException):
                pass
        pending = still
        if pending:
            time.sleep(0.2)
