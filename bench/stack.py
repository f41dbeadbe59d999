"""Start the layouts the load benchmark measures: single (SQLite) or scaled (PostgreSQL, Redis)."""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path
from types import TracebackType

ROOT = Path(__file__).resolve().parent.parent

from devtools.devstack import RasaStack  # noqa: E402
from devtools.gateway_process import GatewayProcess, free_port  # noqa: E402
from devtools.localservices import (  # noqa: E402
    create_database,
    drop_database,
    ensure_postgres,
    ensure_redis,
)

MODEL = ROOT / "var/models/current.tar.gz"


class Stack:
    """Rasa server(s), action server(s) and the gateway for one layout."""

    def __init__(self, data_dir: Path, layout: str) -> None:
        self.data_dir = data_dir
        self.layout = layout
        self.rasas: list[RasaStack] = []
        self.gateway: GatewayProcess | None = None
        self.pg_database: str | None = None

    @property
    def rasa_urls(self) -> list[str]:
        """URLs of the Rasa servers."""
        return [r.rasa_url for r in self.rasas]

    @property
    def gateway_url(self) -> str:
        """URL of the gateway."""
        assert self.gateway is not None
        return self.gateway.url

    def __enter__(self) -> Stack:
        env: dict[str, str] = {}
        count = 1
        if self.layout == "scaled":
            if not (ensure_postgres() and ensure_redis()):
                raise SystemExit("PostgreSQL or Redis is not available on 127.0.0.1")
            self.pg_database = create_database("kidsafe_bench")
            env = scaled_rasa_env(self.pg_database)
            count = 2
        for _ in range(count):
            stack = RasaStack(ROOT, rasa_port=free_port(), actions_port=free_port(),
                              model_path=MODEL, log_dir=self.data_dir,
                              endpoints=ROOT / ("endpoints.scaled.yml" if env else "endpoints.yml"),
                              extra_env={**env, "RASA_TRACKER_DB": str(self.data_dir / "t.db")})
            stack.start()
            self.rasas.append(stack)
        for stack in self.rasas:
            stack.wait_ready()
        gw_env = {"ESCALATION_TIMEOUT": "3600", "COOKIE_SECURE": "0",
                  "RASA_TRACKER_DB_URL": f"sqlite+aiosqlite:///{self.data_dir / 't.db'}"}
        if self.pg_database:
            gw_env["DATABASE_URL"] = (
                f"postgresql+asyncpg://postgres@127.0.0.1:5432/{self.pg_database}"
            )
        self.gateway = GatewayProcess(self.data_dir / "gw", ",".join(self.rasa_urls), gw_env,
                                      workers=2 if self.pg_database else 1)
        self.gateway.start()
        return self

    def __exit__(self, *exc: tuple[type[BaseException], BaseException, TracebackType]) -> None:
        if self.gateway:
            self.gateway.stop()
        for stack in self.rasas:
            stack.stop()
        if self.pg_database:
            drop_database(self.pg_database)

    def stored_message_ids(self) -> list[str]:
        """The stored references of every inbound web message (keyed hashes of the message ids:
        one per message sent, to count losses and duplicates)."""
        query = ("SELECT platform_id FROM messages"
                 " WHERE direction = 'in' AND platform_id IS NOT NULL")
        if self.pg_database:
            out = subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d",
                                  self.pg_database, "-Atc", query], capture_output=True,
                                 text=True, check=True).stdout
            rows = [line for line in out.splitlines() if line]
        else:
            with sqlite3.connect(self.data_dir / "gw" / "kidsafe.db") as conn:
                rows = [r[0] for r in conn.execute(query)]
        return rows

    async def escalation_visible_ms(self) -> dict[str, float]:
        """Time from a disclosure's POST until its case is in the console queue."""
        from bench.console_probe import time_to_queue

        return await time_to_queue(self.gateway_url, self.gateway)  # type: ignore[arg-type]

    def pids(self) -> dict[str, int]:
        """Process ids of the gateway and of every Rasa and action server."""
        found: dict[str, int] = {}
        if self.gateway and self.gateway.proc:
            found["gateway"] = self.gateway.proc.pid
        for i, stack in enumerate(self.rasas):
            for name, pid in stack.pids().items():
                found[f"{name}-{i}"] = pid
        return found

    def peak_memory(self) -> dict[str, float]:
        """Peak resident memory of every process of the layout, in MB."""
        from bench.load import peak_rss_mb

        return {name: peak_rss_mb(pid) for name, pid in self.pids().items()}


def scaled_rasa_env(database: str) -> dict[str, str]:
    """Environment for endpoints.scaled.yml: tracker store on PostgreSQL, Redis lock store."""
    return {"RASA_PG_HOST": "127.0.0.1", "RASA_PG_PORT": "5432", "RASA_PG_DB": database,
            "RASA_PG_USER": "postgres", "RASA_PG_PASSWORD": "", "REDIS_HOST": "127.0.0.1",
            "REDIS_PORT": "6379"}

