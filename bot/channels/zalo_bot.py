"""Zalo Bot Platform (a Telegram-like Bot API): secret-token webhook in, sendMessage out."""

from __future__ import annotations

import hmac
from typing import Any

import httpx
from sanic import Blueprint, Request, Sanic
from sanic.response import HTTPResponse, json

from bot.channels import base
from bot.chat_types import Inbound
from bot.settings import Settings

CHANNEL = "zalo_bot"
TEXT_LIMIT = 2000
KINDS = {"sticker": "sticker", "photo": "image", "image": "image", "voice": "audio"}


def parse_update(update: dict[str, Any]) -> Inbound | None:
    """A Zalo Bot update (`{"result": {"event_name", "message"}}` or bare) as an Inbound."""
    result = update.get("result") if isinstance(update.get("result"), dict) else update
    assert isinstance(result, dict)
    message = result.get("message")
    if not isinstance(message, dict):
        return None
    sender = message.get("from") or {}
    chat = message.get("chat") or {}
    user_id = str(sender.get("id") or chat.get("id") or "")
    message_id = message.get("message_id")
    if not user_id or not message_id:
        return None
    address = str(chat.get("id") or user_id)
    event = str(result.get("event_name") or "")
    if isinstance(message.get("text"), str) and "text" in (event or "text"):
        return Inbound(CHANNEL, user_id, message["text"], str(message_id), "text", address)
    kind = next((k for key, k in KINDS.items() if key in event or key in message), "other")
    return Inbound(CHANNEL, user_id, "", str(message_id), kind, address)


class ZaloBotAdapter(base.ChannelAdapter):
    """The Zalo Bot Platform channel."""

    name = CHANNEL

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.background = base.Background()
        self.http = httpx.AsyncClient(timeout=10.0)
        self._app: Sanic | None = None

    @property
    def secrets(self) -> tuple[str, ...]:
        """Strings that must never reach a log."""
        return (self.settings.zalo_bot_token, self.settings.zalo_bot_webhook_secret)

    def blueprint(self) -> Blueprint:
        """POST /webhooks/zalo-bot, authenticated by X-Bot-Api-Secret-Token."""
        bp = Blueprint("zalo_bot_webhook")
        bp.add_route(self.webhook, "/webhooks/zalo-bot", methods=["POST"])
        return bp

    async def webhook(self, request: Request) -> HTTPResponse:
        """Check the secret in constant time, answer at once, process afterwards."""
        expected = self.settings.zalo_bot_webhook_secret.encode()
        given = (request.headers.get("X-Bot-Api-Secret-Token") or "").encode()
        if not expected or not hmac.compare_digest(given, expected):
            return json({"error": "forbidden"}, status=403)
        return await self.background.accept(self._app, request.body, parse_update,
                                            "zalo bot update")

    async def start(self, app: Sanic) -> None:
        """Remember the app (pipeline, outbox)."""
        self._app = app

    async def stop(self, app: Sanic) -> None:
        """Finish queued updates and close the HTTP client."""
        await self.background.drain()
        await self.http.aclose()

    def sender(self) -> ZaloBotSender:
        """The sender the outbox worker uses."""
        return ZaloBotSender(self)


class ZaloBotSender:
    """Sends text through sendMessage; buttons become a list the user can type back."""

    channel = CHANNEL

    def __init__(self, adapter: ZaloBotAdapter) -> None:
        self.adapter = adapter
        self.secrets = adapter.secrets

    async def send(self, delivery: base.Delivery) -> list[str]:
        """Send one item; raise SendError on failure."""
        if delivery.payload.get("action"):
            return []
        reply = delivery.reply
        body = reply.text
        if reply.buttons:
            body = f"{body}\n\n{base.buttons_as_text(reply.buttons)}"
        parts = base.split_text(body, TEXT_LIMIT) if body.strip() else []
        settings = self.adapter.settings
        url = f"{settings.zalo_bot_api_base_url}{settings.zalo_bot_token}/sendMessage"
        done, new = list(delivery.sent_ids), list[str]()
        for index in range(len(done), len(parts)):
            try:
                response = await self.adapter.http.post(
                    url, json={"chat_id": delivery.address, "text": parts[index]}
                )
                data = response.json()
            except (httpx.HTTPError, ValueError) as exc:
                reason = base.scrub(type(exc).__name__, self.secrets)
                raise base.SendError(reason, sent_ids=new) from None
            if response.status_code == 429:
                retry = float(((data or {}).get("parameters") or {}).get("retry_after") or 5)
                raise base.SendError("zalo bot 429", retry_after=retry, sent_ids=new)
            if not (isinstance(data, dict) and data.get("ok")):
                code = data.get("error_code") if isinstance(data, dict) else response.status_code
                permanent = response.status_code in (400, 403, 404)
                raise base.SendError(f"zalo bot error {code}", permanent=permanent, sent_ids=new)
            new.append(str((data.get("result") or {}).get("message_id") or ""))
        return done + new
