"""Start and stop Rasa and its action server on loopback, for `make run`, the tests and benches."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO

from common.datakeys import data_dir_of

RASA_ENV = ".venv-rasa"
DEFAULT_MODEL = "var/models/current.tar.gz"


class RasaStackError(RuntimeError):
    """Rasa or the action server did not start, or stopped early."""


def _http_ok(url: str) -> bool:
    """Tell whether a GET on the URL answers 200."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback only
            return int(response.status) == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


class RasaStack:
    """The Rasa server and the action server, each in its own process group."""

    def __init__(
        self,
        root: Path,
        rasa_port: int = 5005,
        actions_port: int = 5055,
        model_path: Path | None = None,
        endpoints: Path | None = None,
        extra_env: dict[str, str] | None = None,
        log_dir: Path | None = None,
        enable_api: bool = False,
    ) -> None:
        self.root = Path(root).resolve()
        self.rasa_port = rasa_port
        self.actions_port = actions_port
        self.model_path = Path(model_path or self.root / DEFAULT_MODEL)
        self.endpoints = Path(endpoints or self.root / "endpoints.yml")
        self.extra_env = dict(extra_env or {})
        self.log_dir = Path(log_dir) if log_dir else None
        self.enable_api = enable_api
        self._procs: list[subprocess.Popen[bytes]] = []
        self._logs: list[IO[bytes]] = []

    @property
    def rasa_url(self) -> str:
        """Base URL of the Rasa server."""
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def actions_url(self) -> str:
        """Base URL of the action server."""
        return f"http://127.0.0.1:{self.actions_port}"

    def _env(self) -> dict[str, str]:
        """Environment of both processes: PYTHONPATH, ports, tracker database, loopback host."""
        env = dict(os.environ)
        env.pop("VIRTUAL_ENV", None)
        env.update(
            {
                "PYTHONPATH": str(self.root),
                "ACTIONS_PORT": str(self.actions_port),
                # beside the gateway's data and keys (DATA_DIR, default var/)
                "RASA_TRACKER_DB": str(data_dir_of(env) / "rasa_tracker.db"),
                "SANIC_HOST": "127.0.0.1",  # rasa_sdk reads it: the action server binds loopback
                "RASA_TELEMETRY_ENABLED": "false",
                "TF_CPP_MIN_LOG_LEVEL": "2",
                "PYTHONUNBUFFERED": "1",
                # never DEBUG: Rasa's debug lines quote the children's messages (the tracker
                # store also installs rasa_addons.log_redaction on the server's log handlers)
                "LOG_LEVEL": "INFO",
                "LOG_LEVEL_LIBRARIES": "ERROR",
            }
        )
        env.update(self.extra_env)
        return env

    def _spawn(self, name: str, args: list[str]) -> None:
        """Start one process in a new process group, logging to log_dir (or discarding)."""
        out: IO[bytes] | int = subprocess.DEVNULL
        if self.log_dir is not None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            path = self.log_dir / f"{name}-{self.rasa_port}.log"
            handle = os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "ab")
            os.chmod(path, 0o600)  # logs are the project's files: owner only
            self._logs.append(handle)
            out = handle
        proc = subprocess.Popen(
            args,
            cwd=self.root,
            env=self._env(),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            umask=0o077,  # the tracker database and anything else Rasa writes: owner only
        )
        self._procs.append(proc)

    def start(self) -> None:
        """Start the action server and the Rasa server (loopback only)."""
        if not self.model_path.exists():
            raise RasaStackError(f"no trained model at {self.model_path}: run `make train`")
        (self.root / "var").mkdir(exist_ok=True)
        rasa = str(self.root / RASA_ENV / "bin" / "rasa")
        self._spawn(
            "actions",
            [rasa, "run", "actions", "--port", str(self.actions_port), "--actions", "actions"],
        )
        self._spawn(
            "rasa",
            [
                rasa,
                "run",
                "-i",
                "127.0.0.1",
                "-p",
                str(self.rasa_port),
                "-m",
                str(self.model_path),
                "--endpoints",
                str(self.endpoints),
                "--credentials",
                str(self.root / "credentials.yml"),
                *(["--enable-api"] if self.enable_api else []),
            ],
        )

    def ready(self) -> bool:
        """Tell whether both servers answer."""
        return _http_ok(f"{self.actions_url}/health") and _http_ok(f"{self.rasa_url}/")

    def wait_ready(self, timeout: float = 240) -> None:
        """Wait until both servers answer, or raise if one exits or the time runs out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, proc in zip(("action server", "Rasa"), self._procs, strict=False):
                if proc.poll() is not None:
                    raise RasaStackError(
                        f"{name} exited with {proc.returncode}; see the logs in {self.log_dir}"
                    )
            if self.ready():  # Rasa loads its model before it starts answering
                return
            time.sleep(1)
        raise RasaStackError(f"Rasa was not ready within {timeout:.0f} s")

    def stop(self, timeout: float = 15) -> None:
        """Terminate both process groups (SIGTERM, then SIGKILL); leave no orphans."""
        for proc in self._procs:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for proc in self._procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(max(0.1, deadline - time.monotonic()))
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)  # the group may hold children (sanic workers)
            proc.wait()
        self._procs.clear()
        for handle in self._logs:
            handle.close()
        self._logs.clear()

    def pids(self) -> dict[str, int]:
        """Process ids of the running servers (for benchmarks and fault tests)."""
        return {name: proc.pid for name, proc in zip(("actions", "rasa"), self._procs, strict=False)
                if proc.poll() is None}

    def __enter__(self) -> RasaStack:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
