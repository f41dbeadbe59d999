"""One inbound message's way through, in stages: store, triage, route, reply.

1. store: de-duplicate and store the message before anything else (a database step);
2. triage: the rule screen and the learned signal on the text, with the conversation's context
   (no database, no Rasa), then `bot.safety.triage.decide`, the only place a handoff is decided;
3. route: by the conversation's state (bot, waiting, counsellor) and the decision: a case, the
   case's chat, an erase request, or Rasa (whose risk intent is one more signal for the triage);
4. reply: the replies and the decision are stored in one transaction (a database step).
Only database steps are retried on a reconnect; a message is never sent to Rasa twice.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TypeVar

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot import speaker
from bot.changefeed import ChangeKind, record
from bot.chat_types import Button, ChatResult, Handoff, Inbound, Reply
from bot.erasure import CANCEL, CONFIRM, erase_user_data, is_erase_request
from bot.handoff.cases import active_case, open_or_raise
from bot.handoff.replies import escalation_reply, review_line, risk_raised_reply
from bot.handoff.reviews import note_review
from bot.outgoing import PULL_CHANNELS, post_message, queue_action
from bot.privacy import Privacy, short
from bot.rasa_client import RasaAnswer, RasaClient, RasaUnavailable, escape_command
from bot.rasa_tracker import RasaTrackerStore
from bot.safety import SafetyResult, screen
from bot.safety.learned import LearnedClassifier, LearnedScores
from bot.safety.triage import (
    DEFAULT_THRESHOLDS,
    Activity,
    Context,
    Decision,
    RasaSignal,
    Recent,
    Thresholds,
    Triage,
    decide,
    with_case,
)
from bot.storage.db import Database, with_reconnect
from bot.storage.models import (
    Case,
    Conversation,
    InboundReceipt,
    Message,
    User,
    utcnow,
)
from common.content import bot_text, voiced
from common.taxonomy import HANDOFF_INTENTS

log = logging.getLogger("kidsafe.pipeline")
T = TypeVar("T")
RECENT_MESSAGES = 5
RECENT_WINDOW = timedelta(hours=24)
TRIAGE_TEXT_LIMIT = 8000  # a too-long message is still triaged on its first characters
_ACTIVITIES = frozenset(a.value for a in Activity)


@dataclass(frozen=True)
class Stored:
    """The ids of the rows written when a message arrives."""

    user_id: int
    conversation_id: int
    message_id: int


@dataclass(frozen=True)
class Arrival:
    """A stored inbound message waiting for its triage, route and reply."""

    inbound: Inbound
    pseudonym: str
    stored: Stored
    view: View | None = None  # read in the storing transaction when the user's lock is held


@dataclass(frozen=True)
class View:
    """What the triage and the router need of the conversation, read once after storing."""

    state: str = "bot"
    case_id: str | None = None
    case_risk: str | None = None
    offered: tuple[str, ...] = ()
    titles: tuple[str, ...] = ()
    activity: str = "chat"
    speaker: str = speaker.UNKNOWN
    recent: tuple[Recent, ...] = ()

    @property
    def audience(self) -> str:
        """Whom the bot speaks to (unsure: a child)."""
        return speaker.as_audience(self.speaker)


@dataclass
class Outcome:
    """What routing decided to say and record for one message."""

    replies: list[Reply] = field(default_factory=list)
    kind: str = "answer"  # answer | escalation | review | case | erasure | wipe
    triage: Triage | None = None
    learned: LearnedScores | None = None
    cues: tuple[str, ...] = ()
    body: str = ""


@dataclass(frozen=True)
class Turn:
    """One message being answered: its transaction, conversation, stored row, view and triage."""

    session: AsyncSession
    conversation: Conversation
    stored: Stored
    view: View
    triage: Triage

    async def link_to(self, case_id: str) -> None:
        """File the stored message under a case."""
        await self.session.execute(
            update(Message).where(Message.id == self.stored.message_id).values(case_id=case_id)
        )


def message_body(inbound: Inbound) -> str:
    """The text to triage and answer: a text message's, or the caption sent with a photo."""
    return inbound.text.strip()


def activity_of(payloads: list[str]) -> str:
    """What the bot has on screen, from the buttons it offered."""
    if any(p.startswith("/answer") for p in payloads):
        return Activity.QUIZ.value
    if any(p.startswith("/next_step") for p in payloads):
        return Activity.LESSON.value
    if any(p.startswith(("/start_lesson", "/start_quiz", "/faq_menu")) for p in payloads):
        return Activity.MENU.value
    return Activity.CHAT.value


def remember_offered(conversation: Conversation, replies: list[Reply]) -> None:
    """Keep the buttons just offered (payloads and titles) and what they put on screen."""
    payloads = [b.payload for r in replies for b in r.buttons]
    conversation.offered_payloads = payloads
    conversation.offered_titles = [b.title for r in replies for b in r.buttons]
    conversation.activity = activity_of(payloads)


def rasa_signal(answer: RasaAnswer) -> RasaSignal | None:
    """Rasa's risk intent and confidence from its handoff signal, if it sent one."""
    if answer.handoff is None:
        return None
    intent = str(answer.handoff.get("intent") or "")
    if intent not in HANDOFF_INTENTS:
        return None
    try:
        confidence = float(answer.handoff.get("confidence") or 0.0)
    except (TypeError, ValueError):
        confidence = 0.0
    return RasaSignal(intent, confidence)


class Pipeline:
    """Routes every inbound message; safe when Rasa is wrong, slow or down."""

    def __init__(
        self,
        db: Database,
        rasa: RasaClient,
        privacy: Privacy,
        max_text_chars: int,
        tracker: RasaTrackerStore | None = None,
        learned: LearnedClassifier | None = None,
        limits: Thresholds = DEFAULT_THRESHOLDS,
    ) -> None:
        self.db = db
        self.tracker = tracker or RasaTrackerStore(None)
        self.rasa = rasa
        self.privacy = privacy
        self.max_text_chars = max_text_chars
        self.learned = learned
        self.fusion = learned.fusion if learned is not None else None
        self.limits = limits
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )

    def _lock(self, pseudonym: str) -> asyncio.Lock:
        lock = self._locks.get(pseudonym)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[pseudonym] = lock
        return lock

    @staticmethod
    async def _db(operation: Callable[[], Awaitable[T]]) -> T:
        """A database step, retried while the database reconnects."""
        return await with_reconnect(operation)

    # ------------------------------------------------------------------ the stages

    async def handle(self, inbound: Inbound) -> ChatResult:
        """Store the message first, then triage, route and reply; one user's messages in order."""
        pseudonym = self.privacy.pseudonym(inbound.channel, inbound.platform_user_id)
        async with self._lock(pseudonym):
            arrival = await self._arrive(inbound, pseudonym, with_view=True)
            if arrival is None:
                return await self._db(lambda: self._duplicate(inbound, pseudonym))
            return await self._answer(arrival)

    async def store(self, inbound: Inbound) -> Arrival | None:
        """The store stage alone (None if seen before), for a webhook that answers once stored.

        It takes no per-user lock, so a webhook is answered while an earlier message of the
        same user is still being answered; `process` then keeps the order of storing.
        """
        pseudonym = self.privacy.pseudonym(inbound.channel, inbound.platform_user_id)
        return await self._arrive(inbound, pseudonym)

    async def process(self, arrival: Arrival) -> ChatResult:
        """Triage, route and reply to a message `store` kept; one user's messages in order."""
        async with self._lock(arrival.pseudonym):
            return await self._answer(arrival)

    async def _arrive(self, inbound: Inbound, pseudonym: str,
                      with_view: bool = False) -> Arrival | None:
        """Store the message; with the user's lock held, read the view in the same transaction."""
        kept = await self._db(lambda: self._store_inbound(inbound, pseudonym, with_view))
        if kept is None:
            log.info("duplicate %s message from %s", inbound.channel, short(pseudonym))
            return None
        stored, view = kept
        return Arrival(inbound, pseudonym, stored, view)

    async def _answer(self, arrival: Arrival) -> ChatResult:
        inbound, pseudonym, stored = arrival.inbound, arrival.pseudonym, arrival.stored
        view = arrival.view
        if view is None:
            view = await self._db(lambda: self._view(stored, inbound))
        body = message_body(inbound)
        found, learned = await self._signals(body)
        context = self._context(view, body)
        triage = with_case(
            decide(found, learned, context, text=body, fusion=self.fusion, limits=self.limits),
            view.case_risk,
        )
        outcome = await self._route(inbound, pseudonym, stored, view, body, found, learned,
                                    context, triage)
        outcome.learned, outcome.cues = learned, found.cues
        if outcome.triage is None:
            outcome.triage = triage
        return await self._db(lambda: self._reply(stored, view, outcome))

    async def _signals(self, body: str) -> tuple[SafetyResult, LearnedScores | None]:
        """The rule screen and the learned signal on the text (none on an empty text)."""
        if not body:
            return SafetyResult(), None
        sample = body[:TRIAGE_TEXT_LIMIT]
        found = screen(sample)
        learned = None
        if self.learned is not None:
            try:
                learned = await self.learned.ascore(sample)
            except Exception:  # noqa: BLE001 - the rules and Rasa still decide; health reports it
                log.exception("learned safety signal failed")
        return found, learned

    def _context(self, view: View, body: str) -> Context:
        """The triage's view of the conversation."""
        tapped = body if body and body in view.offered else None
        return Context(
            state=view.state,
            activity=Activity(view.activity if view.activity in _ACTIVITIES else "chat"),
            options=view.titles,
            tapped=tapped,
            # inside a case the earlier messages are already the case's risk: a message raises
            # it only by what it says itself
            recent=view.recent if view.state == "bot" else (),
            case_risk=view.case_risk,
            speaker=speaker.as_audience(view.speaker),
        )

    async def _route(
        self,
        inbound: Inbound,
        pseudonym: str,
        stored: Stored,
        view: View,
        body: str,
        found: SafetyResult,
        learned: LearnedScores | None,
        context: Context,
        triage: Triage,
    ) -> Outcome:
        """Decide what to say: the case's chat, a new case, a guard reply, erasure or Rasa."""
        if inbound.action == "wipe" and not triage.escalate:
            return Outcome(kind="wipe", triage=triage)
        if view.state != "bot":
            return Outcome(kind="case", triage=triage)
        if triage.escalate:
            return Outcome(kind="escalation", triage=triage)
        if inbound.kind != "text" and not body:
            return Outcome([Reply(bot_text("non_text"))])
        if not body:
            return Outcome([Reply(bot_text("empty_text"))])
        if len(body) > self.max_text_chars:
            too_long = Reply(bot_text("too_long", limit=self.max_text_chars))
            return self._with_review(Outcome([too_long], triage=triage), view)
        if body in (CONFIRM, CANCEL) and body in view.offered or is_erase_request(body):
            return Outcome(kind="erasure", triage=triage, body=body)
        message = body if body in view.offered else escape_command(body)
        try:
            answer = await self.rasa.send(pseudonym, message)
        except RasaUnavailable as exc:
            log.warning("rasa unavailable for %s: %s", short(pseudonym), exc)
            return self._with_review(Outcome([Reply(bot_text("rasa_down"))], triage=triage), view)
        signal = rasa_signal(answer)
        if signal is not None:
            triage = with_case(
                decide(found, learned, context, signal, text=body, fusion=self.fusion,
                       limits=self.limits),
                view.case_risk,
            )
            if triage.escalate:
                return Outcome(kind="escalation", triage=triage)
        replies = answer.replies or [Reply(bot_text("fallback"))]
        return self._with_review(Outcome(replies, triage=triage), view)

    def _with_review(self, outcome: Outcome, view: View) -> Outcome:
        """A doubtful message: the usual answer plus one gentle line."""
        if outcome.triage is not None and outcome.triage.decision is Decision.REVIEW:
            outcome.replies = [*outcome.replies, Reply(review_line(view.audience), kind="review")]
            outcome.kind = "review"
        return outcome

    # ------------------------------------------------------------------ database steps

    async def _store_inbound(
        self, inbound: Inbound, pseudonym: str, with_view: bool = False
    ) -> tuple[Stored, View | None] | None:
        """De-duplicate and store the inbound message before anything else; None if seen.

        With `with_view` (the user's lock held) the conversation's view is read in the same
        transaction: one transaction fewer per message."""
        for attempt in range(3):
            try:
                async with self.db.session() as session:
                    if inbound.platform_id is not None:
                        session.add(InboundReceipt(channel=inbound.channel,
                                                   platform_id=self._receipt(inbound)))
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
                        text=inbound.text if inbound.kind == "text" or inbound.text else None,
                        kind=inbound.kind,
                        platform_id=self._stored_reference(inbound),
                    )
                    session.add(message)
                    await session.flush()
                    await record(session, ChangeKind.MESSAGE, conversation_id=conversation.id,
                                 case_id=message.case_id,
                                 detail={"direction": "in", "author": "user"})
                    stored = Stored(user.id, conversation.id, message.id)
                    view = (await self._read_view(session, conversation, stored, inbound)
                            if with_view else None)
                    return stored, view
            except IntegrityError:
                if inbound.platform_id is not None and await self._seen(inbound):
                    return None
                if attempt == 2:
                    raise
        return None  # pragma: no cover

    def _receipt(self, inbound: Inbound) -> str:
        """The keyed de-duplication reference of a platform message id (never the id itself)."""
        return self.privacy.reference(inbound.channel, inbound.platform_id or "")

    def _stored_reference(self, inbound: Inbound) -> str | None:
        """What the message row keeps of its platform id (bounded, keyed; None without one)."""
        if inbound.platform_id is None:
            return None
        return self.privacy.message_reference(inbound.channel, inbound.platform_id)

    async def _seen(self, inbound: Inbound) -> bool:
        async with self.db.session() as session:
            found = await session.scalar(
                select(InboundReceipt.id).where(
                    InboundReceipt.channel == inbound.channel,
                    InboundReceipt.platform_id == self._receipt(inbound),
                )
            )
            return found is not None

    async def _duplicate(self, inbound: Inbound, pseudonym: str) -> ChatResult:
        """A message seen before: no new reply, its earlier decision and the handoff state."""
        handoff = await self.handoff_state(inbound.channel, pseudonym)
        async with self.db.session() as session:
            earlier = await session.scalar(
                select(Message.triage)
                .join(Conversation, Conversation.id == Message.conversation_id)
                .join(User, User.id == Conversation.user_id)
                .where(User.channel == inbound.channel, User.pseudonym == pseudonym,
                       Message.platform_id == self._stored_reference(inbound))
                .order_by(Message.id.desc())
                .limit(1)
            )
        decision = str((earlier or {}).get("decision") or "answer")
        return ChatResult(handoff=handoff, triage=decision, kind="duplicate")

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

    async def _view(self, stored: Stored, inbound: Inbound) -> View:
        """Read the conversation's view in a transaction of its own."""
        async with self.db.session() as session:
            conversation = await session.get(Conversation, stored.conversation_id)
            assert conversation is not None
            return await self._read_view(session, conversation, stored, inbound)

    async def _read_view(self, session: AsyncSession, conversation: Conversation,
                         stored: Stored, inbound: Inbound) -> View:
        """Read the conversation's state and the user's recent triage; update the speaker."""
        case = await active_case(session, conversation)
        if conversation.state != "bot" and case is None:  # closed elsewhere: back to the bot
            conversation.state = "bot"
        offered = list(conversation.offered_payloads or [])
        body = message_body(inbound)
        guessed = (
            speaker.from_payload(body, conversation.speaker)
            if body in offered
            else speaker.guess(body, conversation.speaker)
        )
        conversation.speaker = guessed
        since = utcnow() - RECENT_WINDOW
        rows = await session.scalars(
            select(Message.triage)
            .where(
                Message.conversation_id == conversation.id,
                Message.direction == "in",
                Message.id < stored.message_id,
                Message.created_at >= since,
                Message.case_id.is_(None),  # risk a case already took to a counsellor: not again
            )
            .order_by(Message.id.desc())
            .limit(RECENT_MESSAGES)
        )
        recent = tuple(
            Recent(
                risky=float((t.get("learned") or {}).get("risky") or 0.0),
                category=t.get("category"),
                cues=tuple(t.get("cues") or ()),
                decision=str(t.get("decision") or "answer"),
            )
            for t in reversed(rows.all())
            if t
        )
        return View(
            state=conversation.state,
            case_id=case.id if case is not None else None,
            case_risk=case.risk if case is not None else None,
            offered=tuple(offered),
            titles=tuple(conversation.offered_titles or ()),
            activity=conversation.activity or "chat",
            speaker=guessed,
            recent=recent,
        )

    async def _reply(self, stored: Stored, view: View, outcome: Outcome) -> ChatResult:
        """Store the decision and the replies in one transaction; open or raise a case."""
        triage = outcome.triage
        assert triage is not None
        async with self.db.session() as session:
            conversation = await session.get(Conversation, stored.conversation_id)
            assert conversation is not None
            record = {**triage.as_dict(), "cues": list(outcome.cues)}
            if outcome.learned is not None:
                record["learned"] = outcome.learned.as_dict()
            await session.execute(
                update(Message).where(Message.id == stored.message_id).values(triage=record)
            )
            turn = Turn(session, conversation, stored, view, triage)
            if outcome.kind == "wipe":
                return await self._wipe(turn)
            if outcome.kind == "case" or conversation.state != "bot":
                return await self._in_case(turn)
            if outcome.kind == "escalation":
                return await self._escalate(turn)
            if outcome.kind == "erasure":
                return await self._erasure(turn, outcome.body)
            if outcome.kind == "review":
                await note_review(session, conversation, stored.message_id, triage)
            for reply in outcome.replies:
                await post_message(session, conversation, reply, author="bot")
            remember_offered(conversation, outcome.replies)
        return ChatResult(replies=outcome.replies, triage=triage.decision.value, kind=outcome.kind)

    async def _in_case(self, turn: Turn) -> ChatResult:
        """A message in a handed-off chat goes to its case: acknowledged, or raised if riskier."""
        conversation, triage = turn.conversation, turn.triage
        case = await active_case(turn.session, conversation)
        if case is None:
            conversation.state = "bot"
            return ChatResult(triage=triage.decision.value, kind="case")
        await turn.link_to(case.id)
        replies: list[Reply] = []
        if triage.escalate:
            await open_or_raise(turn.session, conversation, risk=triage.risk.value,
                                category=triage.category, source="triage",
                                reasons=list(triage.reasons))
            replies.append(Reply(risk_raised_reply(case.category, case.risk,
                                                   audience=turn.view.audience), kind="escalation"))
        elif conversation.state == "waiting":
            first = conversation.waiting_ack_at is None
            replies.append(Reply(voiced("waiting_ack" if first else "waiting_ack_again",
                                        turn.view.audience)))
        for reply in replies:
            await post_message(turn.session, conversation, reply, author="bot", case_id=case.id)
        if replies:
            conversation.waiting_ack_at = utcnow()
        return ChatResult(replies=replies, handoff=_handoff_of(case),
                          triage=triage.decision.value, kind="case")

    async def _escalate(self, turn: Turn) -> ChatResult:
        """Open the case, tell the user what happens next and how to call 111."""
        triage = turn.triage
        case, _created = await open_or_raise(
            turn.session, turn.conversation, risk=triage.risk.value, category=triage.category,
            source="request" if triage.request else "triage", reasons=list(triage.reasons),
        )
        await turn.link_to(case.id)
        reply = Reply(escalation_reply(case.category, case.risk, audience=turn.view.audience,
                                       request=triage.request), kind="escalation")
        await post_message(turn.session, turn.conversation, reply, author="bot", case_id=case.id)
        remember_offered(turn.conversation, [])
        turn.conversation.waiting_ack_at = None
        log.info("escalated case %s risk=%s category=%s", case.id, case.risk, case.category)
        return ChatResult(replies=[reply], handoff=_handoff_of(case),
                          triage=triage.decision.value, kind="escalation")

    async def _erasure(self, turn: Turn, body: str) -> ChatResult:
        """Ask to confirm an erasure request, then erase the user's messages outside cases."""
        if body == CANCEL:
            replies = [Reply(bot_text("menu"))]
        elif body != CONFIRM:
            buttons = (Button("Xóa tin nhắn của em", CONFIRM), Button("Không xóa", CANCEL))
            replies = [Reply(bot_text("erase_confirm"), buttons)]
        else:
            await erase_user_data(turn.session, turn.conversation,
                                  keep_message_id=turn.stored.message_id)
            user = await turn.session.get(User, turn.conversation.user_id)
            if user is not None:
                await self.tracker.erase(user.pseudonym)
            replies = [Reply(bot_text("erase_done"))]
        if turn.triage.decision is Decision.REVIEW:
            await note_review(turn.session, turn.conversation, turn.stored.message_id, turn.triage)
            replies.append(Reply(review_line(turn.view.audience), kind="review"))
        for reply in replies:
            await post_message(turn.session, turn.conversation, reply, author="bot")
        remember_offered(turn.conversation, replies)
        return ChatResult(replies=replies, triage=turn.triage.decision.value, kind="erasure")

    async def _wipe(self, turn: Turn) -> ChatResult:
        """Clear the chat from the user's screen (the channel does it) and say so; records stay."""
        case = await active_case(turn.session, turn.conversation)
        if turn.triage.decision is Decision.REVIEW:
            await note_review(turn.session, turn.conversation, turn.stored.message_id, turn.triage)
        queue_action(turn.session, turn.conversation, "wipe")
        reply = Reply(bot_text("wipe_done"), kind="wipe")
        await post_message(turn.session, turn.conversation, reply, author="bot",
                           case_id=case.id if case is not None else None)
        remember_offered(turn.conversation, [reply])
        return ChatResult(replies=[reply], handoff=_handoff_of(case),
                          triage=turn.triage.decision.value, kind="wipe")

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
