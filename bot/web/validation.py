"""Checks of the web chat's input: ids, text, message ids and paging numbers (pure functions).

Each check returns None when the value is acceptable, otherwise the sentence a 400 answer carries.
"""

from __future__ import annotations

import re

MAX_USER_ID = 128
MAX_MESSAGE_ID = 128
MAX_ROW_ID = 2**63 - 1  # the largest id a database row can have (BIGINT)
USER_ID_CHARACTERS = "letters A-Z a-z, digits and - _ . ~ : @ + ="
_USER_ID = re.compile(r"[A-Za-z0-9_.~:@+=-]+")
_ROW_ID = re.compile(r"[0-9]{1,19}")


def has_lone_surrogate(value: str) -> bool:
    """True when a string holds a UTF-16 surrogate on its own (it cannot be stored as UTF-8)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def user_id_problem(user_id: object) -> str | None:
    """Why a web user id is not acceptable (1-128 URL-safe characters), or None."""
    if not isinstance(user_id, str) or not user_id:
        return "'user_id' must be a non-empty string"
    if len(user_id) > MAX_USER_ID:
        return f"'user_id' must be at most {MAX_USER_ID} characters"
    if has_lone_surrogate(user_id) or not _USER_ID.fullmatch(user_id):
        return f"'user_id' may only contain {USER_ID_CHARACTERS}"
    return None


def text_problem(text: object) -> str | None:
    """Why a message text is not acceptable (length is the pipeline's business), or None."""
    if not isinstance(text, str):
        return "'text' must be a string"
    if has_lone_surrogate(text):
        return "'text' contains an unpaired UTF-16 surrogate (not valid Unicode text)"
    return None


def message_id_problem(message_id: object) -> str | None:
    """Why a client's message id is not acceptable (a string or integer, bounded), or None."""
    if message_id is None:
        return None
    if isinstance(message_id, bool) or not isinstance(message_id, str | int):
        return "'message_id' must be a string or a number"
    shown = str(message_id)
    if not shown or len(shown) > MAX_MESSAGE_ID:
        return f"'message_id' must have 1 to {MAX_MESSAGE_ID} characters"
    if has_lone_surrogate(shown):
        return "'message_id' contains an unpaired UTF-16 surrogate"
    return None


def row_id(raw: str | None) -> int | None:
    """A paging message id such as `after=` (0 when absent), or None when it is not one."""
    if raw is None or raw == "":
        return 0
    if not _ROW_ID.fullmatch(raw):
        return None
    value = int(raw)
    return value if value <= MAX_ROW_ID else None
