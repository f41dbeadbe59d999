"""Rasa's SQL tracker store with each event's data encrypted at rest.

Configured in endpoints.yml by module path (Rasa 3.6 builds a custom tracker store from
`type: <module>.<Class>` with the other keys as keyword arguments):

    tracker_store:
      type: rasa_addons.tracker_store.EncryptedSQLTrackerStore
      dialect: sqlite
      db: ${RASA_TRACKER_DB}

It is SQLTrackerStore with another `events` table class whose `data` column encrypts the
serialised event (Fernet, the data keys of DATA_KEYS / DATA_DIR/data.keys, shared with the
gateway) when written and decrypts it when read. The table's layout is unchanged, so the
gateway's erasure and retention keep working; rows written in clear before this store are
still read, and `python -m bot.cli migrate` encrypts them. Creating the store also installs
the log filter that keeps message text out of Rasa's logs, and turns on SQLite's
secure_delete for its connections.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, _create_sequence
from sqlalchemy.ext.declarative import declarative_base

from common.datakeys import TextCipher, is_token, load_keys
from rasa_addons import log_redaction

_cipher: TextCipher | None = None


def cipher() -> TextCipher:
    """The data keys of this process, read once."""
    global _cipher
    if _cipher is None:
        _cipher = TextCipher(load_keys())
    return _cipher


class EncryptedEventData(sa.types.TypeDecorator):
    """An event's JSON, stored as a Fernet token."""

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        """Encrypt on the way in."""
        return None if value is None else cipher().encrypt(value)

    def process_result_value(self, value: str | None, dialect: Any) -> str | None:
        """Decrypt on the way out (a row from before encryption is read as it is)."""
        if value is None or not is_token(value):
            return value
        return cipher().decrypt(value)


EncryptedBase: Any = declarative_base()


class EncryptedSQLEvent(EncryptedBase):
    """Rasa's `events` table, with `data` encrypted."""

    __tablename__ = "events"

    id = sa.Column(sa.Integer, _create_sequence(__tablename__), primary_key=True)
    sender_id = sa.Column(sa.String(255), nullable=False, index=True)
    type_name = sa.Column(sa.String(255), nullable=False)
    timestamp = sa.Column(sa.Float)
    intent_name = sa.Column(sa.String(255))
    action_name = sa.Column(sa.String(255))
    data = sa.Column(EncryptedEventData)


def _secure_delete(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


class EncryptedSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore whose events are encrypted at rest."""

    Base = EncryptedBase
    SQLEvent = EncryptedSQLEvent

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        log_redaction.install()
        cipher()  # fail at start-up, not on the first message, when the keys are wrong
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name == "sqlite":
            sa.event.listen(self.engine, "connect", _secure_delete)
            self.engine.dispose()  # connections opened so far get the pragma when reopened
