"""One channel interface: webhooks in (platform → Inbound), replies out (payload → platform)."""

from __future__ import annotations

import asyncio
import json as jsonlib
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from sanic import Blueprint, Sanic
from sanic.response import HTTPResponse, json

from bot.chat_types import Button, Inbound, Reply

if TYPE_CHECKING:
    from bot.pipeline import Arrival

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
    """Tasks kept referenced until done: webhooks are answered once stored, processed after."""

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

    async def accept(
        self,
        app: Sanic | None,
        body: bytes,
        parse: Callable[[dict[str, Any]], Inbound | None],
        what: str,
    ) -> HTTPResponse:
        """Store a verified webhook's message, answer, then triage and reply in the background."""
        try:
            payload = jsonlib.loads(body)
        except ValueError:
            return json({"error": "invalid JSON"}, status=400)
        if has_lone_surrogate(payload):
            log.warning("%s refused: a lone UTF-16 surrogate in its text", what)
            return json({"error": "invalid text (lone UTF-16 surrogate)"}, status=400)
        try:
            inbound = parse(payload) if isinstance(payload, dict) else None
        except (AttributeError, TypeError, ValueError):  # fields of the wrong shape
            log.warning("%s refused: not an event of the expected shape", what)
            return json({"error": "not an event of the expected shape"}, status=400)
        if inbound is None:
            return json({"ok": True})  # an event without a user's message (follow, seen...)
        if app is None:
            return json({"error": "not ready"}, status=503)  # the platform retries later
        return await self.store_then_process(app, inbound, what)

    async def store_then_process(self, app: Sanic, inbound: Inbound, what: str) -> HTTPResponse:
        """Store the message before answering (503 if that failed), then process it."""
        try:
            arrival = await app.ctx.pipeline.store(inbound)
        except Exception as exc:  # the platform retries a message it got no 200 for
            log.error("%s not stored: %s", what, type(exc).__name__)
            return json({"error": "not stored"}, status=503)
        if arrival is not None:
            self.spawn(process(app, arrival), what)
        return json({"ok": True})

    async def idle(self) -> None:
        """Wait until every task started so far (and any it started meanwhile) has ended."""
        while running := [task for task in self.tasks if not task.done()]:
            await asyncio.wait(running)

    async def drain(self, within: float = 5.0) -> None:
        """Wait a little for running tasks at shutdown."""
        if self.tasks:
            await asyncio.wait(list(self.tasks), timeout=within)


class ChannelAdapter(ABC):
    """A messaging platform: its webhook blueprint, its sender, and start/stop hooks."""

    name: str
    background: Background  # the messages it stored and is still answering

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


def has_lone_surrogate(value: object) -> bool:
    """True when parsed JSON holds a lone UTF-16 surrogate (text no database can store)."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(has_lone_surrogate(k) or has_lone_surrogate(v) for k, v in value.items())
    return isinstance(value, list) and any(has_lone_surrogate(v) for v in value)


async def process(app: Sanic, arrival: Arrival) -> None:
    """Triage, route and reply to a stored message, then wake the outbox for its replies."""
    await app.ctx.pipeline.process(arrival)
    app.ctx.outbox_wake()
