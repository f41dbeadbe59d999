"""Typed settings, read once from the environment: the only place secrets come from."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from common.datakeys import DataKeyError, file_keys, keys_from_environment

ROOT = Path(__file__).resolve().parent.parent


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise SystemExit(f"setting {name} must be an integer, got {raw!r}") from exc


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise SystemExit(f"setting {name} must be a number, got {raw!r}") from exc


def _str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def _list(name: str, default: str = "") -> tuple[str, ...]:
    return tuple(part.strip() for part in _str(name, default).split(",") if part.strip())


def _https_url(name: str, default: str) -> str:
    """An absolute http(s) URL setting."""
    value = _str(name, default)
    if not value.startswith(("https://", "http://")):
        raise SystemExit(f"setting {name} must be an http(s) URL, got {value!r}")
    return value


def _local_secret(data_dir: Path) -> str:
    """Return the pseudonymisation key kept in the data folder, creating it on first use."""
    path = data_dir / "pseudonym.key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def _data_keys(data_dir: Path) -> tuple[str, ...]:
    """Keys for message text at rest: DATA_KEYS / DATA_KEY, else DATA_DIR/data.keys."""
    try:
        return keys_from_environment() or file_keys(data_dir)
    except DataKeyError as exc:
        raise SystemExit(f"setting DATA_KEYS: {exc}") from exc


@dataclass(frozen=True)
class Settings:
    """Every setting of the gateway; documented in the README."""

    port: int
    host: str
    data_dir: Path
    database_url: str
    rasa_urls: tuple[str, ...]
    rasa_timeout: float
    redis_url: str
    rasa_tracker_url: str
    pseudonym_secret: str = field(repr=False)
    escalation_timeout: float
    retention_days: int
    max_body_bytes: int
    max_text_chars: int
    cookie_secure: bool
    telegram_bot_token: str = field(repr=False)
    telegram_webhook_secret: str = field(repr=False)
    telegram_webhook_url: str
    telegram_api_base_url: str
    zalo_app_id: str
    zalo_oa_secret_key: str = field(repr=False)
    zalo_app_secret_key: str = field(repr=False)
    zalo_oa_access_token: str = field(repr=False)
    zalo_oa_refresh_token: str = field(repr=False)
    zalo_oa_api_base_url: str
    zalo_oauth_base_url: str
    zalo_event_max_age: float  # seconds: a signed Zalo OA event older than this is refused
    zalo_bot_token: str = field(repr=False)
    zalo_bot_webhook_secret: str = field(repr=False)
    zalo_bot_api_base_url: str
    outbox_poll_seconds: float
    workers: int
    trusted_proxies: tuple[str, ...]  # peers whose X-Forwarded-* headers are believed
    quick_exit_url: str  # where the web chat's "Thoát nhanh" goes
    safety_model_dir: Path = ROOT / "var" / "models" / "safety"
    burst_cases: int = 10  # new users' cases on one channel within burst_window: flagged
    burst_window: float = 60.0
    data_keys: tuple[str, ...] = field(default=(), repr=False)
    login_workers: int = 1
    login_queue: int = 4

    @property
    def rasa_url(self) -> str:
        """The first Rasa server (the only one unless scaled out)."""
        return self.rasa_urls[0]


def load_settings() -> Settings:
    """Read every setting from the environment."""
    data_dir = Path(_str("DATA_DIR", str(ROOT / "var"))).resolve()
    default_db = f"sqlite+aiosqlite:///{data_dir / 'kidsafe.db'}"
    return Settings(
        port=_int("PORT", 8000),
        host=_str("HOST", "127.0.0.1"),
        data_dir=data_dir,
        database_url=_str("DATABASE_URL", default_db),
        rasa_urls=_list("RASA_URL", "http://127.0.0.1:5005"),
        rasa_timeout=_float("RASA_TIMEOUT", 8.0),
        redis_url=_str("REDIS_URL"),
        rasa_tracker_url=_str(
            "RASA_TRACKER_DB_URL", f"sqlite+aiosqlite:///{data_dir / 'rasa_tracker.db'}"
        ),
        pseudonym_secret=_str("PSEUDONYM_SECRET") or _local_secret(data_dir),
        escalation_timeout=_float("ESCALATION_TIMEOUT", 300.0),
        retention_days=_int("RETENTION_DAYS", 30),
        max_body_bytes=_int("MAX_BODY_BYTES", 64 * 1024),
        max_text_chars=_int("MAX_TEXT_CHARS", 2000),
        cookie_secure=_str("COOKIE_SECURE", "auto") != "0",
        telegram_bot_token=_str("TELEGRAM_BOT_TOKEN"),
        telegram_webhook_secret=_str("TELEGRAM_WEBHOOK_SECRET"),
        telegram_webhook_url=_str("TELEGRAM_WEBHOOK_URL"),
        telegram_api_base_url=_str("TELEGRAM_API_BASE_URL", "https://api.telegram.org/bot"),
        zalo_app_id=_str("ZALO_APP_ID"),
        zalo_oa_secret_key=_str("ZALO_OA_SECRET_KEY"),
        zalo_app_secret_key=_str("ZALO_APP_SECRET_KEY"),
        zalo_oa_access_token=_str("ZALO_OA_ACCESS_TOKEN"),
        zalo_oa_refresh_token=_str("ZALO_OA_REFRESH_TOKEN"),
        zalo_oa_api_base_url=_str("ZALO_OA_API_BASE_URL", "https://openapi.zalo.me"),
        zalo_oauth_base_url=_str("ZALO_OAUTH_BASE_URL", "https://oauth.zaloapp.com"),
        zalo_event_max_age=_float("ZALO_EVENT_MAX_AGE", 300.0),
        zalo_bot_token=_str("ZALO_BOT_TOKEN"),
        zalo_bot_webhook_secret=_str("ZALO_BOT_WEBHOOK_SECRET"),
        zalo_bot_api_base_url=_str(
            "ZALO_BOT_API_BASE_URL", "https://bot-api.zaloplatforms.com/bot"
        ),
        outbox_poll_seconds=_float("OUTBOX_POLL_SECONDS", 0.5),
        workers=_int("WORKERS", 1),
        burst_cases=_int("BURST_CASES", 10),
        burst_window=_float("BURST_WINDOW_SECONDS", 60.0),
        trusted_proxies=_list("TRUSTED_PROXIES"),
        quick_exit_url=_https_url("QUICK_EXIT_URL", "https://www.google.com/search?q=thoi+tiet"),
        safety_model_dir=Path(
            _str("SAFETY_MODEL_DIR", str(ROOT / "var" / "models" / "safety"))
        ).resolve(),
        data_keys=_data_keys(data_dir),
        login_workers=max(1, _int("LOGIN_WORKERS", 1)),
        login_queue=max(0, _int("LOGIN_QUEUE", 4)),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings of this process, read once."""
    return load_settings()
