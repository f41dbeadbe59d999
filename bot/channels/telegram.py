"""Telegram through python-telegram-bot v22: custom webhook (or long polling) and the sender."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
from collections.abc import AsyncIterator
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sanic import Blueprint, Request, Sanic
from sanic.response import HTTPResponse, empty, json
from sqlalchemy import select
from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.constants import ChatAction, MessageLimit
from telegram.error import BadRequest, Forbidden, InvalidToken, RetryAfter, TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.channels.base import (
    Background,
    ChannelAdapter,
    Delivery,
    SendError,
    has_lone_surrogate,
    log,
    process,
    scrub,
    split_text,
)
from bot.chat_types import Button, Inbound, Reply
from bot.settings import Settings
from bot.storage.db import Database
from bot.storage.models import Conversation, Message, utcnow

if TYPE_CHECKING:
    from bot.pipeline import Arrival

CHANNEL = "telegram"
WIPE = "/xoa"
WIPE_WORDS = frozenset({"/xoa", "/xóa", "/wipe", "xoa khung chat"})
WIPE_BUTTON = Button("🧹 Xóa tin nhắn trong khung chat", WIPE)
# The wipe button goes under every reply of these kinds (and under the main menu).
WIPE_OFFERED_KINDS = frozenset({"escalation", "review", "case"})
DELETABLE_FOR = timedelta(hours=47)  # Telegram deletes messages younger than 48 hours
ALLOWED_UPDATES = ["message", "callback_query"]
PRIVATE = filters.ChatType.PRIVATE


@dataclass
class Receipt:
    """Whether the update a webhook request is handling could be stored."""

    stored: bool = True


# Set by the webhook around `process_update`; the handler (awaited in the same task) reports.
_RECEIPT: ContextVar[Receipt | None] = ContextVar("telegram_receipt", default=None)


class TelegramAdapter(ChannelAdapter):
    """The Telegram channel: one PTB Application inside the gateway."""

    name = CHANNEL

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.polling = not settings.telegram_webhook_url
        builder = (
            Application.builder()
            .token(settings.telegram_bot_token)
            .base_url(settings.telegram_api_base_url)
            .concurrent_updates(True)
            .connection_pool_size(32)
        )
        if not self.polling:
            builder = builder.updater(None)
        self.application = builder.build()
        self.ready = asyncio.Event()
        self.background = Background()
        self._app: Sanic | None = None
        self._connector: asyncio.Task[None] | None = None
        self._add_handlers()

    @property
    def secrets(self) -> tuple[str, ...]:
        """Strings that must never reach a log."""
        return (self.settings.telegram_bot_token, self.settings.telegram_webhook_secret)

    def _add_handlers(self) -> None:
        app = self.application
        app.add_handler(CommandHandler("start", self.on_start, filters=PRIVATE))
        app.add_handler(CommandHandler("xoa", self.on_wipe_command, filters=PRIVATE))
        app.add_handler(CallbackQueryHandler(self.on_callback))
        only_new = filters.UpdateType.MESSAGE & PRIVATE
        app.add_handler(MessageHandler(only_new & filters.TEXT, self.on_text))
        app.add_handler(MessageHandler(only_new & ~filters.TEXT, self.on_other))
        app.add_error_handler(self.on_error)

    # ---- webhook -------------------------------------------------------------------------

    def blueprint(self) -> Blueprint:
        """POST /webhooks/telegram, authenticated by the secret-token header."""
        bp = Blueprint("telegram_webhook")
        bp.add_route(self.webhook, "/webhooks/telegram", methods=["POST"])
        return bp

    async def webhook(self, request: Request) -> HTTPResponse:
        """Check the secret, store the update's message, then answer (Telegram retries a 5xx)."""
        expected = self.settings.telegram_webhook_secret.encode()
        given = (request.headers.get("X-Telegram-Bot-Api-Secret-Token") or "").encode()
        if not expected or not hmac.compare_digest(given, expected):
            return json({"error": "forbidden"}, status=403)
        if not self.ready.is_set():
            return json({"error": "not ready"}, status=503)  # Telegram retries later
        try:
            data = request.json
        except Exception:
            data = None
        if has_lone_surrogate(data):
            log.warning("telegram update refused: a lone UTF-16 surrogate in its text")
            return json({"error": "invalid text (lone UTF-16 surrogate)"}, status=400)
        try:
            update = Update.de_json(data, self.application.bot) if isinstance(data, dict) else None
        except Exception:
            update = None
        if update is None:
            return json({"error": "not a Telegram update"}, status=400)
        receipt = Receipt()
        token = _RECEIPT.set(receipt)
        try:
            await self.application.process_update(update)  # the handler stores, then returns
        finally:
            _RECEIPT.reset(token)
        if not receipt.stored:
            return json({"error": "not stored"}, status=503)  # Telegram sends it again
        return empty(200)

    # ---- handlers --------------------------------------------------------------------------

    async def on_start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/start: greet the child; the pipeline answers with the welcome and the menu."""
        await self._hand_over(update, "xin chào")

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A text message (or an unknown command) goes to the pipeline."""
        message = update.effective_message
        body = message.text if message is not None and message.text else ""
        wipe = body.strip().lower() in WIPE_WORDS
        await self._hand_over(update, body, action="wipe" if wipe else None)

    async def on_other(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Stickers, photos, voice...: a caption is text to triage; without one, non-text."""
        message = update.effective_message
        kind = "other"
        if message is not None:
            if message.sticker:
                kind = "sticker"
            elif message.photo:
                kind = "image"
            elif message.voice or message.audio:
                kind = "audio"
            elif message.document or message.video or message.animation:
                kind = "file"
        await self._hand_over(update, (message.caption or "") if message else "", kind=kind)

    async def on_callback(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A tapped button: answer the callback query, then pass its payload on."""
        query = update.callback_query
        if query is None:
            return
        self.background.spawn(self._quietly(query.answer()), "telegram callback answer")
        data = query.data or ""
        await self._hand_over(update, data, action="wipe" if data == WIPE else None)

    async def on_wipe_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/xoa: delete the conversation from the child's screen (through the pipeline)."""
        message = update.effective_message
        await self._hand_over(update, (message.text if message else None) or WIPE, action="wipe")

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log a handler error by type only (no chat ids, no token)."""
        error = context.error
        log.error("telegram handler error: %s", scrub(repr(error), self.secrets))

    # ---- helpers ---------------------------------------------------------------------------

    def _inbound(
        self, update: Update, body: str, kind: str = "text", action: str | None = None
    ) -> Inbound | None:
        user, chat = update.effective_user, update.effective_chat
        if user is None or chat is None:
            return None
        message = update.effective_message if update.callback_query is None else None
        platform_id = str(update.update_id)
        if message is not None:
            platform_id = f"{update.update_id}:{message.message_id}"
        return Inbound(
            channel=CHANNEL,
            platform_user_id=str(user.id),
            text=body,
            platform_id=platform_id,
            kind=kind,
            address=str(chat.id),
            action=action,
        )

    async def _hand_over(
        self, update: Update, body: str, kind: str = "text", action: str | None = None
    ) -> None:
        """Store the message (the webhook answers after this), then answer it in the background."""
        inbound = self._inbound(update, body, kind, action)
        if inbound is None or self._app is None:
            return
        try:
            arrival = await self._app.ctx.pipeline.store(inbound)
        except Exception:
            receipt = _RECEIPT.get()
            if receipt is not None:
                receipt.stored = False
            raise
        if arrival is not None:
            self.background.spawn(self._answer(arrival), "telegram update")

    async def _answer(self, arrival: Arrival) -> None:
        """Triage, route and reply, showing "typing…" meanwhile."""
        assert self._app is not None
        inbound = arrival.inbound
        async with self._typing(int(inbound.address or inbound.platform_user_id)):
            await process(self._app, arrival)

    @contextlib.asynccontextmanager
    async def _typing(self, chat_id: int) -> AsyncIterator[None]:
        """Show "typing…" while the pipeline (and Rasa) think."""

        async def keep_typing() -> None:
            while True:
                await self._quietly(
                    self.application.bot.send_chat_action(chat_id, ChatAction.TYPING)
                )
                await asyncio.sleep(4.5)

        task = asyncio.create_task(keep_typing())
        try:
            yield
        finally:
            task.cancel()

    async def _quietly(self, call: Any) -> None:
        try:
            await call
        except TelegramError as exc:
            log.info("telegram call failed: %s", scrub(str(exc), self.secrets))

    async def show_typing(self, address: str) -> None:
        """Show "typing…" once in a chat (a counsellor is writing); a failure is only logged."""
        await self._quietly(self.application.bot.send_chat_action(int(address), ChatAction.TYPING))

    # ---- lifecycle -------------------------------------------------------------------------

    async def start(self, app: Sanic) -> None:
        """Connect in the background: a Telegram outage never blocks the gateway's start."""
        self._app = app
        self._connector = asyncio.create_task(self._connect())

    async def _connect(self) -> None:
        delay = 1.0
        while True:
            try:
                await self.application.initialize()
                await self.application.start()
                bot = self.application.bot
                if self.polling:
                    assert self.application.updater is not None
                    await self.application.updater.start_polling(allowed_updates=ALLOWED_UPDATES)
                else:
                    await bot.set_webhook(
                        self.settings.telegram_webhook_url,
                        secret_token=self.settings.telegram_webhook_secret or None,
                        allowed_updates=ALLOWED_UPDATES,
                    )
                await self._quietly(
                    bot.set_my_commands(
                        [
                            BotCommand("start", "Bắt đầu, xem menu"),
                            BotCommand("xoa", "Xóa tin nhắn trong khung chat"),
                        ]
                    )
                )
                self.ready.set()
                log.info("telegram connected (%s)", "polling" if self.polling else "webhook")
                return
            except InvalidToken:
                log.error("telegram: the bot token was refused; channel disabled")
                return
            except (TelegramError, OSError) as exc:
                log.warning("telegram not reachable (%s); retrying", scrub(str(exc), self.secrets))
                with contextlib.suppress(Exception):
                    if self.application.running:
                        await self.application.stop()
                await asyncio.sleep(delay)
                delay = min(60.0, delay * 2)

    async def stop(self, app: Sanic) -> None:
        """Stop polling and the application; the webhook stays set for the next start."""
        await self.background.drain()
        if self._connector is not None:
            self._connector.cancel()
            await asyncio.gather(self._connector, return_exceptions=True)
        with contextlib.suppress(Exception):
            updater = self.application.updater
            if updater is not None and updater.running:
                await updater.stop()
            if self.application.running:
                await self.application.stop()
            await self.application.shutdown()

    def sender(self) -> TelegramSender:
        """The sender the outbox worker uses (after start: it reads the gateway's database)."""
        assert self._app is not None, "start() before sender()"
        return TelegramSender(self.application.bot, self.ready, self.secrets, self._app.ctx.db)


def keyboard(buttons: tuple[Button, ...]) -> InlineKeyboardMarkup | None:
    """Buttons as an inline keyboard, one per row (payloads over 64 bytes are left out)."""
    rows = [
        [InlineKeyboardButton(b.title[:64], callback_data=b.payload)]
        for b in buttons
        if b.payload and len(b.payload.encode("utf-8")) <= 64
    ]
    return InlineKeyboardMarkup(rows) if rows else None


def offers_wipe(reply: Reply) -> bool:
    """The wipe button goes under the main menu and under escalations, reviews and case replies."""
    menu = any(b.payload == "/start_lesson" for b in reply.buttons)
    return menu or reply.kind in WIPE_OFFERED_KINDS


def _seconds(value: int | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class TelegramSender:
    """Sends outbox items with the application's Bot: text parts, inline keyboards, wipes."""

    channel = CHANNEL

    def __init__(
        self, bot: Bot, ready: asyncio.Event, secrets: tuple[str, ...], db: Database
    ) -> None:
        self.bot = bot
        self.ready = ready
        self.secrets = secrets
        self.db = db

    async def send(self, delivery: Delivery) -> list[str]:
        """Send one item; raise SendError (retry_after on 429, permanent when refused)."""
        if not self.ready.is_set():
            raise SendError("telegram not connected yet", retry_after=2.0)
        if delivery.payload.get("action") == "wipe":
            return await self._wipe(delivery)
        reply = delivery.reply
        markup = keyboard(reply.buttons + ((WIPE_BUTTON,) if offers_wipe(reply) else ()))
        body = reply.text or ("👇" if markup else "")
        if not body:
            return []
        parts = split_text(body, MessageLimit.MAX_TEXT_LENGTH)
        done = list(delivery.sent_ids)
        new: list[str] = []
        for index in range(len(done), len(parts)):
            last = index == len(parts) - 1
            try:
                sent = await self.bot.send_message(
                    int(delivery.address), parts[index], reply_markup=markup if last else None
                )
            except TelegramError as exc:
                raise self._error(exc, new) from None
            new.append(str(sent.message_id))
        return done + new

    def _error(self, exc: TelegramError, sent: list[str]) -> SendError:
        reason = scrub(f"{type(exc).__name__}: {exc}", self.secrets)
        if isinstance(exc, RetryAfter):
            return SendError(reason, retry_after=_seconds(exc.retry_after), sent_ids=sent)
        if isinstance(exc, Forbidden | InvalidToken) or (
            isinstance(exc, BadRequest) and "chat not found" in str(exc).lower()
        ):
            return SendError(reason, permanent=True, sent_ids=sent)
        return SendError(reason, sent_ids=sent)

    async def _wipe(self, delivery: Delivery) -> list[str]:
        """Delete the messages of this chat that Telegram still lets a bot delete."""
        since = utcnow() - DELETABLE_FOR
        async with self.db.session() as session:
            rows = await session.execute(
                select(Message.direction, Message.platform_id)
                .join(Conversation, Conversation.id == Message.conversation_id)
                .where(
                    Conversation.user_id == delivery.user_id,
                    Message.platform_id.is_not(None),
                    Message.created_at >= since,
                )
            )
            ids = sorted({i for direction, pid in rows.all() for i in _message_ids(direction, pid)})
        bot = self.bot
        for start in range(0, len(ids), 100):
            try:
                await bot.delete_messages(int(delivery.address), ids[start : start + 100])
            except TelegramError as exc:
                if isinstance(exc, BadRequest):
                    log.info("telegram wipe: %s", scrub(str(exc), self.secrets))
                    continue
                raise self._error(exc, []) from None
        log.info("telegram wipe deleted %d messages for user %s", len(ids), delivery.user_id)
        return []


def _message_ids(direction: str, platform_id: str | None) -> list[int]:
    """Telegram message ids kept on a stored message ("update:message" in, "1,2" out)."""
    if not platform_id:
        return []
    if direction == "in":
        _, _, message_id = platform_id.partition(":")
        return [int(message_id)] if message_id.isdigit() else []
    return [int(p) for p in platform_id.split(",") if p.isdigit()]
