"""Zalo Official Account API v3: signed webhook in, consultation ("cs") messages out."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json as jsonlib
import logging
import math
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import httpx
from sanic import Blueprint, Request, Sanic
from sanic.response import HTTPResponse, json

from bot.channels.base import (
    Background,
    ChannelAdapter,
    Delivery,
    SendError,
    buttons_as_text,
    scrub,
    split_text,
)
from bot.chat_types import Inbound
from bot.settings import Settings
from bot.storage.models import ChannelToken, as_utc, utcnow

log = logging.getLogger("kidsafe.channels.zalo")

CHANNEL = "zalo"
TEXT_LIMIT = 2000
MAX_BUTTONS = 5
REFRESH_AHEAD = timedelta(minutes=30)
KINDS = {
    "user_send_image": "image",
    "user_send_gif": "image",
    "user_send_sticker": "sticker",
    "user_send_audio": "audio",
    "user_send_video": "file",
    "user_send_file": "file",
    "user_send_link": "other",
    "user_send_location": "other",
    "user_send_business_card": "other",
}
TOKEN_ERRORS = frozenset({-216, -124, -220})  # access token invalid or expired
HOTLINE = "111"
# A button that opens the phone's dialer on 111 (OA message API button type `oa.open.phone`,
# payload {"phone_code": ...}); under every escalation reply.
CALL_HOTLINE = {"title": "📞 Gọi 111 (miễn phí, 24/7)", "type": "oa.open.phone",
                "payload": {"phone_code": HOTLINE}}
CALL_HOTLINE_KINDS = frozenset({"escalation"})


def signature(app_id: str, raw_body: bytes, timestamp: str, secret_key: str) -> str:
    """Zalo's event signature: hex SHA-256 of app id + raw body + timestamp + OA secret key."""
    digest = hashlib.sha256()
    digest.update(app_id.encode() + raw_body + timestamp.encode() + secret_key.encode())
    return digest.hexdigest()


def verify(app_id: str, raw_body: bytes, header: str | None, secret_key: str) -> int:
    """200 when the X-ZEvent-Signature header is right, 401 when missing, 403 when wrong."""
    if not header:
        return 401
    given = header.strip()
    given = given[4:] if given.lower().startswith("mac=") else given
    try:
        timestamp = str(jsonlib.loads(raw_body).get("timestamp", ""))
    except (ValueError, AttributeError):
        return 403
    expected = signature(app_id, raw_body, timestamp, secret_key)
    ok = hmac.compare_digest(given.lower().encode(), expected.encode())
    return 200 if ok and secret_key else 403


def event_age_problem(raw_body: bytes, now: float, window: float) -> str | None:
    """Why a signed event is refused for its time (ms in its body, signed), or None if fresh."""
    try:
        stamp = float(jsonlib.loads(raw_body).get("timestamp")) / 1000.0
    except (ValueError, TypeError, AttributeError):
        return "event without a timestamp"
    if not math.isfinite(stamp) or abs(now - stamp) > window:
        return "event too old" if math.isfinite(stamp) and stamp < now else "event time invalid"
    return None


class ZaloTokens:
    """The OA access token, refreshed with the (single-use) refresh token before it expires."""

    ACCESS, REFRESH = "zalo_oa_access", "zalo_oa_refresh"

    def __init__(self, settings: Settings, http: httpx.AsyncClient) -> None:
        self.settings = settings
        self.http = http
        self.access = settings.zalo_oa_access_token
        self.refresh_token = settings.zalo_oa_refresh_token
        self.expires_at: datetime | None = None
        self._lock = asyncio.Lock()
        self._app: Sanic | None = None

    async def load(self, app: Sanic) -> None:
        """Prefer tokens refreshed earlier (kept sealed in the database) over the settings."""
        self._app = app
        async with app.ctx.db.session() as session:
            access = await session.get(ChannelToken, self.ACCESS)
            refresh = await session.get(ChannelToken, self.REFRESH)
            if access is not None:
                self.access = app.ctx.privacy.open(access.value)
                self.expires_at = as_utc(access.expires_at) if access.expires_at else None
            if refresh is not None:
                self.refresh_token = app.ctx.privacy.open(refresh.value)

    def due(self) -> bool:
        """True when the access token expires soon (or was never refreshed and can be)."""
        if not self.refresh_token:
            return False
        return self.expires_at is not None and self.expires_at - utcnow() < REFRESH_AHEAD

    async def refresh(self) -> bool:
        """Exchange the refresh token for new tokens (OAuth v4) and keep them."""
        async with self._lock:
            if not self.refresh_token:
                return False
            url = self.settings.zalo_oauth_base_url.rstrip("/") + "/v4/oa/access_token"
            try:
                response = await self.http.post(
                    url,
                    data={
                        "app_id": self.settings.zalo_app_id,
                        "grant_type": "refresh_token",
                        "refresh_token": self.refresh_token,
                    },
                    headers={"secret_key": _app_secret(self.settings)},
                )
                data = response.json()
            except (httpx.HTTPError, ValueError) as exc:
                log.warning("zalo token refresh failed: %s", type(exc).__name__)
                return False
            if not isinstance(data, dict) or not data.get("access_token"):
                log.error("zalo token refresh refused (error %s)", _get(data, "error"))
                return await self._reload_if_refreshed_elsewhere()
            self.access = str(data["access_token"])
            self.refresh_token = str(data.get("refresh_token") or self.refresh_token)
            seconds = int(str(data.get("expires_in") or "3600"))
            self.expires_at = utcnow() + timedelta(seconds=seconds)
            await self._save()
            log.info("zalo access token refreshed; valid %ss", seconds)
            return True

    async def _reload_if_refreshed_elsewhere(self) -> bool:
        """Another worker may have used the single-use refresh token: take its new tokens."""
        if self._app is None:
            return False
        before = self.access
        await self.load(self._app)
        return self.access != before

    async def _save(self) -> None:
        if self._app is None:
            return
        privacy = self._app.ctx.privacy
        async with self._app.ctx.db.session() as session:
            for name, value, expires in (
                (self.ACCESS, self.access, self.expires_at),
                (self.REFRESH, self.refresh_token, None),
            ):
                row = await session.get(ChannelToken, name)
                if row is None:
                    session.add(
                        ChannelToken(name=name, value=privacy.seal(value), expires_at=expires)
                    )
                else:
                    row.value, row.expires_at = privacy.seal(value), expires

    async def keep_fresh(self) -> None:
        """Background loop: refresh ahead of expiry."""
        while True:
            if self.due():
                await self.refresh()
            await asyncio.sleep(60)


def _app_secret(settings: Settings) -> str:
    """The app secret for OAuth (falls back to the OA secret key if no separate setting)."""
    return settings.zalo_app_secret_key or settings.zalo_oa_secret_key


def _get(data: object, key: str) -> object:
    return data.get(key) if isinstance(data, dict) else None


class ZaloOAAdapter(ChannelAdapter):
    """The Zalo Official Account channel."""

    name = CHANNEL

    def __init__(self, settings: Settings, clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.clock = clock
        self.background = Background()
        self.http = httpx.AsyncClient(timeout=10.0)
        self.tokens = ZaloTokens(settings, self.http)
        self._app: Sanic | None = None
        self._refresher: asyncio.Task[None] | None = None

    @property
    def secrets(self) -> tuple[str, ...]:
        """Strings that must never reach a log."""
        return (
            self.settings.zalo_oa_secret_key,
            self.tokens.access,
            self.tokens.refresh_token,
            _app_secret(self.settings),
        )

    def blueprint(self) -> Blueprint:
        """POST /webhooks/zalo, authenticated by X-ZEvent-Signature."""
        bp = Blueprint("zalo_oa_webhook")
        bp.add_route(self.webhook, "/webhooks/zalo", methods=["POST"])
        return bp

    async def webhook(self, request: Request) -> HTTPResponse:
        """Check the signature and the event's age, store the message, answer, then process."""
        status = verify(
            self.settings.zalo_app_id,
            request.body,
            request.headers.get("X-ZEvent-Signature"),
            self.settings.zalo_oa_secret_key,
        )
        if status != 200:
            return json({"error": "unauthorized" if status == 401 else "forbidden"}, status=status)
        stale = event_age_problem(request.body, self.clock(), self.settings.zalo_event_max_age)
        if stale is not None:  # a replayed (or very late) event: refused, nothing stored
            log.warning("zalo event refused: %s", stale)
            return json({"error": stale}, status=403)
        return await self.background.accept(self._app, request.body, parse_event, "zalo event")

    async def start(self, app: Sanic) -> None:
        """Load refreshed tokens and keep them fresh."""
        self._app = app
        await self.tokens.load(app)
        self._refresher = asyncio.create_task(self.tokens.keep_fresh())

    async def stop(self, app: Sanic) -> None:
        """Finish queued events, stop refreshing, close the HTTP client."""
        await self.background.drain()
        if self._refresher is not None:
            self._refresher.cancel()
            await asyncio.gather(self._refresher, return_exceptions=True)
        await self.http.aclose()

    def sender(self) -> ZaloOASender:
        """The sender the outbox worker uses."""
        return ZaloOASender(self)


def parse_event(event: dict[str, Any]) -> Inbound | None:
    """A user's message event as an Inbound; other events (follow, seen...) as None."""
    name = str(event.get("event_name") or "")
    sender = event.get("sender") or {}
    message = event.get("message") or {}
    user_id = str(sender.get("id") or event.get("user_id_by_app") or "")
    if not user_id or not name.startswith("user_send_"):
        return None
    msg_id = message.get("msg_id")
    platform_id = str(msg_id) if msg_id else f"{name}:{user_id}:{event.get('timestamp')}"
    if name == "user_send_text":
        return Inbound(CHANNEL, user_id, str(message.get("text") or ""), platform_id, "text")
    return Inbound(CHANNEL, user_id, "", platform_id, KINDS.get(name, "other"))


class ZaloOASender:
    """Sends consultation messages: text parts, buttons as Zalo query buttons."""

    channel = CHANNEL

    def __init__(self, adapter: ZaloOAAdapter) -> None:
        self.adapter = adapter

    @property
    def secrets(self) -> tuple[str, ...]:
        """Strings that must never reach a log."""
        return self.adapter.secrets

    async def send(self, delivery: Delivery) -> list[str]:
        """Send one item in one or more messages; raise SendError on failure."""
        if delivery.payload.get("action"):
            return []  # nothing to wipe on Zalo: a user deletes the chat in the app
        reply = delivery.reply
        call = [CALL_HOTLINE] if reply.kind in CALL_HOTLINE_KINDS else []
        room = MAX_BUTTONS - len(call)
        buttons = [*call, *({"title": b.title[:100], "type": "oa.query.hide", "payload": b.payload}
                            for b in reply.buttons[:room])]
        body = reply.text
        if len(reply.buttons) > room:
            body = f"{body}\n\n{buttons_as_text(reply.buttons[room:])}"
        parts = split_text(body, TEXT_LIMIT) if body else []
        done, new = list(delivery.sent_ids), list[str]()
        for index in range(len(done), len(parts)):
            message: dict[str, Any] = {"text": parts[index]}
            if index == len(parts) - 1 and buttons:
                message["attachment"] = {"type": "template", "payload": {"buttons": buttons}}
            try:
                new.append(await self._post(delivery.address, message))
            except SendError as exc:
                exc.sent_ids = new
                raise
        return done + new

    async def _post(self, user_id: str, message: dict[str, Any], retried: bool = False) -> str:
        tokens = self.adapter.tokens
        url = self.adapter.settings.zalo_oa_api_base_url.rstrip("/") + "/v3.0/oa/message/cs"
        body = {"recipient": {"user_id": user_id}, "message": message}
        try:
            response = await self.adapter.http.post(
                url, json=body, headers={"access_token": tokens.access}
            )
        except httpx.HTTPError as exc:
            raise SendError(scrub(type(exc).__name__, self.secrets)) from None
        if response.status_code == 429:
            raise SendError("zalo 429", retry_after=float(response.headers.get("Retry-After", 5)))
        if response.status_code >= 500:
            raise SendError(f"zalo HTTP {response.status_code}")
        try:
            data = response.json()
        except ValueError:
            raise SendError(f"zalo HTTP {response.status_code}: not JSON") from None
        error = int(_get(data, "error") or 0)  # type: ignore[call-overload]
        if error == 0:
            message_id = _get(_get(data, "data"), "message_id")
            return str(message_id or "")
        if error in TOKEN_ERRORS and not retried and await tokens.refresh():
            return await self._post(user_id, message, retried=True)
        reason = scrub(f"zalo error {error}: {_get(data, 'message')}", self.secrets)
        # Outside the reply window, blocked, or unknown user: retrying cannot help.
        raise SendError(reason, permanent=error not in TOKEN_ERRORS and error != -32)
