"""One channel interface: webhooks in (platform → Inbound), replies out (payload → platform)."""

from __future__ import annotations

import asyncio
import json as jsonlib
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from sanic import Blueprint, Sanic
from sanic.response import HTTPResponse, json

from bot.chat_types import Button, Inbound, Reply

log = logging.getLogger("kidsafe.channels")


class SendError(Exception):
    """A send failed; `retry_after` (seconds) when the platform said when to retry."""

    def __init__(
        self,
        reason: str,
        *,
        retry_after: float | None = None,
        permanent: bool = False,
        sent_ids: Iterable[str] = (),
    ) -> None:
        super().__init__(reason)
        self.retry_after = retry_after
        self.permanent = permanent
        self.sent_ids = list(sent_ids)


@dataclass(frozen=True)
class Delivery:
    """One outbox item to deliver: where, what, and the parts already sent on an earlier try."""

    item_id: int
    user_id: int
    address: str
    payload: dict[str, Any]
    sent_ids: tuple[str, ...] = ()

    @property
    def reply(self) -> Reply:
        """The payload as a reply (text and buttons)."""
        return Reply.from_dict(self.payload)


class Sender(Protocol):
    """Sends outbox items on one channel; used only by the outbox worker."""

    channel: str

    @property
    def secrets(self) -> tuple[str, ...]:
        """Strings that must never reach a log (tokens, secrets)."""
        ...

    async def send(self, delivery: Delivery) -> list[str]:
        """Deliver one item; return the platform message ids; raise SendError on failure."""
        ...


@dataclass
class Background:
    """Fire-and-forget tasks kept referenced until done (webhooks answered before processing)."""

    tasks: set[asyncio.Task[Any]] = field(default_factory=set)

    def spawn(self, coroutine: Coroutine[Any, Any, Any], what: str) -> None:
        """Run a coroutine after the HTTP answer; log (without personal data) if it fails."""
        task = asyncio.create_task(coroutine)
        self.tasks.add(task)

        def done(finished: asyncio.Task[Any]) -> None:
            self.tasks.discard(finished)
            if not finished.cancelled() and finished.exception() is not None:
                exc = finished.exception()
                log.error("%s failed: %s", what, type(exc).__name__)

        task.add_done_callback(done)

    def accept(
        self,
        app: Sanic | None,
        body: bytes,
        parse: Callable[[dict[str, Any]], Inbound | None],
        what: str,
    ) -> HTTPResponse:
        """Answer a verified webhook at once and hand its message to the pipeline afterwards."""
        try:
            payload = jsonlib.loads(body)
        except ValueError:
            return json({"error": "invalid JSON"}, status=400)
        inbound = parse(payload) if isinstance(payload, dict) else None
        if inbound is not None and app is not None:
            self.spawn(hand_over(app, inbound), what)
        return json({"ok": True})

    async def drain(self, within: float = 5.0) -> None:
        """Wait a little for running tasks at shutdown."""
        if self.tasks:
            await asyncio.wait(list(self.tasks), timeout=within)


class ChannelAdapter(ABC):
    """A messaging platform: its webhook blueprint, its sender, and start/stop hooks."""

    name: str

    @abstractmethod
    def blueprint(self) -> Blueprint:
        """The webhook routes of this channel."""

    @abstractmethod
    def sender(self) -> Sender:
        """The sender the outbox worker uses for this channel."""

    async def start(self, app: Sanic) -> None:  # noqa: B027 - optional hook
        """Connect to the platform when the server starts."""

    async def stop(self, app: Sanic) -> None:  # noqa: B027 - optional hook
        """Disconnect when the server stops."""


def split_text(text: str, limit: int) -> list[str]:
    """Split a long text at paragraph, line or word boundaries into parts of at most `limit`."""
    text = text.strip()
    parts: list[str] = []
    while len(text) > limit:
        window = text[:limit]
        cut = max(window.rfind("\n\n"), window.rfind("\n"))
        if cut < limit // 2:
            cut = window.rfind(" ")
        if cut < limit // 2:
            cut = limit
        parts.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text or not parts:
        parts.append(text)
    return parts


def buttons_as_text(buttons: Iterable[Button]) -> str:
    """Buttons for a platform without keyboards: a list of titles the user can type back."""
    return "\n".join(f"• {b.title}" for b in buttons)


def scrub(message: str, secrets: Iterable[str]) -> str:
    """Remove tokens and secrets from an error text before it is logged or stored."""
    for secret in secrets:
        if secret:
            message = message.replace(secret, "***")
    return message[:300]


async def hand_over(app: Sanic, inbound: Inbound) -> None:
    """Give an inbound message to the pipeline (which stores it and queues the replies)."""
    await app.ctx.pipeline.handle(inbound)
    app.ctx.outbox_wake()
