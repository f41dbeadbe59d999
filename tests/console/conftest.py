"""Fixtures for console tests: a served gateway on a fresh SQLite database, accounts, clients."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sanic import Sanic

from bot.app import create_app
from bot.changefeed import ChangeKind, record
from bot.console.auth import hash_password
from bot.settings import load_settings
from bot.storage.migrate import upgrade
from bot.storage.models import Case, Conversation, Counsellor, Message, User, utcnow
from devtools.chat_client import ChatSessions
from devtools.gateway_process import free_port

_names = itertools.count()
UNREACHABLE_RASA = "http://127.0.0.1:9"
PASSWORD = "mat-khau-rat-dai-2024"


class Running:
    """A gateway served in-process on a loopback port."""

    def __init__(self, app: Sanic, port: int) -> None:
        self.app = app
        self.url = f"http://127.0.0.1:{port}"


@pytest.fixture
async def serve(tmp_path: Path) -> AsyncIterator[Callable[..., Any]]:
    """Start a gateway (Rasa down) with settings overrides; stopped at the end of the test."""
    servers = []

    async def start(**overrides: Any) -> Running:
        url = f"sqlite+aiosqlite:///{tmp_path / 'console.db'}"
        values: dict[str, Any] = {
            "data_dir": tmp_path, "database_url": url, "rasa_urls": (UNREACHABLE_RASA,),
            "rasa_timeout": 1.0, "pseudonym_secret": "console-test-secret",
            "cookie_secure": False,
        }
        values.update(overrides)
        settings = dataclasses.replace(load_settings(), **values)
        await asyncio.to_thread(upgrade, settings.database_url)  # alembic runs its own loop
        Sanic.test_mode = True
        app = create_app(settings, name=f"kidsafe_console_{next(_names)}")
        port = free_port()
        server = await app.create_server(host="127.0.0.1", port=port,
                                         return_asyncio_server=True, access_log=False)
        assert server is not None
        await server.startup()
        await server.before_start()
        await server.after_start()
        servers.append(server)
        return Running(app, port)

    yield start
    for server in servers:
        await server.before_stop()
        await server.close()
        await server.after_stop()


@pytest.fixture
async def running(serve: Callable[..., Any]) -> Running:
    """One gateway for the test."""
    result: Running = await serve()
    return result


async def make_account(app: Sanic, username: str, role: str = "counsellor",
                       password: str = PASSWORD) -> int:
    """A console account stored directly (the CLI has its own test)."""
    async with app.ctx.db.session() as session:
        counsellor = Counsellor(username=username, display_name=f"Cô {username.title()}",
                                password_hash=hash_password(password), role=role)
        session.add(counsellor)
        await session.flush()
        return counsellor.id


async def make_case(app: Sanic, risk: str, opened_at: datetime | None = None,
                    channel: str = "web", text: str = "em sợ lắm", web_user: str | None = None,
                    last_inbound_at: datetime | None = None) -> str:
    """A waiting case with one message from the child (`web_user`: a real web chat id),
    announced on the change feed like a case the pipeline opens."""
    from bot.handoff.cases import risk_rank

    pseudonym = (app.ctx.privacy.pseudonym("web", web_user) if web_user
                 else f"p{next(_names)}")
    async with app.ctx.db.session() as session:
        user = User(channel=channel, pseudonym=pseudonym,
                    last_inbound_at=last_inbound_at or utcnow())
        session.add(user)
        await session.flush()
        conversation = Conversation(user_id=user.id, channel=channel, state="waiting")
        session.add(conversation)
        await session.flush()
        case = Case(conversation_id=conversation.id, channel=channel, risk=risk,
                    risk_rank=risk_rank(risk), category="other", source="screen",
                    opened_at=opened_at or utcnow())
        session.add(case)
        await session.flush()
        conversation.active_case_id = case.id
        session.add(Message(conversation_id=conversation.id, case_id=case.id, direction="in",
                            author="user", text=text))
        await record(session, ChangeKind.CASE, conversation_id=conversation.id,
                     case_id=case.id, detail={"event": "opened"})  # as opening a case does
        return case.id


class Child:
    """A child on the web chat (devtools.chat_client keeps the session from the first answer)."""

    def __init__(self, base_url: str, user_id: str) -> None:
        self.http = httpx.AsyncClient(base_url=base_url, timeout=30.0)
        self.user_id = user_id
        self.sessions = ChatSessions()

    async def says(self, text: str) -> dict[str, Any]:
        """POST /api/chat; the answer's JSON (200 required)."""
        return await self.sessions.answer(self.http, self.user_id, text)

    async def inbox(self, after: int = 0) -> dict[str, Any]:
        """What the child's page reads: messages to them and the handoff state."""
        response = await self.sessions.messages(self.http, self.user_id, after)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def close(self) -> None:
        """Close the connection pool."""
        await self.http.aclose()


def minutes_ago(minutes: float) -> datetime:
    """A moment in the past."""
    return utcnow() - timedelta(minutes=minutes)


class Console:
    """An HTTP client logged in to the console (cookie and CSRF token handled)."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.AsyncClient(base_url=base_url, timeout=10.0)
        self.csrf = ""

    async def login(self, username: str, password: str = PASSWORD) -> httpx.Response:
        """Log in; keeps the CSRF token on success."""
        response = await self.http.post("/console/api/login",
                                        json={"username": username, "password": password})
        if response.status_code == 200:
            self.csrf = response.json()["user"]["csrf_token"]
        return response

    async def get(self, path: str) -> httpx.Response:
        """GET a console API path."""
        return await self.http.get("/console/api" + path)

    async def post(self, path: str, body: dict[str, Any] | None = None,
                   csrf: str | None = None) -> httpx.Response:
        """POST JSON to a console API path with the CSRF header."""
        token = self.csrf if csrf is None else csrf
        headers = {"X-CSRF-Token": token} if token else {}
        return await self.http.post("/console/api" + path, json=body or {}, headers=headers)

    async def close(self) -> None:
        """Close the connection pool."""
        await self.http.aclose()


@pytest.fixture
async def console(running: Running) -> AsyncIterator[Callable[[], Console]]:
    """Make logged-out console clients for the running gateway."""
    clients: list[Console] = []

    def make() -> Console:
        client = Console(running.url)
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()


def chromium_installed() -> bool:
    """Debian's Chromium is where the browser tests expect it."""
    from tests.console.test_browser import CHROMIUM

    return Path(CHROMIUM).exists()


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    """Debian's Chromium driven by Playwright's async API, in the gateway's event loop
    (tests/console/test_browser.py has its own, synchronous one)."""
    from playwright.async_api import async_playwright

    from tests.console.test_browser import CHROMIUM, CHROMIUM_ARGS

    if not chromium_installed():
        pytest.fail("Chromium is missing: run `make browser`")
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()
