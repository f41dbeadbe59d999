"""Local PostgreSQL and Redis for the scale-out layout and its tests: started if down."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import time
import uuid

PG_HOST, PG_PORT, REDIS_PORT = "127.0.0.1", 5432, 6379


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _wait(port: int, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _listening(port):
            return True
        time.sleep(0.3)
    return False


def ensure_postgres() -> bool:
    """Start the machine's PostgreSQL cluster if it is down; True when it answers."""
    if _listening(PG_PORT):
        return True
    versions = sorted(os.path.basename(p) for p in glob.glob("/etc/postgresql/*"))
    if versions and shutil.which("pg_ctlcluster"):
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main",
                        "start"], check=False, capture_output=True)
    return _wait(PG_PORT)


def ensure_redis() -> bool:
    """Start the machine's Redis if it is down; True when it answers."""
    if _listening(REDIS_PORT):
        return True
    if shutil.which("redis-server"):
        subprocess.run(["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "--port",
                        str(REDIS_PORT), "--save", "", "--appendonly", "no"],
                       check=False, capture_output=True)
    return _wait(REDIS_PORT)


def _psql(sql: str, database: str = "test") -> None:
    subprocess.run(["psql", "-h", PG_HOST, "-U", "postgres", "-d", database, "-v",
                    "ON_ERROR_STOP=1", "-qc", sql], check=True, capture_output=True)


def create_database(prefix: str = "kidsafe_test") -> str:
    """Create a fresh PostgreSQL database and return its name."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    _psql(f"CREATE DATABASE {name}")
    return name


def drop_database(name: str) -> None:
    """Drop a database made by create_database (terminating its connections)."""
    _psql(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")
    _psql(f"DROP DATABASE IF EXISTS {name}")
