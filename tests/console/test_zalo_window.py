"""The Zalo OA reply window: 8 replies within 48 hours of the user's last message."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.console.zalo_window import REPLY_LIMIT, reply_window

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def test_no_message_from_the_user_means_no_reply_allowed() -> None:
    window = reply_window(None, [], NOW)
    assert window.remaining == 0 and not window.open and window.expires_at is None


def test_replies_since_the_last_message_count_against_eight() -> None:
    last = NOW - timedelta(hours=3)
    before = [last - timedelta(minutes=5)] * 4  # older replies do not count
    since = [last + timedelta(minutes=i) for i in range(3)]
    window = reply_window(last, before + since, NOW)
    assert (window.used, window.remaining, window.limit) == (3, 5, REPLY_LIMIT)
    assert window.expires_at == last + timedelta(hours=48) and window.open


def test_window_closes_after_eight_replies_or_forty_eight_hours() -> None:
    last = NOW - timedelta(hours=1)
    full = reply_window(last, [last + timedelta(seconds=i) for i in range(9)], NOW)
    assert full.remaining == 0 and not full.open
    expired = reply_window(NOW - timedelta(hours=48, seconds=1), [], NOW)
    assert expired.remaining == 0 and not expired.open
    edge = reply_window(NOW - timedelta(hours=47, minutes=59), [], NOW)
    assert edge.remaining == 8


def test_naive_database_times_are_treated_as_utc() -> None:
    last = (NOW - timedelta(hours=2)).replace(tzinfo=None)
    window = reply_window(last, [(NOW - timedelta(hours=1)).replace(tzinfo=None)], NOW)
    assert window.used == 1 and window.as_dict()["remaining"] == 7
