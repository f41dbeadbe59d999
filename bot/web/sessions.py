"""Web chat sessions: a chat belongs to whoever holds the secret its first answer returned.

The first `POST /api/chat` for a new web user id claims the chat and answers a random secret;
only its SHA-256 is stored (users.session_hash). Every later call for that id presents the
secret in `X-Chat-Session`, compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.storage.db import Database, with_reconnect
from bot.storage.models import Conversation, User

SESSION_HEADER = "X-Chat-Session"
USER_HEADER = "X-Chat-User"  # the page's form: the id in a header, never in a URL
CHANNEL = "web"
MAX_SECRET = 128
_NO_MATCH = hashlib.sha256(b"no session").hexdigest()


def new_secret() -> str:
    """A fresh session secret (256 random bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """What is stored of a secret: its SHA-256 in hex."""
    return hashlib.sha256(secret.encode("utf-8", "replace")).hexdigest()


def holds(stored_hash: str | None, presented: str | None) -> bool:
    """True when the presented secret is the chat's; the comparison takes constant time."""
    given = digest(presented) if presented and len(presented) <= MAX_SECRET else _NO_MATCH
    same = hmac.compare_digest(stored_hash or _NO_MATCH, given)
    return same and stored_hash is not None and given != _NO_MATCH


@dataclass(frozen=True)
class Holder:
    """A web chat whose session was presented (or just created)."""

    user_pk: int
    pseudonym: str
    conversation_id: int | None = None
    new_secret: str | None = None  # only on the claim of a new user id


async def claim_or_check(db: Database, pseudonym: str, presented: str | None) -> Holder | None:
    """A new user id gets a session; a known one must present it; None when refused."""

    async def attempt() -> Holder | None:
        async with db.engine.connect() as connection:  # a known id (nearly every call): one read
            known = (await connection.execute(
                select(User.id, User.session_hash)
                .where(User.channel == CHANNEL, User.pseudonym == pseudonym)
            )).first()
        if known is not None:
            return Holder(known.id, pseudonym) if holds(known.session_hash, presented) else None
        async with db.session() as session:
            secret = new_secret()
            user = User(channel=CHANNEL, pseudonym=pseudonym, session_hash=digest(secret))
            session.add(user)
            await session.flush()
            return Holder(user.id, pseudonym, new_secret=secret)

    try:
        return await with_reconnect(attempt)
    except IntegrityError:  # claimed at the same moment by another request: not ours
        return None


async def check(db: Database, pseudonym: str, presented: str | None) -> Holder | None:
    """The chat of a known user id when its session is presented; None otherwise."""

    async def attempt() -> Holder | None:
        async with db.session() as session:
            row = (
                await session.execute(
                    select(User, Conversation.id)
                    .outerjoin(Conversation, Conversation.user_id == User.id)
                    .where(User.channel == CHANNEL, User.pseudonym == pseudonym)
                )
            ).first()
            if row is None:
                holds(None, presented)  # the same work whether or not the id exists
                return None
            holder = _checked(row[0], presented)
            if holder is None:
                return None
            return Holder(holder.user_pk, pseudonym, conversation_id=row[1])

    return await with_reconnect(attempt)


def _checked(user: User, presented: str | None) -> Holder | None:
    return Holder(user.id, user.pseudonym) if holds(user.session_hash, presented) else None
