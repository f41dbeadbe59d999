"""A web chat client for tests and benches: it keeps each user id's session from its first answer.

The first `POST /api/chat` for a new user id answers a `session`; later calls for that id send
it in `X-Chat-Session` (DESIGN.md, Contracts). One instance remembers the sessions it was given.
"""

from __future__ import annotations

from typing import Any

import httpx

SESSION_HEADER = "X-Chat-Session"


class ChatSessions:
    """Sessions by user id, and the chat calls that send them (async and sync clients)."""

    def __init__(self) -> None:
        self.secrets: dict[str, str] = {}

    def headers(self, user_id: str) -> dict[str, str]:
        """The session header for a user id, when its first answer gave one."""
        secret = self.secrets.get(user_id)
        return {SESSION_HEADER: secret} if secret else {}

    def keep(self, user_id: str, response: httpx.Response) -> httpx.Response:
        """Remember the session a (first) answer carries; returns the response."""
        if response.status_code == 200:
            secret = response.json().get("session")
            if secret:
                self.secrets[user_id] = secret
        return response

    def _chat(self, user_id: str, text: str, extra: dict[str, Any]) -> dict[str, Any]:
        return {"url": "/api/chat", "json": {"user_id": user_id, "text": text, **extra},
                "headers": self.headers(user_id)}

    def _messages(self, user_id: str, after: int, mine: bool) -> dict[str, Any]:
        query = f"?after={after}" + ("&mine=1" if mine else "")
        return {"url": f"/api/chat/{user_id}/messages{query}", "headers": self.headers(user_id)}

    async def post(self, client: httpx.AsyncClient, user_id: str, text: str,
                   **extra: Any) -> httpx.Response:
        """POST /api/chat with the user's session (an async client with a base URL)."""
        return self.keep(user_id, await client.post(**self._chat(user_id, text, extra)))

    def post_sync(self, client: httpx.Client, user_id: str, text: str,
                  **extra: Any) -> httpx.Response:
        """POST /api/chat with the user's session (a sync client with a base URL)."""
        return self.keep(user_id, client.post(**self._chat(user_id, text, extra)))

    async def messages(self, client: httpx.AsyncClient, user_id: str, after: int = 0,
                       mine: bool = False) -> httpx.Response:
        """GET /api/chat/{user_id}/messages with the user's session."""
        return await client.get(**self._messages(user_id, after, mine))

    def messages_sync(self, client: httpx.Client, user_id: str, after: int = 0,
                      mine: bool = False) -> httpx.Response:
        """GET /api/chat/{user_id}/messages with the user's session (a sync client)."""
        return client.get(**self._messages(user_id, after, mine))

    async def answer(self, client: httpx.AsyncClient, user_id: str, text: str,
                     **extra: Any) -> dict[str, Any]:
        """The JSON answer to one message, which must be 200."""
        response = await self.post(client, user_id, text, **extra)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def answer_sync(self, client: httpx.Client, user_id: str, text: str,
                    **extra: Any) -> dict[str, Any]:
        """The JSON answer to one message, which must be 200 (a sync client)."""
        response = self.post_sync(client, user_id, text, **extra)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body
