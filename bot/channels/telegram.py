"""Telegram through python-telegram-bot v22: custom webhook (or long polling) and the sender."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from sanic import Blueprint, Request, Sanic
from sanic.response import HTTPResponse, empty, json
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from telegram import (
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
    ChannelAdapter,
    Delivery,
    SendError,
    hand_over,
    log,
    scrub,
    split_text,
)
from bot.chat_types import Button, Inbound, Reply
from bot.outgoing import post_message
from bot.privacy import short
from bot.settings import Settings
from bot.storage.models import Conversation, InboundReceipt, Message, OutboxItem, User, utcnow
from common.content import message as text

CHANNEL = "telegram"
WIPE = "/xoa"
WIPE_WORDS = frozenset({"/xoa", "/xóa", "/wipe", "xoa khung chat"})
WIPE_BUTTON = Button("🧹 Xóa tin nhắn trong khung chat", WIPE)
DELETABLE_FOR = timedelta(hours=47)  # Telegram deletes messages younger than 48 hours
ALLOWED_UPDATES = ["message", "callback_query"]
PRIVATE = filters.ChatType.PRIVATE


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
        """Check the secret in constant time, then put the update on the application's queue."""
        expected = self.settings.telegram_webhook_secret.encode()
        given = (request.headers.get("X-Telegram-Bot-Api-Secret-Token") or "").encode()
        if not expected or not hmac.compare_digest(given, expected):
            return json({"error": "forbidden"}, status=403)
        if not self.ready.is_set():
            return json({"error": "not ready"}, status=503)  # Telegram retries later
        try:
            data = request.json
            update = Update.de_json(data, self.application.bot) if isinstance(data, dict) else None
        except Exception:
            update = None
        if update is None:
            return json({"error": "not a Telegram update"}, status=400)
        await self.application.update_queue.put(update)
        return empty(200)

    # ---- handlers --------------------------------------------------------------------------

    async def on_start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/start: greet the child; the pipeline answers with the welcome and the menu."""
        await self._hand_over(update, "xin chào")

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A text message (or an unknown command) goes to the pipeline."""
        message = update.effective_message
        body = message.text if message is not None and message.text else ""
        if body.strip().lower() in WIPE_WORDS:
            await self.wipe(update)
            return
        await self._hand_over(update, body)

    async def on_other(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Stickers, photos, voice...: the pipeline answers that the bot reads only text."""
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
        asyncio.create_task(self._quietly(query.answer()))
        if query.data == WIPE:
            await self.wipe(update)
            return
        await self._hand_over(update, query.data or "")

    async def on_wipe_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/xoa: delete the conversation from the child's screen."""
        await self.wipe(update)

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log a handler error by type only (no chat ids, no token)."""
        error = context.error
        log.error("telegram handler error: %s", scrub(repr(error), self.secrets))

    # ---- helpers ---------------------------------------------------------------------------

    def _inbound(self, update: Update, body: str, kind: str = "text") -> Inbound | None:
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
        )

    async def _hand_over(self, update: Update, body: str, kind: str = "text") -> None:
        inbound = self._inbound(update, body, kind)
        if inbound is None or self._app is None:
            return
        # No await before handle(): the pipeline's per-user lock keeps the order of arrival.
        async with self._typing(int(inbound.address or inbound.platform_user_id)):
            await hand_over(self._app, inbound)

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

    async def wipe(self, update: Update) -> None:
        """Queue the deletion of the chat's messages (after anything still queued), then a note."""
        inbound = self._inbound(update, WIPE)
        if inbound is None or self._app is None:
            return
        privacy, db = self._app.ctx.privacy, self._app.ctx.db
        pseudonym = privacy.pseudonym(CHANNEL, inbound.platform_user_id)
        try:
            async with db.session() as session:
                session.add(InboundReceipt(channel=CHANNEL, platform_id=inbound.platform_id))
                await session.flush()
                user = await session.scalar(
                    select(User).where(User.channel == CHANNEL, User.pseudonym == pseudonym)
                )
                conversation = user and await session.scalar(
                    select(Conversation).where(Conversation.user_id == user.id)
                )
                if user is None or conversation is None:
                    return
                session.add(
                    Message(
                        conversation_id=conversation.id,
                        direction="in",
                        author="user",
                        text=WIPE,
                        platform_id=inbound.platform_id,
                    )
                )
                session.add(
                    OutboxItem(user_id=user.id, channel=CHANNEL, payload={"action": "wipe"})
                )
                await session.flush()
                await post_message(session, conversation, Reply(text("wipe_done")), author="bot")
        except IntegrityError:
            log.info("duplicate telegram wipe from %s", short(pseudonym))
            return
        self._app.ctx.outbox_wake()

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
        """The sender the outbox worker uses."""
        return TelegramSender(self)


def keyboard(buttons: tuple[Button, ...]) -> InlineKeyboardMarkup | None:
    """Buttons as an inline keyboard, one per row (payloads over 64 bytes are left out)."""
    rows = [
        [InlineKeyboardButton(b.title[:64], callback_data=b.payload)]
        for b in buttons
        if b.payload and len(b.payload.encode("utf-8")) <= 64
    ]
    return InlineKeyboardMarkup(rows) if rows else None


def offers_wipe(reply: Reply) -> bool:
    """The wipe button goes under the main menu and under every message naming the hotline."""
    return "111" in reply.text or any(b.payload == "/start_lesson" for b in reply.buttons)


def _seconds(value: int | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class TelegramSender:
    """Sends outbox items with the application's Bot: text parts, inline keyboards, wipes."""

    channel = CHANNEL

    def __init__(self, adapter: TelegramAdapter) -> None:
        self.adapter = adapter
        self.secrets = adapter.secrets

    async def send(self, delivery: Delivery) -> list[str]:
        """Send one item; raise SendError (retry_after on 429, permanent when refused)."""
        if not self.adapter.ready.is_set():
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
                sent = await self.adapter.application.bot.send_message(
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
        app = self.adapter._app
        assert app is not None
        since = utcnow() - DELETABLE_FOR
        async with app.ctx.db.session() as session:
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
        bot = self.adapter.application.bot
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
