"""`make run`: start the action server, Rasa and the gateway; Ctrl-C stops them all."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.settings import get_settings  # noqa: E402
from devtools.devstack import RasaStack  # noqa: E402
from devtools.localservices import ensure_postgres, ensure_redis  # noqa: E402

SCALED_DATABASE = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
SCALED_RASA_ENV = {
    "RASA_PG_HOST": "127.0.0.1", "RASA_PG_PORT": "5432", "RASA_PG_DB": "test",
    "RASA_PG_USER": "postgres", "RASA_PG_PASSWORD": "",
    "REDIS_HOST": "127.0.0.1", "REDIS_PORT": "6379",
}


def start_gateway(port: int, workers: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """Start the Sanic gateway (single process, or several workers)."""
    mode = ["--single-process"] if workers <= 1 else ["--workers", str(workers)]
    return subprocess.Popen(
        [sys.executable, "-m", "sanic", "bot.app:gateway_app", "--factory",
         "--host", get_settings().host, "--port", str(port), *mode],
        cwd=ROOT, env=env, start_new_session=True,
    )


def wait_healthy(url: str, proc: subprocess.Popen[bytes], timeout: float = 120.0) -> None:
    """Wait until /healthz answers 200."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("the gateway stopped during start-up; see the lines above")
        try:
            if httpx.get(url + "/healthz", timeout=2.0, trust_env=False).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"{url}/healthz not ready after {timeout:.0f}s")


def stop(proc: subprocess.Popen[bytes] | None) -> None:
    """Stop a process group started by this script."""
    if proc is None or proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def main() -> int:
    """Run the whole bot until Ctrl-C."""
    signal.signal(signal.SIGINT, _interrupt)  # also when started with SIGINT ignored (`&`)
    signal.signal(signal.SIGTERM, _interrupt)
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=get_settings().workers)
    parser.add_argument("--scaled", action="store_true",
                        help="PostgreSQL + Redis, two Rasa servers, two gateway workers")
    parser.add_argument("--rasa-servers", type=int, default=2)
    args = parser.parse_args()
    settings = get_settings()
    log_dir = settings.data_dir / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    rasa_env: dict[str, str] = {}
    count = 1
    if args.scaled:
        if not (ensure_postgres() and ensure_redis()):
            raise SystemExit("PostgreSQL (127.0.0.1:5432) or Redis (127.0.0.1:6379) is not up")
        env.setdefault("DATABASE_URL", SCALED_DATABASE)
        env.setdefault("REDIS_URL", "redis://127.0.0.1:6379/1")
        env.setdefault("RASA_TRACKER_DB_URL", SCALED_DATABASE)
        rasa_env, count = SCALED_RASA_ENV, args.rasa_servers
        args.workers = max(args.workers, 2)
        subprocess.run([sys.executable, "-m", "bot.cli", "migrate"], env=env, cwd=ROOT, check=True)
    stacks = [
        RasaStack(ROOT, rasa_port=5005 + i, actions_port=5055 + i, log_dir=log_dir,
                  model_path=ROOT / "var/models/current.tar.gz", extra_env=rasa_env,
                  endpoints=ROOT / ("endpoints.scaled.yml" if args.scaled else "endpoints.yml"))
        for i in range(count)
    ]
    gateway = None
    try:
        print(f"==> starting {count} Rasa server(s) and action server(s) on loopback"
              " (logs in var/logs)")
        for stack in stacks:
            stack.start()
        for stack in stacks:
            stack.wait_ready()
        urls = ",".join(stack.rasa_url for stack in stacks)
        print(f"==> Rasa ready at {urls}")
        env.setdefault("RASA_URL", urls)
        gateway = start_gateway(settings.port, args.workers, env)
        url = f"http://{settings.host}:{settings.port}"
        wait_healthy(url, gateway)
        print(f"\n==> ready: web chat {url}/   console {url}/console   health {url}/healthz")
        print("    create a counsellor: .venv/bin/python -m bot.cli create-user --username NAME")
        print("    Ctrl-C stops everything.\n")
        gateway.wait()
        return 1
    except KeyboardInterrupt:
        print("\n==> stopping", flush=True)
        return 0
    finally:
        stop(gateway)
        for stack in stacks:
            stack.stop()


if __name__ == "__main__":
    sys.exit(main())
