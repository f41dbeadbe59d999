"""Zalo OA (signed events, cs messages, token refresh) and Zalo Bot Platform, without Rasa."""

from __future__ import annotations

import asyncio
import json

import httpx
from sqlalchemy import select

from bot.channels.zalo_oa import signature, verify
from bot.storage.models import ChannelToken, InboundReceipt, Message, OutboxItem
from common.content import message as text
from tests.channels.conftest import (
    ZALO_APP_ID,
    ZALO_BOT_SECRET,
    ZALO_SECRET,
    channel_settings,
    until,
)
from tests.channels.support import counsellor_replies, open_case_ids
from tests.channels.test_telegram_transport import count
from tests.fakes.zalo import FakeZaloBot, FakeZaloOA, signed, zalo_bot_update, zalo_event


async def post_event(url: str, event: dict, headers: dict | None = None) -> httpx.Response:
    """Post an OA event, signed as Zalo signs it unless headers are given."""
    body, good = signed(ZALO_APP_ID, ZALO_SECRET, event)
    async with httpx.AsyncClient() as client:
        return await client.post(url + "/webhooks/zalo", content=body,
                                 headers=good if headers is None else headers)


def test_signature_accepts_with_or_without_mac_prefix() -> None:
    body = b'{"timestamp":"1700000000000","event_name":"user_send_text"}'
    digest = signature("app", body, "1700000000000", "key")
    assert verify("app", body, f"mac={digest}", "key") == 200
    assert verify("app", body, digest, "key") == 200
    assert verify("app", body, None, "key") == 401
    assert verify("app", body, "mac=" + "0" * 64, "key") == 403
    assert verify("app", body + b" ", f"mac={digest}", "key") == 403


async def test_forged_missing_signature_rejected_nothing_stored(serve, zalo: FakeZaloOA) -> None:
    running = await serve(**channel_settings(zalo=zalo))
    event = zalo_event(ZALO_APP_ID, "z-100", "bố em đánh em", "m-1")
    body, headers = signed(ZALO_APP_ID, "wrong-secret", event)
    async with httpx.AsyncClient() as client:
        forged = await client.post(running.url + "/webhooks/zalo", content=body, headers=headers)
        missing = await client.post(running.url + "/webhooks/zalo", content=body,
                                    headers={"Content-Type": "application/json"})
    assert (forged.status_code, missing.status_code) == (403, 401)
    for model in (Message, InboundReceipt, OutboxItem):
        assert await count(running.app, model) == 0
    assert zalo.messages == []


async def test_escalation_over_zalo_ends_with_counsellor_reply(serve, zalo: FakeZaloOA) -> None:
    running = await serve(**channel_settings(zalo=zalo))
    event = zalo_event(ZALO_APP_ID, "z-200", "chú hàng xóm hay sờ vào chỗ kín của em", "m-2")
    response = await post_event(running.url, event)
    assert response.status_code == 200
    assert (await post_event(running.url, event)).status_code == 200  # duplicate delivery
    first = await until(lambda: zalo.texts("z-200"), what="the escalation reply")
    assert "111" in first[0] and "không phải lỗi" in first[0].lower()
    [case_id] = await open_case_ids(running.app.ctx.db)
    await counsellor_replies(running.app.ctx.db, case_id, ["Chào em, cô là cô Lan."])
    texts = await until(lambda: zalo.texts("z-200") if len(zalo.texts("z-200")) == 3 else None,
                        what="the counsellor's reply")
    assert texts[1:] == [text("counsellor_joined"), "Chào em, cô là cô Lan."]
    assert all(m["recipient"] == {"user_id": "z-200"} for m in zalo.messages)


async def test_sticker_and_expired_token_refreshed(serve, zalo: FakeZaloOA) -> None:
    running = await serve(**channel_settings(zalo=zalo))
    zalo.expire_token()
    zalo.refresh_token = "oa-refresh-1"
    event = zalo_event(ZALO_APP_ID, "z-300", None, "m-3", event_name="user_send_sticker")
    assert (await post_event(running.url, event)).status_code == 200
    texts = await until(lambda: zalo.texts("z-300"), what="the non-text reply")
    assert texts == [text("non_text")]
    assert len(zalo.refreshes) == 1
    assert zalo.refreshes[0]["grant_type"] == "refresh_token"
    async with running.app.ctx.db.session() as session:
        tokens = (await session.scalars(select(ChannelToken))).all()
    assert {t.name for t in tokens} == {"zalo_oa_access", "zalo_oa_refresh"}
    assert all("oa-" not in t.value for t in tokens)  # kept sealed, never in clear


async def test_buttons_become_zalo_query_buttons(zalo: FakeZaloOA) -> None:
    import dataclasses

    from bot.channels.base import Delivery
    from bot.channels.zalo_oa import ZaloOAAdapter
    from bot.settings import load_settings

    settings = dataclasses.replace(load_settings(), **channel_settings(zalo=zalo))
    adapter = ZaloOAAdapter(settings)
    payload = {"text": "Chọn nhé", "buttons": [{"title": "Học bài", "payload": "/start_lesson"}]}
    ids = await adapter.sender().send(Delivery(1, 1, "z-400", payload))
    await adapter.http.aclose()
    assert ids == ["zmsg1"]
    sent = zalo.messages[0]["message"]
    assert sent["text"] == "Chọn nhé"
    assert sent["attachment"]["payload"]["buttons"] == [
        {"title": "Học bài", "type": "oa.query.hide", "payload": "/start_lesson"}
    ]


async def test_zalo_bot_platform(serve, zalo_bot: FakeZaloBot) -> None:
    running = await serve(**channel_settings(zalo_bot=zalo_bot))
    update = zalo_bot_update("zb-1", "bố em đánh em đau lắm", "mid-1")
    async with httpx.AsyncClient() as client:
        url = running.url + "/webhooks/zalo-bot"
        forged = await client.post(url, json=update, headers={"X-Bot-Api-Secret-Token": "nope"})
        assert forged.status_code == 403
        assert await count(running.app, Message) == 0
        ok = await client.post(url, content=json.dumps(update),
                               headers={"X-Bot-Api-Secret-Token": ZALO_BOT_SECRET})
        assert ok.status_code == 200
        await client.post(url, json=update, headers={"X-Bot-Api-Secret-Token": ZALO_BOT_SECRET})
    await until(lambda: zalo_bot.texts("zb-1"), what="the escalation reply")
    await asyncio.sleep(0.5)
    texts = zalo_bot.texts("zb-1")
    assert len(texts) == 1 and "111" in texts[0]


async def test_zalo_outage_then_delivered_in_order(serve, zalo: FakeZaloOA) -> None:
    running = await serve(**channel_settings(zalo=zalo))
    zalo.failures = 2  # HTTP 503 twice
    event = zalo_event(ZALO_APP_ID, "z-500", "bố em đánh em đau lắm", "m-5")
    assert (await post_event(running.url, event)).status_code == 200
    await until(lambda: zalo.texts("z-500"), within=20, what="the escalation reply")
    [case_id] = await open_case_ids(running.app.ctx.db)
    zalo.failures = 1
    await counsellor_replies(running.app.ctx.db, case_id, ["một", "hai", "ba"])
    texts = await until(lambda: zalo.texts("z-500") if len(zalo.texts("z-500")) == 5 else None,
                        within=20, what="all messages")
    assert texts[1:] == [text("counsellor_joined"), "một", "hai", "ba"]
