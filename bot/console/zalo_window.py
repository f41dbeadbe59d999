"""Zalo OA reply window: at most 8 replies within 48 hours of the user's last message."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.storage.models import as_utc

REPLY_LIMIT = 8
WINDOW = timedelta(hours=48)


@dataclass(frozen=True)
class ReplyWindow:
    """How many replies a counsellor may still send to a Zalo OA user, and until when."""

    limit: int
    used: int
    remaining: int
    expires_at: datetime | None

    @property
    def open(self) -> bool:
        """A reply can still be sent now."""
        return self.remaining > 0

    def as_dict(self) -> dict[str, object]:
        """JSON form for the console."""
        return {
            "limit": self.limit,
            "used": self.used,
            "remaining": self.remaining,
            "open": self.open,
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
        }


def reply_window(
    last_inbound_at: datetime | None,
    outgoing_at: Iterable[datetime],
    now: datetime,
    limit: int = REPLY_LIMIT,
    window: timedelta = WINDOW,
) -> ReplyWindow:
    """Replies left: `limit` minus messages sent since the user's last message, within `window`."""
    if last_inbound_at is None:
        return ReplyWindow(limit=limit, used=0, remaining=0, expires_at=None)
    start = as_utc(last_inbound_at)
    expires = start + window
    used = sum(1 for sent in outgoing_at if start <= as_utc(sent) <= as_utc(now))
    remaining = max(0, limit - used) if as_utc(now) < expires else 0
    return ReplyWindow(limit=limit, used=used, remaining=remaining, expires_at=expires)
