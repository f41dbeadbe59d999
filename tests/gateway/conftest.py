"""Fixtures for gateway tests: an app on a fresh SQLite database."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sanic import Sanic

from bot.app import create_app
from bot.settings import Settings, load_settings
from bot.storage.migrate import upgrade
from devtools.fakes.rasa import FakeRasa

_names = itertools.count()
UNREACHABLE_RASA = "http://127.0.0.1:9"  # nothing listens on the discard port: Rasa is down


@pytest.fixture
def rasa() -> Iterator[FakeRasa]:
    """A fake Rasa whose answers each test scripts."""
    fake = FakeRasa().start()
    yield fake
    fake.stop()


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    """Settings on a fresh SQLite database in tmp_path, with overrides."""

    def make(**overrides: object) -> Settings:
        base = load_settings()
        url = f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}"
        values: dict[str, object] = {
            "data_dir": tmp_path,
            "database_url": url,
            "rasa_urls": (UNREACHABLE_RASA,),
            "rasa_timeout": 2.0,
            "pseudonym_secret": "unit-test-secret",
        }
        values.update(overrides)
        settings = dataclasses.replace(base, **values)  # type: ignore[arg-type]
        upgrade(settings.database_url)
        return settings

    return make


@pytest.fixture
def make_app(make_settings: Callable[..., Settings]) -> Callable[..., Sanic]:
    """A gateway app (unique name per test) on its own database."""

    def make(**overrides: object) -> Sanic:
        Sanic.test_mode = True
        return create_app(make_settings(**overrides), name=f"kidsafe_test_{next(_names)}")

    return make


class RunningApp:
    """A gateway app served in-process on a free loopback port."""

    def __init__(self, app: Sanic, port: int) -> None:
        self.app = app
        self.url = f"http://127.0.0.1:{port}"


@pytest.fixture
async def serve(make_app: Callable[..., Sanic]):  # type: ignore[no-untyped-def]
    """Start apps in this event loop; every one is stopped at the end of the test."""
    from devtools.gateway_process import free_port

    servers = []

    async def start(**overrides: object) -> RunningApp:
        app = make_app(**overrides)
        port = free_port()
        server = await app.create_server(
            host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False
        )
        assert server is not None
        await server.startup()
        await server.before_start()
        await server.after_start()
        servers.append(server)
        return RunningApp(app, port)

    yield start
    for server in servers:
        await server.before_stop()
        await server.close()
        await server.after_stop()
