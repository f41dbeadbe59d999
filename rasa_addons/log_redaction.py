"""Keep children's message text out of Rasa's logs.

Rasa 3.6 logs a user's text at ERROR when a REST request times out or fails
(`rest.message.received.timeout` / `.failure`, through structlog), and much more at DEBUG.
This filter, installed on the root logger's handlers of the Rasa server, drops Rasa's records
below INFO and replaces the value of every text-carrying key of a structured record.
"""

from __future__ import annotations

import json
import logging
import re

REDACTED = "[redacted]"
# the keys Rasa's own anonymizer treats as personal (rasa/utils/log_utils.py), and a few more
SENSITIVE_KEYS = frozenset({
    "text", "response_text", "user_text", "slot_values", "parse_data_text",
    "parse_data_entities", "prediction_events", "tracker_latest_message", "prefilled_slots",
    "message", "response", "slot_candidates", "rasa_event", "rasa_events", "tracker_states",
    "current_states", "old_states", "states", "entity", "current_entity", "next_entity",
    "token_text", "user_message", "json_message", "metadata", "utterance",
})
_CONSOLE_PAIR = re.compile(
    r"\b(" + "|".join(sorted(SENSITIVE_KEYS)) + r")=('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|\S+)"
)
_QUIET_PREFIXES = ("rasa", "rasa_sdk", "sanic", "actions")


class RedactMessageText(logging.Filter):
    """Drops Rasa's DEBUG records and blanks text-carrying fields of structured records."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep the record (redacted) unless it is a DEBUG record of Rasa."""
        if record.levelno < logging.INFO and record.name.startswith(_QUIET_PREFIXES):
            return False
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record is dropped, never raised
            return False
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def redact(message: str) -> str:
    """The message with the values of sensitive keys replaced (JSON or key=value form)."""
    stripped = message.strip()
    if stripped.startswith("{"):
        try:
            data = json.loads(stripped)
        except ValueError:
            data = None
        if isinstance(data, dict):
            hidden = SENSITIVE_KEYS.intersection(data)
            if not hidden:
                return message
            data.update({key: REDACTED for key in hidden})
            return json.dumps(data, ensure_ascii=False)
    return _CONSOLE_PAIR.sub(lambda m: f"{m.group(1)}={REDACTED}", message)


def install() -> None:
    """Add the filter to every handler of the root logger (once); Rasa's loggers propagate."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactMessageText) for f in handler.filters):
            handler.addFilter(RedactMessageText())
