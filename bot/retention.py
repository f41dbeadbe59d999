"""Data retention: message text of conversations without a case is deleted after RETENTION_DAYS."""

from __future__ import annotations

import argparse
import asyncio
import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from bot.cli import command
from bot.rasa_tracker import RasaTrackerStore
from bot.settings import get_settings
from bot.storage.audit import audit
from bot.storage.db import Database, checkpoint_after_commit
from bot.storage.models import (
    Case,
    Conversation,
    InboundReceipt,
    Message,
    OutboxItem,
    User,
    utcnow,
)

log = logging.getLogger("kidsafe.retention")


@dataclass(frozen=True)
class RetentionReport:
    """How much the retention job removed (counts only)."""

    messages_purged: int
    outbox_purged: int
    receipts_deleted: int
    platform_ids_cleared: int = 0
    tracker_events_deleted: int = 0


def _no_open_case() -> ColumnElement[bool]:
    """Messages whose conversation has no case, or only archived ones."""
    kept = exists().where(Case.conversation_id == Message.conversation_id,
                          Case.archived_at.is_(None))
    return ~kept


async def purge(session: AsyncSession, days: int, now: datetime | None = None) -> RetentionReport:
    """Blank old message text outside cases; keep rows so counts remain; forget platform ids
    (receipts, and the references kept on messages, cases' included)."""
    cutoff = (now or utcnow()) - timedelta(days=days)
    messages = await session.execute(
        update(Message)
        .where(Message.created_at < cutoff, Message.text.is_not(None), _no_open_case())
        .values(text=None, buttons=[])
        .execution_options(synchronize_session=False)
    )
    outbox = await session.execute(
        update(OutboxItem)
        .where(OutboxItem.created_at < cutoff, OutboxItem.status != "pending")
        .values(payload={})
        .execution_options(synchronize_session=False)
    )
    receipts = await session.execute(
        delete(InboundReceipt).where(InboundReceipt.received_at < cutoff)
    )
    references = await session.execute(
        update(Message)
        .where(Message.created_at < cutoff, Message.platform_id.is_not(None))
        .values(platform_id=None)
        .execution_options(synchronize_session=False)
    )
    report = RetentionReport(
        messages.rowcount or 0,  # type: ignore[attr-defined]
        outbox.rowcount or 0,  # type: ignore[attr-defined]
        receipts.rowcount or 0,  # type: ignore[attr-defined]
        references.rowcount or 0,  # type: ignore[attr-defined]
    )
    audit(session, "retention_run", days=days, **report.__dict__)
    checkpoint_after_commit(session)
    return report


async def senders_with_cases(session: AsyncSession) -> tuple[str, ...]:
    """Rasa sender ids (pseudonyms) of conversations whose case is not archived."""
    rows = await session.scalars(
        select(User.pseudonym)
        .join(Conversation, Conversation.user_id == User.id)
        .join(Case, Case.conversation_id == Conversation.id)
        .where(Case.archived_at.is_(None))
        .distinct()
    )
    return tuple(rows.all())


async def retention_pass(db: Database, tracker: RasaTrackerStore, days: int) -> RetentionReport:
    """Purge the gateway's data and Rasa's tracker history older than the retention period."""
    async with db.session() as session:
        report = await purge(session, days)
        exempt = await senders_with_cases(session)
    deleted = await tracker.purge_older_than(days, exempt)
    return replace(report, tracker_events_deleted=deleted)


async def run_retention(database_url: str, tracker_url: str, days: int) -> RetentionReport:
    """One retention pass from the command line."""
    db, tracker = Database(database_url), RasaTrackerStore(tracker_url)
    try:
        return await retention_pass(db, tracker, days)
    finally:
        await db.dispose()
        await tracker.close()


async def retention_loop(
    db: Database, tracker: RasaTrackerStore, days: int, every_seconds: float = 6 * 3600
) -> None:
    """Run the retention job periodically inside the gateway."""
    while True:
        try:
            report = await retention_pass(db, tracker, days)
            log.info("retention: %s", report)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("retention job failed; will retry")
        await asyncio.sleep(every_seconds)


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--days", type=int, default=None, help="override RETENTION_DAYS")


@command("retention", "delete old message text of conversations without a case", _arguments)
def retention_command(args: argparse.Namespace) -> int:
    """Run the retention job once from the command line."""
    settings = get_settings()
    days = args.days or settings.retention_days
    report = asyncio.run(run_retention(settings.database_url, settings.rasa_tracker_url, days))
    print(
        f"purged {report.messages_purged} messages, {report.outbox_purged} outbox items, "
        f"{report.tracker_events_deleted} Rasa events; deleted {report.receipts_deleted} receipts"
        f" and {report.platform_ids_cleared} platform ids"
    )
    return 0

