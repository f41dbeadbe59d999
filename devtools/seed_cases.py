"""Many open cases at once, inserted in bulk with SQL (a busy shift), with a known make-up."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import insert, select, update

from bot.handoff.states import CaseStatus, CaseStep
from bot.storage.db import Database
from bot.storage.models import Case, Conversation, Message, User, utcnow
from common.taxonomy import CATEGORIES, RiskLevel

TIMED_OUT_AFTER = timedelta(minutes=5)


def risk_of(index: int) -> str:
    """Six in ten concern, three high, one imminent."""
    return "concern" if index % 10 < 6 else ("high" if index % 10 < 9 else "imminent")


def channel_of(index: int) -> str:
    """A quarter on Telegram, the rest on the web chat."""
    return "telegram" if index % 4 == 0 else "web"


@dataclass
class Seeded:
    """What was inserted: counts by category, risk and channel, and the time-outs."""

    total: int = 0
    by_category: Counter[str] = field(default_factory=Counter)
    by_risk: Counter[str] = field(default_factory=Counter)
    by_channel: Counter[str] = field(default_factory=Counter)
    timeouts: int = 0
    oldest: datetime | None = None


async def seed_open_cases(db: Database, count: int, spread: timedelta = timedelta(hours=3),
                          prefix: str = "seed") -> Seeded:
    """`count` waiting cases opened over the last `spread`, each with one message of the child;
    those older than five minutes were already reminded of 111 (as the time-out watcher does)."""
    now = utcnow()
    seeded = Seeded(total=count)
    step = spread / max(count, 1)
    async with db.session() as session:
        await session.execute(insert(User), [
            {"channel": channel_of(i), "pseudonym": f"{prefix}-{i}", "created_at": now - spread,
             "last_seen_at": now, "last_inbound_at": now} for i in range(count)])
        users = dict((await session.execute(
            select(User.pseudonym, User.id).where(User.pseudonym.like(f"{prefix}-%")))).all())
        await session.execute(insert(Conversation), [
            {"user_id": users[f"{prefix}-{i}"], "channel": channel_of(i), "state": "waiting",
             "speaker": "child"} for i in range(count)])
        conversations = dict((await session.execute(
            select(Conversation.user_id, Conversation.id)
            .where(Conversation.user_id.in_(users.values())))).all())
        cases = []
        for i in range(count):
            opened = now - spread + step * i
            risk, category = risk_of(i), CATEGORIES[i % len(CATEGORIES)]
            alerted = opened if now - opened > TIMED_OUT_AFTER else None
            cases.append({
                "id": f"S{prefix[:2].upper()}{i:08d}", "channel": channel_of(i),
                "conversation_id": conversations[users[f"{prefix}-{i}"]], "risk": risk,
                "risk_rank": RiskLevel(risk).rank, "category": category, "source": "triage",
                "status": CaseStatus.OPEN, "step": CaseStep.RECEIVED, "opened_at": opened,
                "timeout_alerted_at": alerted, "reasons": ["rules: seeded"]})
            seeded.by_category[category] += 1
            seeded.by_risk[risk] += 1
            seeded.by_channel[channel_of(i)] += 1
            seeded.timeouts += alerted is not None
        seeded.oldest = now - spread
        await session.execute(insert(Case), cases)
        await session.execute(insert(Message), [
            {"conversation_id": c["conversation_id"], "case_id": c["id"], "direction": "in",
             "author": "user", "text": f"tin nhắn số {n} <i>của trẻ</i>", "kind": "text",
             "created_at": c["opened_at"]} for n, c in enumerate(cases)])
        await session.execute(update(Conversation), [
            {"id": c["conversation_id"], "active_case_id": c["id"]} for c in cases])
    return seeded
