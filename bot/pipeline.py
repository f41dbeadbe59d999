"""One inbound message's way through: store, screen, route (bot, waiting, counsellor), reply."""

from __future__ import annotations

import asyncio
import logging
import weakref
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.erasure import CANCEL, CONFIRM, erase_user_data, is_erase_request
from bot.handoff.cases import active_case, open_or_raise
from bot.handoff.replies import escalation_reply
from bot.handoff.reporter import is_parent_report
from bot.outgoing import PULL_CHANNELS, post_message
from bot.privacy import Privacy, short
from bot.rasa_client import RasaClient, RasaUnavailable, escape_command
from bot.rasa_tracker import RasaTrackerStore
from bot.replies import Button, ChatResult, Handoff, Inbound, Reply
from bot.safety import SafetyResult, screen
from bot.storage.db import Database, with_reconnect
from bot.storage.models import (
    Case,
    Conversation,
    InboundReceipt,
    Message,
    User,
    as_utc,
    utcnow,
)
from common.content import message as text

log = logging.getLogger("kidsafe.pipeline")
WAITING_ACK_EVERY = timedelta(minutes=2)


@dataclass(frozen=True)
class Stored:
    """The ids of the rows written when a message arrives."""

    user_id: int
    conversation_id: int
    message_id: int


class Pipeline:
    """Routes every inbound message; safe when Rasa is wrong, slow or down."""

    def __init__(
        self,
        db: Database,
        rasa: RasaClient,
        privacy: Privacy,
        max_text_chars: int,
        tracker: RasaTrackerStore | None = None,
    ) -> None:
        self.db = db
        self.tracker = tracker or RasaTrackerStore(None)
        self.rasa = rasa
        self.privacy = privacy
        self.max_text_chars = max_text_chars
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )

    def _lock(self, pseudonym: str) -> asyncio.Lock:
        lock = self._locks.get(pseudonym)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[pseudonym] = lock
        return lock

    async def handle(self, inbound: Inbound) -> ChatResult:
        """Store the message first, then answer it; messages of one user run in order."""
        pseudonym = self.privacy.pseudonym(inbound.channel, inbound.platform_user_id)
        async with self._lock(pseudonym):
            stored = await with_reconnect(lambda: self._store_inbound(inbound, pseudonym))
            if stored is None:
                log.info("duplicate %s message from %s", inbound.channel, short(pseudonym))
                result = ChatResult(duplicate=True, user_pseudonym=pseudonym)
                result.handoff = await self.handoff_state(inbound.channel, pseudonym)
                return result
            result = await with_reconnect(lambda: self._route(inbound, pseudonym, stored))
            result.user_pseudonym = pseudonym
            return result

    async def _store_inbound(self, inbound: Inbound, pseudonym: str) -> Stored | None:
        """De-duplicate and store the inbound message before anything else; None if seen."""
        for attempt in range(3):
            try:
                async with self.db.session() as session:
                    if inbound.platform_id is not None:
                        session.add(
                            InboundReceipt(channel=inbound.channel, platform_id=inbound.platform_id)
                        )
                        await session.flush()
                    user, conversation = await self._user_and_conversation(
                        session, inbound, pseudonym
                    )
                    message = Message(
                        conversation_id=conversation.id,
                        case_id=conversation.active_case_id
                        if conversation.state != "bot"
                        else None,
                        direction="in",
                        author="user",
                        text=inbound.text if inbound.kind == "text" else None,
                        kind=inbound.kind,
                        platform_id=inbound.platform_id,
                    )
                    session.add(message)
                    await session.flush()
                    return Stored(user.id, conversation.id, message.id)
            except IntegrityError:
                if inbound.platform_id is not None and await self._seen(inbound):
                    return None
                if attempt == 2:
                    raise
        return None  # pragma: no cover

    async def _seen(self, inbound: Inbound) -> bool:
        async with self.db.session() as session:
            found = await session.scalar(
                select(InboundReceipt.id).where(
                    InboundReceipt.channel == inbound.channel,
                    InboundReceipt.platform_id == inbound.platform_id,
                )
            )
            return found is not None

    async def _user_and_conversation(
        self, session: AsyncSession, inbound: Inbound, pseudonym: str
    ) -> tuple[User, Conversation]:
        user = await session.scalar(
            select(User).where(User.channel == inbound.channel, User.pseudonym == pseudonym)
        )
        now = utcnow()
        if user is None:
            user = User(channel=inbound.channel, pseudonym=pseudonym)
            session.add(user)
            await session.flush()
        user.last_seen_at = now
        user.last_inbound_at = now
        user.erased_at = None
        if inbound.channel not in PULL_CHANNELS and user.address is None:
            user.address = self.privacy.seal(inbound.address or inbound.platform_user_id)
        conversation = await session.scalar(
            select(Conversation).where(Conversation.user_id == user.id)
        )
        if conversation is None:
            conversation = Conversation(user_id=user.id, channel=inbound.channel)
            session.add(conversation)
            await session.flush()
        return user, conversation

    async def _route(self, inbound: Inbound, pseudonym: str, stored: Stored) -> ChatResult:
        """Decide the answer from the conversation's state and the safety screen."""
        body = inbound.text.strip() if inbound.kind == "text" else ""
        verdict = screen(body) if body else None
        async with self.db.session() as session:
            conversation = await session.get(Conversation, stored.conversation_id)
            assert conversation is not None
            if conversation.state != "bot":
                return await self._to_case(session, conversation, verdict, stored)
            if verdict is not None and verdict.escalate:
                return await self._escalate_from_screen(
                    session, conversation, verdict, body, stored
                )
            offered = list(conversation.offered_payloads or [])
        if inbound.kind != "text":
            return await self._answer(stored, [Reply(text("non_text"))])
        if not body:
            return await self._answer(stored, [Reply(text("empty_text"))])
        if len(body) > self.max_text_chars:
            return await self._answer(stored, [Reply(text("too_long", limit=self.max_text_chars))])
        if body in (CONFIRM, CANCEL) and body in offered or is_erase_request(body):
            return await self._erasure(stored, body, pseudonym)
        message = body if body in offered else escape_command(body)
        try:
            answer = await self.rasa.send(pseudonym, message)
        except RasaUnavailable as exc:
            log.warning("rasa unavailable for %s: %s", short(pseudonym), exc)
            return await self._answer(stored, [Reply(text("rasa_down"))])
        if answer.handoff is not None:
            return await self._escalate_from_rasa(stored, answer.handoff, body)
        return await self._answer(stored, answer.replies or [Reply(text("fallback"))])

    async def _to_case(
        self,
        session: AsyncSession,
        conversation: Conversation,
        verdict: SafetyResult | None,
        stored: Stored,
    ) -> ChatResult:
        """A message in a handed-off chat goes to the case; its risk may rise."""
        case = await active_case(session, conversation)
        if case is None:  # case closed elsewhere: the bot has the chat again
            conversation.state = "bot"
            return ChatResult(handoff=Handoff())
        if verdict is not None and verdict.escalate and verdict.risk.value != "none":
            await open_or_raise(
                session,
                conversation,
                risk=verdict.risk.value,
                category=verdict.category,
                source="screen",
            )
        replies: list[Reply] = []
        now = utcnow()
        last_ack = conversation.waiting_ack_at
        if conversation.state == "waiting" and (
            last_ack is None or now - as_utc(last_ack) >= WAITING_ACK_EVERY
        ):
            reply = Reply(text("waiting_ack"))
            await post_message(session, conversation, reply, author="bot", case_id=case.id)
            conversation.waiting_ack_at = now
            replies.append(reply)
        return ChatResult(replies=replies, handoff=_handoff_of(case))

    async def _escalate_from_screen(
        self,
        session: AsyncSession,
        conversation: Conversation,
        verdict: SafetyResult,
        body: str,
        stored: Stored,
    ) -> ChatResult:
        category: str | None = verdict.category
        if verdict.request_human and verdict.risk.value in ("none", "concern"):
            source, risk, category = "request", "concern", category or "other"
        else:
            source = "parent" if is_parent_report(body) else "screen"
            risk = verdict.risk.value if verdict.risk.value != "none" else "concern"
        return await self._escalate(session, conversation, risk, category, source, stored)

    async def _escalate_from_rasa(
        self, stored: Stored, signal: dict[str, object], body: str
    ) -> ChatResult:
        risk = str(signal.get("risk") or "high")
        if risk not in ("concern", "high", "imminent"):
            risk = "high"
        category = str(signal.get("category") or "other")
        source = "request" if category == "other" and risk == "concern" else "rasa"
        if source == "rasa" and is_parent_report(body):
            source = "parent"
        async with self.db.session() as session:
            conversation = await session.get(Conversation, stored.conversation_id)
            assert conversation is not None
            return await self._escalate(session, conversation, risk, category, source, stored)

    async def _escalate(
        self,
        session: AsyncSession,
        conversation: Conversation,
        risk: str,
        category: str | None,
        source: str,
        stored: Stored,
    ) -> ChatResult:
        """Open the case, tell the user a counsellor is coming and how to call 111."""
        case, _created = await open_or_raise(
            session, conversation, risk=risk, category=category, source=source
        )
        await session.execute(
            update(Message).where(Message.id == stored.message_id).values(case_id=case.id)
        )
        reply = Reply(escalation_reply(case.category, case.risk, source=source))
        await post_message(session, conversation, reply, author="bot", case_id=case.id)
        conversation.offered_payloads = []
        conversation.waiting_ack_at = utcnow()
        log.info("escalated case %s risk=%s category=%s", case.id, case.risk, case.category)
        return ChatResult(replies=[reply], handoff=_handoff_of(case), escalated=True)

    async def _erasure(self, stored: Stored, body: str, pseudonym: str) -> ChatResult:
        """Ask to confirm an erasure request, then erase the user's messages outside cases."""
        if body == CANCEL:
            return await self._answer(stored, [Reply(text("menu"))])
        if body != CONFIRM:
            buttons = (Button("Xóa tin nhắn của em", CONFIRM), Button("Không xóa", CANCEL))
            return await self._answer(stored, [Reply(text("erase_confirm"), buttons)])
        async with self.db.session() as session:
            conversation = await session.get(Conversation, stored.conversation_id)
            assert conversation is not None
            await erase_user_data(session, conversation)
            await self.tracker.erase(pseudonym)
        return await self._answer(stored, [Reply(text("erase_done"))])

    async def _answer(self, stored: Stored, replies: list[Reply]) -> ChatResult:
        """Store the bot's replies and remember the buttons it offered."""
        async with self.db.session() as session:
            conversation = await session.get(Conversation, stored.conversation_id)
            assert conversation is not None
            if conversation.state != "bot":  # a counsellor took it meanwhile
                case = await active_case(session, conversation)
                return ChatResult(handoff=_handoff_of(case))
            for reply in replies:
                await post_message(session, conversation, reply, author="bot")
            conversation.offered_payloads = [b.payload for r in replies for b in r.buttons]
        return ChatResult(replies=replies)

    async def handoff_state(self, channel: str, pseudonym: str) -> Handoff:
        """The current handoff state of a user's conversation."""
        async with self.db.session() as session:
            conversation = await session.scalar(
                select(Conversation)
                .join(User, User.id == Conversation.user_id)
                .where(User.channel == channel, User.pseudonym == pseudonym)
            )
            if conversation is None or conversation.state == "bot":
                return Handoff()
            return _handoff_of(await active_case(session, conversation))


def _handoff_of(case: Case | None) -> Handoff:
    if case is None:
        return Handoff()
    return Handoff(active=True, case_id=case.id, risk=case.risk, category=case.category)

