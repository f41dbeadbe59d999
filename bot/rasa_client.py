"""Client of the internal Rasa servers: one conversation always goes to the same server."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import httpx

from bot.chat_types import Button, Reply


class RasaUnavailable(Exception):
    """Rasa did not answer in time or answered with an error."""


@dataclass(frozen=True)
class RasaAnswer:
    """Rasa's replies to one message, plus its handoff signal if any."""

    replies: list[Reply]
    handoff: dict[str, Any] | None


def pick_server(urls: tuple[str, ...], sender: str) -> str:
    """The Rasa server of a conversation: a stable hash of the sender id."""
    if len(urls) == 1:
        return urls[0]
    digest = hashlib.sha256(sender.encode("utf-8")).digest()
    return urls[int.from_bytes(digest[:8], "big") % len(urls)]


def escape_command(text: str) -> str:
    """Keep a typed leading '/' from being read by Rasa as a hard-coded intent."""
    stripped = text.lstrip()
    return stripped.lstrip("/").lstrip() if stripped.startswith("/") else text


def parse_answer(payload: Any) -> RasaAnswer:
    """Turn the REST channel's JSON into replies and a handoff signal."""
    if not isinstance(payload, list):
        raise RasaUnavailable("unexpected answer from Rasa")
    replies: list[Reply] = []
    handoff: dict[str, Any] | None = None
    for item in payload:
        if not isinstance(item, dict):
            continue
        custom = item.get("custom")
        if isinstance(custom, dict) and isinstance(custom.get("handoff"), dict):
            handoff = custom["handoff"]
        text = item.get("text")
        if isinstance(text, str) and text.strip():
            buttons = tuple(
                Button(str(b.get("title", "")), str(b.get("payload", "")))
                for b in item.get("buttons") or []
                if isinstance(b, dict) and b.get("payload")
            )
            replies.append(Reply(text, buttons))
    return RasaAnswer(replies, handoff)


class RasaClient:
    """Sends messages to Rasa's REST webhook with a time limit."""

    def __init__(self, urls: tuple[str, ...], timeout: float) -> None:
        self.urls = urls
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout, connect=2.0),
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
            trust_env=False,
        )

    async def send(
        self, sender: str, message: str, metadata: dict[str, Any] | None = None
    ) -> RasaAnswer:
        """Send one message of a conversation and return Rasa's answer; `metadata` (e.g. the
        speaker guess, {"speaker": "parent"}) reaches the actions with the message."""
        url = pick_server(self.urls, sender).rstrip("/") + "/webhooks/rest/webhook"
        body: dict[str, Any] = {"sender": sender, "message": message}
        if metadata:
            body["metadata"] = metadata
        try:
            response = await self._http.post(url, json=body)
            response.raise_for_status()
            return parse_answer(response.json())
        except (httpx.HTTPError, ValueError) as exc:
            raise RasaUnavailable(type(exc).__name__) from exc

    async def ready(self) -> bool:
        """Tell whether every Rasa server answers."""
        for url in self.urls:
            try:
                response = await self._http.get(url.rstrip("/") + "/", timeout=2.0)
                if response.status_code != 200:
                    return False
            except httpx.HTTPError:
                return False
        return True

    async def close(self) -> None:
        """Close the HTTP connections."""
        await self._http.aclose()
