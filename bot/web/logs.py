"""Keep web chat ids out of the access log: the documented path form carries one."""

from __future__ import annotations

import logging
import re

_CHAT_ID_IN_PATH = re.compile(r"(/api/chat/)[^/?\s]+(/messages)")


def redact(line: str) -> str:
    """A request line with any web chat id in its path replaced by '…'."""
    return _CHAT_ID_IN_PATH.sub(r"\1…\2", line)


class RedactChatIds(logging.Filter):
    """Rewrites the `request` field of Sanic's access log records."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact, never drop."""
        request = getattr(record, "request", None)
        if isinstance(request, str):
            record.request = redact(request)
        return True


def install() -> None:
    """Attach the filter to Sanic's access logger (once per process)."""
    access = logging.getLogger("sanic.access")
    if not any(isinstance(f, RedactChatIds) for f in access.filters):
        access.addFilter(RedactChatIds())
