"""A fake Rasa server: the REST webhook answers what the test scripted for each text.

By default it answers like Rasa's chitchat ("Mình ở đây nè"); a scripted text can instead send
the handoff signal of a risk intent with a confidence, as `actions/handoff.py` does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from devtools.fakes.http import FakeHTTPServer, FakeRequest, Response


@dataclass
class FakeRasa:
    """Scripted answers by message text; every request is recorded."""

    intents: dict[str, tuple[str, float]] = field(default_factory=dict)
    replies: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    received: list[dict[str, Any]] = field(default_factory=list)
    server: FakeHTTPServer | None = None

    def start(self) -> FakeRasa:
        """Serve on a free loopback port."""
        self.server = FakeHTTPServer(self.handle).start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        if self.server is not None:
            self.server.stop()

    @property
    def url(self) -> str:
        """Base URL for RASA_URL."""
        assert self.server is not None
        return self.server.url

    def says(self, text: str, intent: str, confidence: float) -> None:
        """Answer `text` as if Rasa read this intent with this confidence."""
        self.intents[text] = (intent, confidence)

    def answers(self, text: str, replies: list[dict[str, Any]]) -> None:
        """Answer `text` with these REST replies (text and buttons)."""
        self.replies[text] = replies

    def handle(self, request: FakeRequest) -> Response:
        """GET / (status) and POST /webhooks/rest/webhook."""
        if request.method == "GET":
            return 200, {"status": "ok"}
        body = json.loads(request.body or b"{}")
        self.received.append(body)
        message = str(body.get("message") or "")
        scripted = self.intents.get(message)
        if message in self.replies:
            return 200, [{"recipient_id": body.get("sender"), **r} for r in self.replies[message]]
        if scripted is None:
            return 200, [{"recipient_id": body.get("sender"), "text": "Mình ở đây nè."}]
        intent, confidence = scripted
        category = intent.removeprefix("risk_") if intent.startswith("risk_") else "other"
        signal = {"intent": intent, "confidence": confidence, "category": category,
                  "risk": "high"}
        return 200, [
            {"recipient_id": body.get("sender"), "custom": {"handoff": signal}},
            {"recipient_id": body.get("sender"), "text": "Mình chưa chắc đã hiểu ý bạn.",
             "buttons": [{"title": "🏠 Menu", "payload": "/show_menu"}]},
        ]
