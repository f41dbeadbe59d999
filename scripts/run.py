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

from bot.devstack import RasaStack  # noqa: E402
from bot.settings import get_settings  # noqa: E402


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


def main() -> int:
    """Run the whole bot until Ctrl-C."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=get_settings().workers)
    args = parser.parse_args()
    settings = get_settings()
    log_dir = settings.data_dir / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    rasa = RasaStack(ROOT, model_path=ROOT / "var/models/current.tar.gz", log_dir=log_dir)
    gateway = None
    try:
        print("==> starting the action server and Rasa (loopback only; logs in var/logs)")
        rasa.start()
        rasa.wait_ready()
        print(f"==> Rasa ready at {rasa.rasa_url}")
        env = {**os.environ, "RASA_URL": os.environ.get("RASA_URL", rasa.rasa_url)}
        gateway = start_gateway(settings.port, args.workers, env)
        url = f"http://{settings.host}:{settings.port}"
        wait_healthy(url, gateway)
        print(f"\n==> ready: web chat {url}/   console {url}/console   health {url}/healthz")
        print("    create a counsellor: .venv/bin/python -m bot.cli create-user --username NAME")
        print("    Ctrl-C stops everything.\n")
        gateway.wait()
        return 1
    except KeyboardInterrupt:
        print("\n==> stopping")
        return 0
    finally:
        stop(gateway)
        rasa.stop()


if __name__ == "__main__":
    sys.exit(main())
