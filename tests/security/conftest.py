"""Fixtures for the security tests: the gateway tests' app on a fresh SQLite database."""

from __future__ import annotations

import pytest

from devtools.chat_client import ChatSessions
from tests.gateway.conftest import make_app, make_settings, rasa, serve

__all__ = ["make_app", "make_settings", "rasa", "serve"]


@pytest.fixture
def chats() -> ChatSessions:
    """A web chat client that keeps each user id's session."""
    return ChatSessions()
