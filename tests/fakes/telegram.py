"""A fake Telegram Bot API: `{base}{token}/{method}`, answers as Telegram does, records calls."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from devtools.fakes.http import FakeHTTPServer, FakeRequest, Response

BOT_ID = 777000111


@dataclass
class Call:
    """One Bot API call received."""

    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)


@dataclass
class Failure:
    """Answer the next `times` calls of `method` with an error."""

    method: str
    status: int
    times: int
    retry_after: int | None = None


class FakeTelegram:
    """The Bot API on 127.0.0.1; `base_url` is what python-telegram-bot's `base_url` takes."""

    def __init__(self, token: str = "123456:TEST-token-not-real") -> None:
        self.token = token
        self.calls: list[Call] = []
        self.failures: list[Failure] = []
        self.updates: list[dict[str, Any]] = []
        self.webhook: dict[str, Any] = {}
        self.deleted: list[tuple[int, int]] = []
        self._next_id = 1000
        self._lock = threading.Lock()
        self.server = FakeHTTPServer(self.handle)

    @property
    def base_url(self) -> str:
        """The TELEGRAM_API_BASE_URL pointing here."""
        return f"{self.server.url}/bot"

    def start(self) -> FakeTelegram:
        """Start serving."""
        self.server.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        self.server.stop()

    def fail(self, method: str, status: int, times: int, retry_after: int | None = None) -> None:
        """Make the next `times` calls of `method` fail (429 with retry_after, or 5xx)."""
        with self._lock:
            self.failures.append(Failure(method, status, times, retry_after))

    def fail_forever(self, method: str, status: int = 500) -> None:
        """Make every call of `method` fail until `heal()`."""
        self.fail(method, status, 10**9)

    def heal(self) -> None:
        """Stop failing."""
        with self._lock:
            self.failures.clear()

    def sent(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        """Successful sendMessage calls (params), in the order received."""
        return [
            c.params
            for c in list(self.calls)
            if c.method == "sendMessage"
            and c.params.get("_ok")
            and (chat_id is None or int(c.params["chat_id"]) == chat_id)
        ]

    def texts(self, chat_id: int | None = None) -> list[str]:
        """Texts of the messages delivered to a chat, in order."""
        return [str(p["text"]) for p in self.sent(chat_id)]

    def calls_of(self, method: str) -> list[Call]:
        """All calls of a method, failed or not."""
        return [c for c in list(self.calls) if c.method == method]

    def handle(self, request: FakeRequest) -> Response:
        """Route `/bot<token>/<method>` like the Bot API."""
        prefix = "/bot"
        if not request.path.startswith(prefix) or "/" not in request.path[len(prefix):]:
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        token, _, method = request.path[len(prefix):].partition("/")
        if token != self.token:
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        params = request.params()
        call = Call(method, params)
        with self._lock:
            self.calls.append(call)
            failure = next((f for f in self.failures if f.method == method and f.times > 0), None)
            if failure is not None:
                failure.times -= 1
                if failure.status == 429:
                    wait = failure.retry_after or 1
                    return 429, {
                        "ok": False,
                        "error_code": 429,
                        "description": f"Too Many Requests: retry after {wait}",
                        "parameters": {"retry_after": wait},
                    }
                return failure.status, {
                    "ok": False,
                    "error_code": failure.status,
                    "description": "Internal Server Error",
                }
            result = self._result(method, params)
            params["_ok"] = True
            if isinstance(result, dict) and "message_id" in result:
                params["_message_id"] = result["message_id"]
        return 200, {"ok": True, "result": result}

    def _result(self, method: str, params: dict[str, Any]) -> Any:
        now = int(time.time())
        if method == "getMe":
            return {
                "id": BOT_ID, "is_bot": True, "first_name": "Bạn Nhỏ An Toàn",
                "username": "ban_nho_an_toan_bot", "can_join_groups": False,
                "can_read_all_group_messages": False, "supports_inline_queries": False,
            }
        if method == "sendMessage":
            self._next_id += 1
            return {
                "message_id": self._next_id, "date": now, "text": params.get("text", ""),
                "chat": {"id": int(params["chat_id"]), "type": "private"},
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "Bạn Nhỏ An Toàn"},
            }
        if method == "setWebhook":
            self.webhook = dict(params)
            return True
        if method == "deleteWebhook":
            self.webhook = {}
            return True
        if method == "getUpdates":
            updates, self.updates = self.updates, []
            return updates
        if method == "deleteMessages":
            chat = int(params["chat_id"])
            self.deleted.extend((chat, int(i)) for i in params["message_ids"])
            return True
        if method == "deleteMessage":
            self.deleted.append((int(params["chat_id"]), int(params["message_id"])))
            return True
        if method == "getWebhookInfo":
            return {"url": self.webhook.get("url", ""), "has_custom_certificate": False,
                    "pending_update_count": 0}
        return True  # sendChatAction, answerCallbackQuery, setMyCommands, editMessage...


class Updates:
    """Telegram `Update` JSON as the platform posts it to a webhook."""

    def __init__(self, user_id: int = 424242, first_name: str = "Bé") -> None:
        self.user_id = user_id
        self.first_name = first_name
        self._update_id = 500_000 + user_id % 1000 * 1000
        self._message_id = 10

    def _ids(self) -> tuple[int, int]:
        self._update_id += 1
        self._message_id += 1
        return self._update_id, self._message_id

    def _user(self) -> dict[str, Any]:
        return {"id": self.user_id, "is_bot": False, "first_name": self.first_name,
                "language_code": "vi"}

    def _chat(self) -> dict[str, Any]:
        return {"id": self.user_id, "type": "private", "first_name": self.first_name}

    def text(self, text: str) -> dict[str, Any]:
        """A text message (a command if it starts with '/')."""
        update_id, message_id = self._ids()
        message: dict[str, Any] = {
            "message_id": message_id, "date": int(time.time()), "chat": self._chat(),
            "from": self._user(), "text": text,
        }
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return {"update_id": update_id, "message": message}

    def sticker(self) -> dict[str, Any]:
        """A sticker message."""
        update_id, message_id = self._ids()
        return {"update_id": update_id, "message": {
            "message_id": message_id, "date": int(time.time()), "chat": self._chat(),
            "from": self._user(),
            "sticker": {"file_id": "CAAC", "file_unique_id": "AgAD", "type": "regular",
                        "width": 512, "height": 512, "is_animated": False, "is_video": False},
        }}

    def photo(self, caption: str | None = None) -> dict[str, Any]:
        """A photo message, with a caption if given."""
        update_id, message_id = self._ids()
        message: dict[str, Any] = {
            "message_id": message_id, "date": int(time.time()), "chat": self._chat(),
            "from": self._user(),
            "photo": [{"file_id": "AgAC", "file_unique_id": "AQAD", "width": 90, "height": 90}],
        }
        if caption is not None:
            message["caption"] = caption
        return {"update_id": update_id, "message": message}

    def callback(self, data: str, message_id: int = 1001) -> dict[str, Any]:
        """A tapped inline button on one of the bot's messages."""
        update_id, _ = self._ids()
        return {"update_id": update_id, "callback_query": {
            "id": f"cq{update_id}", "from": self._user(), "chat_instance": "ci-1", "data": data,
            "message": {"message_id": message_id, "date": int(time.time()), "chat": self._chat(),
                        "from": {"id": BOT_ID, "is_bot": True, "first_name": "Bot"},
                        "text": "menu"},
        }}
