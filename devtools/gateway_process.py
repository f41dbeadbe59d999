"""Start the real gateway as a separate process for end-to-end tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from common.datakeys import load_keys

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class GatewayProcess:
    """The gateway (`sanic bot.app:create_app`) on its own port, data dir and database."""

    def __init__(self, data_dir: Path, rasa_url: str, env: dict[str, str] | None = None,
                 port: int | None = None, workers: int = 1,
                 python_args: tuple[str, ...] = ()) -> None:
        self.port = port or free_port()
        self.python_args = python_args  # e.g. ("-m", "cProfile", "-o", path) to profile it
        self.workers = workers
        self.data_dir = data_dir
        self.env = {
            **os.environ,
            "PORT": str(self.port),
            "DATA_DIR": str(data_dir),
            "RASA_URL": rasa_url,
            "PSEUDONYM_SECRET": "test-secret-not-for-production",
            # the test process's data keys, so both read what the other encrypted
            "DATA_KEYS": ",".join(load_keys()),
            **(env or {}),
        }
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = data_dir / f"gateway-{self.port}.log"

    @property
    def url(self) -> str:
        """Base URL of the running gateway."""
        return f"http://127.0.0.1:{self.port}"

    def migrate(self) -> None:
        """Apply migrations to this gateway's database."""
        subprocess.run([sys.executable, "-m", "bot.cli", "migrate"], env=self.env, cwd=ROOT,
                       check=True, capture_output=True)

    def start(self, wait_for: str = "/healthz", timeout: float = 60.0) -> None:
        """Start the process and wait until `wait_for` answers 200."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.migrate()
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, *self.python_args, "-m", "sanic", "bot.app:gateway_app", "--factory",
             *(["--single-process"] if self.workers <= 1 else ["--workers", str(self.workers)]),
             "--host", "127.0.0.1", "--port", str(self.port)],
            env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gateway exited; see {self.log_path}")
            try:
                if httpx.get(self.url + wait_for, timeout=2.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise TimeoutError(f"gateway not ready in {timeout}s; see {self.log_path}")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """Stop the process (SIGKILL to simulate a crash)."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        self.proc = None
