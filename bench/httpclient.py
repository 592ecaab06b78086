"""A small HTTP/1.1 client on asyncio streams for the class benchmark: one per simulated
browser, keeping its cookies and its connection as a browser does. Hundreds of them run in
one thread, so the load generator costs little of the cores it shares with the server, and
no thread waits for the interpreter lock before reading its answer (which would count in the
latency it measures).

Only what a Django page served by gunicorn needs: Content-Length or chunked bodies, cookies
by name (one site, one path), a reused connection dropped before the server's keep-alive
(gunicorn's is 2 s) would close it under a request."""

import asyncio
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

# gunicorn closes an idle kept-alive connection after 2 s: a request sent as it does so
# would fail, so a connection idle longer than this is closed and a new one opened.
REUSE_IDLE_SECONDS = 1.5


class HttpError(Exception):
    """No answer: the connection failed, closed early, or the answer took too long."""


@dataclass
class Response:
    status: int
    headers: dict[str, list[str]]
    body: bytes
    seconds: float  # from the first byte sent (a new connection included) to the last byte read
    new_connection: bool

    def header(self, name: str) -> str:
        values = self.headers.get(name.lower())
        return values[-1] if values else ""

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


@dataclass
class Browser:
    host: str
    port: int
    timeout: float = 10.0
    cookies: dict[str, str] = field(default_factory=dict)
    _reader: asyncio.StreamReader | None = None
    _writer: asyncio.StreamWriter | None = None
    _last_used: float = 0.0

    async def get(self, path: str, *, headers: dict[str, str] | None = None) -> Response:
        return await self.request("GET", path, headers=headers)

    async def post(self, path: str, data: dict | list, *, headers: dict[str, str] | None = None) -> Response:
        """A form POST with the CSRF token of the cookie in its header, as htmx and the
        pages' forms send it."""
        body = urlencode(data, doseq=True).encode()
        sent = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-CSRFToken": self.cookies.get("csrftoken", ""),
            **(headers or {}),
        }
        return await self.request("POST", path, headers=sent, body=body)

    async def request(
        self, method: str, path: str, *, headers: dict[str, str] | None = None, body: bytes = b""
    ) -> Response:
        started = time.perf_counter()
        try:
            return await asyncio.wait_for(self._exchange(method, path, headers or {}, body, started), self.timeout)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
            self.close()
            raise HttpError(f"{method} {path}: {type(exc).__name__} {exc}") from exc

    async def _exchange(self, method: str, path: str, headers: dict[str, str], body: bytes, started: float):
        reused = self._writer is not None and time.monotonic() - self._last_used < REUSE_IDLE_SECONDS
        if not reused:
            self.close()
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", "Accept-Language: pt-BR"]
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        if body or method == "POST":
            lines.append(f"Content-Length: {len(body)}")
        lines += [f"{k}: {v}" for k, v in headers.items()]
        assert self._writer is not None and self._reader is not None
        self._writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        await self._writer.drain()
        try:
            status_line = await self._reader.readline()
        except ConnectionResetError:
            status_line = b""
        if not status_line and reused:
            # The server closed the kept-alive connection as the request went out: what a
            # browser does, send it again on a new one (the benchmark's requests may repeat).
            self.close()
            return await self._exchange(method, path, headers, body, started)
        if not status_line:
            raise HttpError("connection closed before an answer")
        status = int(status_line.split()[1])
        answer_headers: dict[str, list[str]] = {}
        while True:
            line = await self._reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            answer_headers.setdefault(name.strip().lower(), []).append(value.strip())
        answer = await self._body(answer_headers)
        for cookie in answer_headers.get("set-cookie", []):
            name, _, rest = cookie.partition("=")
            value = rest.split(";", 1)[0]
            if "max-age=0" in cookie.lower() or not value.strip('"'):
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = value
        delimited = "content-length" in answer_headers or "chunked" in ",".join(
            answer_headers.get("transfer-encoding", [])
        )
        if not delimited or "close" in ",".join(answer_headers.get("connection", [])).lower():
            self.close()
        else:
            self._last_used = time.monotonic()
        return Response(status, answer_headers, answer, time.perf_counter() - started, not reused)

    async def _body(self, headers: dict[str, list[str]]) -> bytes:
        assert self._reader is not None
        if "chunked" in ",".join(headers.get("transfer-encoding", [])).lower():
            chunks = []
            while True:
                size = int((await self._reader.readline()).split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    await self._reader.readline()  # no trailers from gunicorn: the last CRLF
                    return b"".join(chunks)
                chunks.append(await self._reader.readexactly(size))
                await self._reader.readexactly(2)
        length = headers.get("content-length")
        if length:
            return await self._reader.readexactly(int(length[-1]))
        return await self._reader.read()  # no length: the body ends with the connection

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None
