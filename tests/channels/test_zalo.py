"""Zalo OA (signed events, their age, cs messages, buttons, token refresh) and the Zalo Bot
Platform, without the real Rasa."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from sqlalchemy import select

from bot.channels.zalo_oa import event_age_problem, signature, verify
from bot.storage.models import ChannelToken, InboundReceipt, Message, OutboxItem
from common.content import bot_text
from devtools.fakes.rasa import FakeRasa
from tests.channels.conftest import (
    ZALO_APP_ID,
    ZALO_BOT_SECRET,
    ZALO_SECRET,
    channel_settings,
    settled,
)
from tests.channels.support import counsellor_replies, open_case_ids
from tests.channels.test_telegram_transport import count
from tests.fakes.zalo import FakeZaloBot, FakeZaloOA, signed, zalo_bot_update, zalo_event

CALL_111 = {"title": "📞 Gọi 111 (miễn phí, 24/7)", "type": "oa.open.phone",
            "payload": {"phone_code": "111"}}


async def post_event(url: str, event: dict, headers: dict | None = None,
                     ascii_only: bool = False) -> httpx.Response:
    """Post an OA event, signed as Zalo signs it unless headers are given."""
    body, good = signed(ZALO_APP_ID, ZALO_SECRET, event, ascii_only=ascii_only)
    async with httpx.AsyncClient() as client:
        return await client.post(url + "/webhooks/zalo", content=body,
                                 headers=good if headers is None else headers)


def buttons_of(message: dict) -> list[dict]:
    """The template buttons of a sent OA message."""
    return ((message.get("attachment") or {}).get("payload") or {}).get("buttons") or []


def test_signature_accepts_with_or_without_mac_prefix() -> None:
    body = b'{"timestamp":"1700000000000","event_name":"user_send_text"}'
    digest = signature("app", body, "1700000000000", "key")
    assert verify("app", body, f"mac={digest}", "key") == 200
    assert verify("app", body, digest, "key") == 200
    assert verify("app", body, None, "key") == 401
    assert verify("app", body, "mac=" + "0" * 64, "key") == 403
    assert verify("app", body + b" ", f"mac={digest}", "key") == 403


@pytest.mark.parametrize(
    ("stamp", "problem"),
    [("1700000000000", None), ("1699999700001", None), ("1699999699000", "event too old"),
     ("1700000400000", "event time invalid"), ("NaN", "event time invalid"), (None,
     "event without a timestamp"), ("soon", "event without a timestamp")],
)
def test_event_age_within_the_window(stamp: str | None, problem: str | None) -> None:
    body = json.dumps({"event_name": "user_send_text", "timestamp": stamp}).encode()
    assert event_age_problem(body, now=1_700_000_000.0, window=300.0) == problem


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


async def test_an_old_signed_event_is_refused_and_nothing_stored(serve, zalo: FakeZaloOA) -> None:
    running = await serve(**channel_settings(zalo=zalo), zalo_event_max_age=120.0)
    replayed = zalo_event(ZALO_APP_ID, "z-110", "bố em đánh em", "m-11", at=time.time() - 600)
    response = await post_event(running.url, replayed)  # a correct signature, ten minutes old
    assert response.status_code == 403 and response.json() == {"error": "event too old"}
    for model in (Message, InboundReceipt, OutboxItem):
        assert await count(running.app, model) == 0
    fresh = zalo_event(ZALO_APP_ID, "z-110", "bố em đánh em", "m-12", at=time.time() - 60)
    assert (await post_event(running.url, fresh)).status_code == 200
    await settled(running.app)
    assert len(zalo.texts("z-110")) == 1


async def test_lone_surrogate_is_refused_with_400(serve, zalo: FakeZaloOA) -> None:
    running = await serve(**channel_settings(zalo=zalo))
    event = zalo_event(ZALO_APP_ID, "z-120", "em \ud800 sợ", "m-13")
    response = await post_event(running.url, event, ascii_only=True)  # "\ud800" escaped
    assert response.status_code == 400 and "surrogate" in response.json()["error"]
    assert await count(running.app, Message) == 0


async def test_an_event_of_the_wrong_shape_is_refused_with_400(serve, zalo: FakeZaloOA) -> None:
    running = await serve(**channel_settings(zalo=zalo))
    event = {**zalo_event(ZALO_APP_ID, "z-130", "bố em đánh em", "m-14"), "sender": "z-130"}
    response = await post_event(running.url, event)  # signed, fresh, but "sender" not an object
    assert response.status_code == 400 and response.json()["error"].startswith("not an event")
    assert await count(running.app, Message) == 0


async def test_escalation_over_zalo_offers_a_call_to_111_then_counsellor_replies(
    serve, zalo: FakeZaloOA
) -> None:
    running = await serve(**channel_settings(zalo=zalo))
    event = zalo_event(ZALO_APP_ID, "z-200", "chú hàng xóm hay sờ vào chỗ kín của em", "m-2")
    assert (await post_event(running.url, event)).status_code == 200
    assert (await post_event(running.url, event)).status_code == 200  # duplicate delivery
    await settled(running.app)
    [first] = zalo.messages
    assert "111" in first["message"]["text"] and "không phải lỗi" in first["message"]["text"]
    assert buttons_of(first["message"]) == [CALL_111]  # opens the dialer on 111
    [case_id] = await open_case_ids(running.app.ctx.db)
    await counsellor_replies(running.app.ctx.db, case_id, ["Chào em, cô là cô Lan."])
    await settled(running.app)
    assert zalo.texts("z-200")[1:] == [bot_text("counsellor_joined"), "Chào em, cô là cô Lan."]
    assert all(buttons_of(m["message"]) == [] for m in zalo.messages[1:])
    assert all(m["recipient"] == {"user_id": "z-200"} for m in zalo.messages)


async def test_sticker_and_expired_token_refreshed(serve, zalo: FakeZaloOA) -> None:
    running = await serve(**channel_settings(zalo=zalo))
    zalo.expire_token()
    zalo.refresh_token = "oa-refresh-1"
    event = zalo_event(ZALO_APP_ID, "z-300", None, "m-3", event_name="user_send_sticker")
    assert (await post_event(running.url, event)).status_code == 200
    await settled(running.app)
    assert zalo.texts("z-300") == [bot_text("non_text")]
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
    menu = [{"title": f"Mục {i}", "payload": f"/m{i}"} for i in range(6)]
    answer = {"text": "Chọn nhé", "buttons": menu[:1]}
    escalation = {"text": "Gọi 111 nhé", "buttons": menu, "kind": "escalation"}
    assert await adapter.sender().send(Delivery(1, 1, "z-400", answer)) == ["zmsg1"]
    assert await adapter.sender().send(Delivery(2, 1, "z-400", escalation)) == ["zmsg2"]
    await adapter.http.aclose()
    plain, urgent = (m["message"] for m in zalo.messages)
    assert plain["text"] == "Chọn nhé"
    assert buttons_of(plain) == [{"title": "Mục 0", "type": "oa.query.hide", "payload": "/m0"}]
    assert buttons_of(urgent) == [CALL_111, *(
        {"title": f"Mục {i}", "type": "oa.query.hide", "payload": f"/m{i}"} for i in range(4))]
    assert urgent["text"].endswith("• Mục 4\n• Mục 5")  # Zalo takes at most five buttons


async def test_a_hidden_button_tap_reaches_rasa_as_the_offered_payload(
    serve, zalo: FakeZaloOA, fake_rasa: FakeRasa
) -> None:
    running = await serve(rasa_urls=(fake_rasa.url,), **channel_settings(zalo=zalo))
    fake_rasa.answers("xin chào", [{"text": "Bạn muốn học gì?", "buttons": [
        {"title": "Học bài", "payload": "/start_lesson"}]}])
    assert (await post_event(running.url, zalo_event(ZALO_APP_ID, "z-600", "xin chào",
                                                     "m-60"))).status_code == 200
    await settled(running.app)
    [offered] = zalo.messages
    assert buttons_of(offered["message"]) == [
        {"title": "Học bài", "type": "oa.query.hide", "payload": "/start_lesson"}]
    # The tap arrives as the user's message carrying the payload (hidden in the user's chat).
    tap = zalo_event(ZALO_APP_ID, "z-600", "/start_lesson", "m-61")
    assert (await post_event(running.url, tap)).status_code == 200
    await settled(running.app)
    assert [r["message"] for r in fake_rasa.received] == ["xin chào", "/start_lesson"]


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
        assert await count(running.app, InboundReceipt) == 1  # stored before the 200
        await client.post(url, json=update, headers={"X-Bot-Api-Secret-Token": ZALO_BOT_SECRET})
        surrogate = json.dumps(zalo_bot_update("zb-2", "em \ud800", "mid-2"))
        refused = await client.post(url, content=surrogate,
                                    headers={"X-Bot-Api-Secret-Token": ZALO_BOT_SECRET})
        assert refused.status_code == 400
    await settled(running.app)
    texts = zalo_bot.texts("zb-1")
    assert len(texts) == 1 and "111" in texts[0]
    assert zalo_bot.texts("zb-2") == []


async def test_zalo_outage_then_delivered_in_order(serve, zalo: FakeZaloOA) -> None:
    running = await serve(**channel_settings(zalo=zalo))
    zalo.failures = 2  # HTTP 503 twice
    event = zalo_event(ZALO_APP_ID, "z-500", "bố em đánh em đau lắm", "m-5")
    assert (await post_event(running.url, event)).status_code == 200
    await settled(running.app)
    assert len(zalo.texts("z-500")) == 1
    [case_id] = await open_case_ids(running.app.ctx.db)
    zalo.failures = 1
    await counsellor_replies(running.app.ctx.db, case_id, ["một", "hai", "ba"])
    await settled(running.app)
    assert zalo.texts("z-500")[1:] == [bot_text("counsellor_joined"), "một", "hai", "ba"]
