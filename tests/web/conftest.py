"""Fixtures for the web chat's tests: the gateway tests' app on a fresh SQLite database,
the fake Rasa, the console tests' headless Chromium."""

from __future__ import annotations

import pytest

from devtools.chat_client import ChatSessions
from tests.console.conftest import browser
from tests.gateway.conftest import make_app, make_settings, rasa, serve

__all__ = ["browser", "make_app", "make_settings", "rasa", "serve"]


@pytest.fixture
def chats() -> ChatSessions:
    """A web chat client that keeps each user id's session."""
    return ChatSessions()
