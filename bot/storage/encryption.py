"""Column types that encrypt at rest: message text, notes and queued replies are stored as
Fernet tokens (authenticated encryption), keyed by DATA_KEYS or DATA_DIR/data.keys.

Encryption happens when a value is written and decryption when it is read, so queries can
never filter on the text itself (and none does): only NULL / NOT NULL is meaningful in SQL.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Dialect, Text
from sqlalchemy.types import TypeDecorator

from common.datakeys import TextCipher

_cipher: TextCipher | None = None


def use_keys(keys: tuple[str, ...]) -> TextCipher:
    """Set the data keys of this process (the first encrypts, all decrypt)."""
    global _cipher
    if _cipher is None or _cipher.keys != tuple(keys):
        _cipher = TextCipher(keys)
    return _cipher


def cipher() -> TextCipher:
    """The process's cipher; the settings' keys unless `use_keys` chose others."""
    if _cipher is None:
        from bot.settings import get_settings

        return use_keys(get_settings().data_keys)
    return _cipher


class EncryptedText(TypeDecorator[str]):
    """Text stored as a Fernet token."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        """Encrypt on the way in."""
        return None if value is None else cipher().encrypt(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        """Decrypt on the way out."""
        return None if value is None else cipher().decrypt(value)


class EncryptedJSON(TypeDecorator[Any]):
    """A JSON value (e.g. a queued reply) stored as one Fernet token."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        """Serialise, then encrypt."""
        if value is None:
            return None
        return cipher().encrypt(json.dumps(value, ensure_ascii=False, separators=(",", ":")))

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        """Decrypt, then parse."""
        return None if value is None else json.loads(cipher().decrypt(value))
