"""Fakes of Zalo's OA API v3 (message/cs, OAuth v4 refresh) and of the Zalo Bot Platform."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from typing import Any

from devtools.fakes.http import FakeHTTPServer, FakeRequest, Response


class FakeZaloOA:
    """openapi.zalo.me and oauth.zaloapp.com on one loopback port."""

    def __init__(self, access_token: str = "oa-access-1", refresh_token: str = "oa-refresh-1",
                 app_secret: str = "zalo-oa-secret") -> None:
        self.access_token = access_token
        self.refresh_token = refresh_token
        self.app_secret = app_secret
        self.messages: list[dict[str, Any]] = []
        self.refreshes: list[dict[str, Any]] = []
        self.failures = 0
        self._next = 0
        self._lock = threading.Lock()
        self.server = FakeHTTPServer(self.handle)

    @property
    def url(self) -> str:
        """ZALO_OA_API_BASE_URL and ZALO_OAUTH_BASE_URL."""
        return self.server.url

    def start(self) -> FakeZaloOA:
        """Start serving."""
        self.server.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        self.server.stop()

    def expire_token(self) -> None:
        """Invalidate the current access token (the next send gets error -216)."""
        self.access_token = "expired-" + self.access_token

    def texts(self, user_id: str) -> list[str]:
        """Texts delivered to a user, in order."""
        return [m["message"].get("text", "") for m in self.messages
                if m["recipient"]["user_id"] == user_id]

    def handle(self, request: FakeRequest) -> Response:
        """Route the two endpoints the gateway uses."""
        if request.path == "/v4/oa/access_token":
            return self._refresh(request)
        if request.path == "/v3.0/oa/message/cs":
            with self._lock:
                if self.failures > 0:
                    self.failures -= 1
                    return 503, {"error": -1, "message": "Service unavailable"}
                if request.headers.get("access_token") != self.access_token:
                    return 200, {"error": -216, "message": "Access token is invalid"}
                body = json.loads(request.body)
                self.messages.append(body)
                self._next += 1
                return 200, {"error": 0, "message": "Success", "data": {
                    "message_id": f"zmsg{self._next}", "user_id": body["recipient"]["user_id"]}}
        return 404, {"error": 404, "message": "not found"}

    def _refresh(self, request: FakeRequest) -> Response:
        params = request.params()
        self.refreshes.append(params)
        if request.headers.get("secret_key") != self.app_secret:
            return 200, {"error": -14002, "error_name": "Invalid secret key"}
        if params.get("grant_type") != "refresh_token" or params.get(
            "refresh_token") != self.refresh_token:
            return 200, {"error": -14014, "error_name": "Invalid refresh token"}
        n = len(self.refreshes)
        self.access_token, self.refresh_token = f"oa-access-{n + 1}", f"oa-refresh-{n + 1}"
        return 200, {"access_token": self.access_token, "refresh_token": self.refresh_token,
                     "expires_in": "90000"}


def zalo_event(app_id: str, user_id: str, text: str | None, msg_id: str,
               event_name: str = "user_send_text", at: float | None = None) -> dict[str, Any]:
    """An OA webhook event as Zalo posts it (sent now, or at `at` seconds since the epoch)."""
    message: dict[str, Any] = {"msg_id": msg_id}
    if text is not None:
        message["text"] = text
    else:
        message["attachments"] = [{"type": "sticker", "payload": {"id": "abc", "url": "x"}}]
    return {"app_id": app_id, "user_id_by_app": "u" + user_id, "event_name": event_name,
            "timestamp": str(int((time.time() if at is None else at) * 1000)),
            "sender": {"id": user_id},
            "recipient": {"id": "oa-1"}, "message": message}


def signed(app_id: str, secret: str, event: dict[str, Any],
           ascii_only: bool = False) -> tuple[bytes, dict[str, str]]:
    """The raw body and headers Zalo would send, with a correct X-ZEvent-Signature."""
    body = json.dumps(event, ensure_ascii=ascii_only).encode()
    digest = hashlib.sha256(app_id.encode() + body + str(event["timestamp"]).encode()
                            + secret.encode()).hexdigest()
    return body, {"X-ZEvent-Signature": f"mac={digest}", "Content-Type": "application/json"}


class FakeZaloBot:
    """The Zalo Bot Platform API (bot-api.zaloplatforms.com): `{base}{token}/sendMessage`."""

    def __init__(self, token: str = "zbot-token-1") -> None:
        self.token = token
        self.messages: list[dict[str, Any]] = []
        self.server = FakeHTTPServer(self.handle)

    @property
    def base_url(self) -> str:
        """ZALO_BOT_API_BASE_URL."""
        return f"{self.server.url}/bot"

    def start(self) -> FakeZaloBot:
        """Start serving."""
        self.server.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        self.server.stop()

    def texts(self, chat_id: str) -> list[str]:
        """Texts delivered to a chat, in order."""
        return [m["text"] for m in self.messages if m["chat_id"] == chat_id]

    def handle(self, request: FakeRequest) -> Response:
        """Only sendMessage (and getMe) are needed."""
        token, _, method = request.path.removeprefix("/bot").partition("/")
        if token != self.token:
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        if method == "sendMessage":
            body = request.params()
            self.messages.append(body)
            return 200, {"ok": True, "result": {"message_id": f"zb{len(self.messages)}",
                                                "date": int(time.time() * 1000)}}
        return 200, {"ok": True, "result": {"id": "1", "account_name": "bot.test"}}


def zalo_bot_update(chat_id: str, text: str | None, message_id: str) -> dict[str, Any]:
    """A Zalo Bot Platform webhook update."""
    message: dict[str, Any] = {"chat": {"id": chat_id, "chat_type": "PRIVATE"},
                               "message_id": message_id, "date": int(time.time() * 1000),
                               "from": {"id": chat_id, "display_name": "Bé"}}
    event = "message.text.received"
    if text is None:
        message["sticker"] = "abc"
        event = "message.sticker.received"
    else:
        message["text"] = text
    return {"ok": True, "result": {"event_name": event, "message": message}}
