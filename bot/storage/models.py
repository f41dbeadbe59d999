"""Database tables of the gateway (SQLAlchemy 2 declarative models)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from bot.storage.encryption import EncryptedJSON, EncryptedText

BigId = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> datetime:
    """Current time, timezone-aware UTC."""
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """A stored time as aware UTC (SQLite hands back naive datetimes)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def new_case_id() -> str:
    """A short random public case id (no personal data in it)."""
    return "C" + secrets.token_hex(5).upper()


class Base(DeclarativeBase):
    """Declarative base with timezone-aware timestamps."""

    type_annotation_map = {datetime: DateTime(timezone=True), dict[str, Any]: JSON}


class User(Base):
    """A child or parent on one channel, known only by a pseudonym."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("channel", "pseudonym", name="uq_users_channel_pseudonym"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(20))
    pseudonym: Mapped[str] = mapped_column(String(64))
    address: Mapped[str | None] = mapped_column(Text, default=None)  # encrypted platform chat id
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_inbound_at: Mapped[datetime | None] = mapped_column(default=None)
    erased_at: Mapped[datetime | None] = mapped_column(default=None)
    # web chats: SHA-256 of the chat's session secret (the secret is never stored)
    session_hash: Mapped[str | None] = mapped_column(String(64), default=None)

    conversation: Mapped[Conversation] = relationship(back_populates="user", uselist=False)


class Conversation(Base):
    """The single ongoing conversation of a user, with its routing state."""

    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    channel: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(12), default="bot")  # bot | waiting | counsellor
    active_case_id: Mapped[str | None] = mapped_column(String(16), default=None)
    offered_payloads: Mapped[list[str]] = mapped_column(JSON, default=list)
    offered_titles: Mapped[list[str]] = mapped_column(JSON, default=list)
    activity: Mapped[str] = mapped_column(String(8), default="chat")  # chat | quiz | lesson | menu
    speaker: Mapped[str] = mapped_column(String(8), default="unknown")  # child | parent | unknown
    waiting_ack_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    user: Mapped[User] = relationship(back_populates="conversation")


class Message(Base):
    """One message in or out; text may be erased by retention, the row (a count) stays."""

    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_conversation_id_id", "conversation_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    case_id: Mapped[str | None] = mapped_column(String(16), index=True, default=None)
    direction: Mapped[str] = mapped_column(String(3))  # in | out
    author: Mapped[str] = mapped_column(String(12))  # user | bot | counsellor | system
    counsellor_id: Mapped[int | None] = mapped_column(ForeignKey("counsellors.id"), default=None)
    text: Mapped[str | None] = mapped_column(EncryptedText, default=None)  # encrypted at rest
    buttons: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    kind: Mapped[str] = mapped_column(String(12), default="text")  # text | sticker | image | ...
    # keyed reference of the platform message id (bot.privacy), or ids of the replies sent
    platform_id: Mapped[str | None] = mapped_column(String(80), default=None)
    # the triage of an inbound message: decision, risk, category, score, reasons (no text)
    triage: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class InboundReceipt(Base):
    """A platform message id already received: de-duplicates webhooks before any work."""

    __tablename__ = "inbound_receipts"
    __table_args__ = (UniqueConstraint("channel", "platform_id", name="uq_receipts_channel_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(20))
    platform_id: Mapped[str] = mapped_column(String(80))  # keyed hash, never the platform's id
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class Counsellor(Base):
    """A console account: counsellor, supervisor or admin."""

    __tablename__ = "counsellors"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(12), default="counsellor")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(default=None)
    last_seen_at: Mapped[datetime | None] = mapped_column(default=None)  # console open (live)


class Case(Base):
    """An escalated conversation handled by a counsellor."""

    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_status_risk", "status", "risk_rank"),
        Index("ix_cases_opened_at", "opened_at"),
    )

    id: Mapped[str] = mapped_column(String(16), primary_key=True, default=new_case_id)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    risk: Mapped[str] = mapped_column(String(10))  # concern | high | imminent
    risk_rank: Mapped[int] = mapped_column(Integer)
    category: Mapped[str | None] = mapped_column(String(24), default=None)
    source: Mapped[str] = mapped_column(String(12))  # screen | rasa | request | parent
    status: Mapped[str] = mapped_column(String(10), default="open")  # open|active|referred|closed
    counsellor_id: Mapped[int | None] = mapped_column(ForeignKey("counsellors.id"), default=None)
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(default=None)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    archived_at: Mapped[datetime | None] = mapped_column(default=None)
    timeout_alerted_at: Mapped[datetime | None] = mapped_column(default=None)
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)  # the triage's, when opened
    step: Mapped[str] = mapped_column(String(14), default="received")  # bot.handoff.states
    transfer_to_id: Mapped[int | None] = mapped_column(BigId, default=None)  # offered to them


class Review(Base):
    """A conversation the triage was unsure about: listed for a counsellor, never locking it."""

    __tablename__ = "reviews"
    __table_args__ = (Index("ix_reviews_status_score", "status", "score"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"), default=None)
    channel: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10), default="open")  # open | taken | dismissed
    score: Mapped[float] = mapped_column(Float, default=0.0)
    risk: Mapped[str] = mapped_column(String(10), default="concern")
    category: Mapped[str | None] = mapped_column(String(24), default=None)
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    messages: Mapped[int] = mapped_column(Integer, default=1)  # doubtful messages counted here
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("counsellors.id"), default=None)
    resolution: Mapped[str | None] = mapped_column(EncryptedText, default=None)  # why dismissed
    case_id: Mapped[str | None] = mapped_column(String(16), default=None)  # when taken


class Note(Base):
    """A counsellor's note on a case."""

    __tablename__ = "notes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    counsellor_id: Mapped[int] = mapped_column(ForeignKey("counsellors.id"))
    text: Mapped[str] = mapped_column(EncryptedText)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(10), default="note")  # note | whisper (supervisor)


class Referral(Base):
    """A case referred to an outside service (police, health, social affairs, school)."""

    __tablename__ = "referrals"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    counsellor_id: Mapped[int] = mapped_column(ForeignKey("counsellors.id"))
    service: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(EncryptedText, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(10), default="made")  # bot.handoff.states
    updated_at: Mapped[datetime | None] = mapped_column(default=None)


class ConsoleSession(Base):
    """A logged-in console session (only the token's hash is stored)."""

    __tablename__ = "console_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    counsellor_id: Mapped[int] = mapped_column(ForeignKey("counsellors.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()


class LoginThrottle(Base):
    """Failed console logins counted per address, account or both (bot.console.throttle)."""

    __tablename__ = "login_throttle"
    __table_args__ = (UniqueConstraint("scope", "key", name="uq_login_throttle_scope_key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(8))  # address | account | pair | unknown
    key: Mapped[str] = mapped_column(String(80))  # keyed address hash, account id, or both
    failures: Mapped[int] = mapped_column(Integer, default=0)  # since the last quiet period
    blocked_until: Mapped[datetime | None] = mapped_column(default=None)
    window_start: Mapped[datetime] = mapped_column(default=utcnow)  # one audit row a window
    window_failures: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class AuditEntry(Base):
    """Append-only record of every view and action on case data."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(64))  # counsellor:<id> | system
    action: Mapped[str] = mapped_column(String(40))
    case_id: Mapped[str | None] = mapped_column(String(16), index=True, default=None)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class OutboxItem(Base):
    """A message waiting to be sent through a channel, retried until sent."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"), default=None)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    payload: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON, default=dict)  # the reply
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending | sent | dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(String(300), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)


def _alert_key(context: Any) -> str:
    """An alert's default de-duplication key: its kind and its case (or subject)."""
    values = context.get_current_parameters()
    return f"{values.get('kind')}:{values.get('case_id') or values.get('subject') or ''}"[:64]


class Alert(Base):
    """A supervisor alert (for example nobody accepted a case in time)."""

    __tablename__ = "alerts"
    __table_args__ = (  # one open alert per kind and subject (a case, a channel), counted
        Index("uq_alerts_open_key", "dedupe_key", unique=True,
              sqlite_where=text("acknowledged_at IS NULL"),
              postgresql_where=text("acknowledged_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[str | None] = mapped_column(String(16), index=True, default=None)
    kind: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column(default=None)
    dedupe_key: Mapped[str] = mapped_column(String(64), default=_alert_key)  # kind:case|subject
    subject: Mapped[str] = mapped_column(String(40), default="")  # e.g. the channel of a burst
    count: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime | None] = mapped_column(default=None)


class ChannelToken(Base):
    """A refreshed channel credential (the Zalo OA access token) kept across restarts."""

    __tablename__ = "channel_tokens"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Change(Base):
    """One row of the change feed (bot.changefeed): what changed, never message text."""

    __tablename__ = "changes"
    __table_args__ = ({"sqlite_autoincrement": True},)  # ids never reused after pruning

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(12))
    conversation_id: Mapped[int | None] = mapped_column(BigId, default=None)
    case_id: Mapped[str | None] = mapped_column(String(16), default=None)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class CaseStepEntry(Base):
    """A step of a case (111's process), with who took it and when."""

    __tablename__ = "case_steps"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    step: Mapped[str] = mapped_column(String(14))
    counsellor_id: Mapped[int | None] = mapped_column(ForeignKey("counsellors.id"), default=None)
    note: Mapped[str | None] = mapped_column(EncryptedText, default=None)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class RiskAssessment(Base):
    """A counsellor's structured risk assessment and the risk it set."""

    __tablename__ = "risk_assessments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    counsellor_id: Mapped[int] = mapped_column(ForeignKey("counsellors.id"))
    kind: Mapped[str] = mapped_column(String(12))  # self_harm | abuse
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    risk: Mapped[str] = mapped_column(String(10))
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CaseTransfer(Base):
    """A case offered to another counsellor or a supervisor, who accepts or rejects it."""

    __tablename__ = "case_transfers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    from_counsellor_id: Mapped[int] = mapped_column(ForeignKey("counsellors.id"))
    to_counsellor_id: Mapped[int] = mapped_column(ForeignKey("counsellors.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    note: Mapped[str] = mapped_column(EncryptedText, default="")
    answer: Mapped[str | None] = mapped_column(EncryptedText, default=None)  # why rejected
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)


class FollowUp(Base):
    """A date to get back to a case, reminded on the console until done."""

    __tablename__ = "follow_ups"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    counsellor_id: Mapped[int] = mapped_column(ForeignKey("counsellors.id"))
    due_at: Mapped[datetime] = mapped_column(index=True)
    note: Mapped[str] = mapped_column(EncryptedText, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(default=None)
    done_by: Mapped[int | None] = mapped_column(ForeignKey("counsellors.id"), default=None)
