"""A tiny threaded HTTP/1.1 server on 127.0.0.1 for platform fakes (keep-alive, JSON, forms)."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass
class FakeRequest:
    """One request as the fake saw it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    query: dict[str, str] = field(default_factory=dict)

    def params(self) -> dict[str, Any]:
        """JSON body or form fields (python-telegram-bot posts forms with JSON-encoded values)."""
        kind = self.headers.get("content-type", "")
        if "json" in kind and self.body:
            data = json.loads(self.body)
            return data if isinstance(data, dict) else {}
        fields: dict[str, Any] = dict(self.query)
        for key, value in parse_qsl(self.body.decode("utf-8"), keep_blank_values=True):
            try:
                fields[key] = json.loads(value) if value[:1] in "[{" else value
            except ValueError:
                fields[key] = value
        return fields


Response = tuple[int, dict[str, Any] | list[Any] | bool | None]
Handler = Callable[[FakeRequest], Response]


class FakeHTTPServer:
    """Serves `handler` on a free loopback port in its own thread and event loop."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.AbstractServer | None = None
        self._connections: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        """Base URL, without a trailing slash."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeHTTPServer:
        """Start serving."""
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._serve, "127.0.0.1", 0), self._loop
        )
        self._server = future.result(10)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        """Stop serving and end the thread (a second call does nothing)."""
        if not self._thread.is_alive():
            return

        async def close() -> None:
            if self._server is not None:
                self._server.close()
            for task in list(self._connections):
                task.cancel()
            await asyncio.gather(*self._connections, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            while True:
                line = await reader.readline()
                if not line:
                    return
                method, target, _ = line.decode("latin-1").split(" ", 2)
                headers: dict[str, str] = {}
                while True:
                    raw = (await reader.readline()).decode("latin-1")
                    if raw in ("\r\n", "\n", ""):
                        break
                    name, _, value = raw.partition(":")
                    headers[name.strip().lower()] = value.strip()
                length = int(headers.get("content-length", "0") or 0)
                body = await reader.readexactly(length) if length else b""
                parts = urlsplit(target)
                request = FakeRequest(
                    method, parts.path, headers, body, dict(parse_qsl(parts.query))
                )
                try:
                    status, payload = self.handler(request)
                except Exception as exc:  # a bug in a fake shows up as a 500 with its text
                    status, payload = 500, {"ok": False, "description": repr(exc)}
                data = json.dumps(payload).encode()
                writer.write(
                    f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(data)}\r\n\r\n".encode() + data
                )
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, ValueError, asyncio.CancelledError):
            return
        finally:
            self._connections.discard(task)
            writer.close()
