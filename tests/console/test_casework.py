"""Casework through the console API: 111's steps, risk assessment, transfers, whispers, history,
follow-ups, referral status, canned responses and typing."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.handoff.canned import load_canned, validate_canned
from bot.storage.models import AuditEntry, Case, Change, Conversation, User, utcnow
from common.content import ContentError
from tests.console.conftest import Child, Console, make_account, make_case
from tests.console.test_events import live, next_frame

SELF_HARM = "em muốn chết cho xong, em không muốn sống nữa"


async def accounts(app: Any, console: Any, *names: str) -> list[Console]:
    """Logged-in clients (hoa is a supervisor, ad an admin, the others counsellors)."""
    clients = []
    for name in names:
        role = {"hoa": "supervisor", "ad": "admin"}.get(name, "counsellor")
        await make_account(app, name, role=role)
        client = console()
        assert (await client.login(name)).status_code == 200
        clients.append(client)
    return clients


async def test_a_case_moves_forward_through_111_steps_with_who_and_when(running, console) -> None:
    app = running.app
    lan, = await accounts(app, console, "lan")
    child = Child(running.url, "steps-child")
    case_id = (await child.says(SELF_HARM))["handoff"]["case_id"]  # received, by the system
    await child.close()
    assert (await lan.post(f"/cases/{case_id}/accept")).status_code == 200
    assessed = await lan.post(f"/cases/{case_id}/assessment", {"kind": "self_harm", "answers": {
        "thoughts": "no", "plan": "no", "means": "no", "timeframe": "none"}})
    assert assessed.json()["case"]["risk"] == "concern"  # the assessment sets the risk
    assert assessed.json()["case"]["step"] == "assessed"
    bad = await lan.post(f"/cases/{case_id}/assessment", {"kind": "self_harm",
                                                          "answers": {"thoughts": "yes"}})
    assert bad.status_code == 409 and bad.json()["error"]["code"] == "invalid_assessment"
    planned = await lan.post(f"/cases/{case_id}/step", {"step": "plan", "note": "gọi cô giáo"})
    assert planned.json()["case"]["step"] == "plan"
    back = await lan.post(f"/cases/{case_id}/step", {"step": "assessed"})
    assert back.status_code == 409 and back.json()["error"]["code"] == "step_not_allowed"
    assert (await lan.post(f"/cases/{case_id}/step", {"step": "closed"})).status_code == 409
    await lan.post(f"/cases/{case_id}/step", {"step": "intervention", "note": "đã gọi"})
    referred = await lan.post(f"/cases/{case_id}/referrals", {"service": "school"})
    assert referred.json()["case"]["step"] == "referral"  # intervention ↔ referral
    due = (utcnow() + timedelta(hours=2)).isoformat()
    follow = await lan.post(f"/cases/{case_id}/follow-ups", {"due_at": due, "note": "gọi lại"})
    assert follow.json()["case"]["step"] == "follow_up"
    closed = await lan.post(f"/cases/{case_id}/close", {"closing": "Chào em, gọi 111 khi cần."})
    assert closed.json()["case"]["step"] == "closed" and closed.json()["case"]["status"] == "closed"
    detail = (await lan.get(f"/cases/{case_id}")).json()
    assert [s["step"] for s in detail["steps"]] == [
        "received", "assessed", "plan", "intervention", "referral", "follow_up", "closed"]
    assert detail["steps"][0]["by"] is None and {s["by"] for s in detail["steps"][1:]} == {"Cô Lan"}
    assert all(s["at"] for s in detail["steps"])
    assert detail["steps"][2]["note"] == "gọi cô giáo"
    assert detail["assessments"][0]["risk"] == "concern" and detail["assessments"][0]["reasons"]
    assert (await lan.post(f"/cases/{case_id}/step", {"step": "follow_up"})).status_code == 409


async def test_a_transfer_waits_for_an_answer_and_moves_who_may_read(running, console) -> None:
    app = running.app
    lan, minh, hoa, ad = await accounts(app, console, "lan", "minh", "hoa", "ad")
    people = {p["name"]: p["id"] for p in (await lan.get("/counsellors")).json()["counsellors"]}
    assert "Cô Ad" not in people  # admins are not case workers
    child = Child(running.url, "transfer-child")
    case_id = (await child.says(SELF_HARM))["handoff"]["case_id"]
    await lan.post(f"/cases/{case_id}/accept")
    assert (await minh.get(f"/cases/{case_id}")).status_code == 403

    for to, code in ((people["Cô Lan"], "bad_transfer_target"),
                     (99999, "bad_transfer_target")):
        refused = await lan.post(f"/cases/{case_id}/transfer", {"to": to})
        assert refused.status_code == 409 and refused.json()["error"]["code"] == code
    offered = await lan.post(f"/cases/{case_id}/transfer", {"to": people["Cô Minh"],
                                                            "note": "hết ca"})
    assert offered.json()["case"]["transfer_to_name"] == "Cô Minh"
    again = await hoa.post(f"/cases/{case_id}/transfer", {"to": people["Cô Hoa"]})
    assert again.status_code == 403  # one pending transfer at a time (no transfer button)
    seen = (await minh.get(f"/cases/{case_id}")).json()  # offered: minh may read it now
    assert seen["case"]["can_answer_transfer"] and not seen["case"]["can_chat"]
    assert [c["id"] for c in (await minh.get("/queue")).json()["mine"]] == [case_id]
    rejected = await minh.post(f"/cases/{case_id}/transfer/reject", {"reason": "đang bận"})
    assert rejected.json()["case"]["counsellor_name"] == "Cô Lan"
    assert (await minh.get(f"/cases/{case_id}")).status_code == 403

    await lan.post(f"/cases/{case_id}/transfer", {"to": people["Cô Minh"]})
    taken = (await minh.post(f"/cases/{case_id}/transfer/accept")).json()["case"]
    assert taken["counsellor_name"] == "Cô Minh" and taken["can_chat"]
    assert (await lan.get(f"/cases/{case_id}")).status_code == 403  # handed over: not lan's
    assert (await minh.post(f"/cases/{case_id}/transfer/accept")).status_code == 403
    told = [m["text"] for m in (await child.inbox())["messages"] if m["author"] == "system"]
    assert any("khác sẽ tiếp tục" in t for t in told)  # the child knows someone else took over
    await child.close()

    waiting = await make_case(app, "concern")
    assert (await lan.post(f"/cases/{waiting}/transfer", {"to": people["Cô Minh"]})).status_code \
        == 403  # a counsellor accepts a waiting case; a supervisor may assign it
    assigned = await hoa.post(f"/cases/{waiting}/transfer", {"to": people["Cô Minh"]})
    assert assigned.status_code == 200
    accepted = (await minh.post(f"/cases/{waiting}/transfer/accept")).json()["case"]
    assert accepted["status"] == "active" and accepted["counsellor_name"] == "Cô Minh"
    actions = await audit_actions(app, case_id)
    assert {"transfer_offered", "transfer_rejected", "transfer_accepted"} <= actions


async def test_a_handled_case_never_offers_accept_and_whispers_never_reach_the_child(
    running, console
) -> None:
    app = running.app
    lan, minh, hoa = await accounts(app, console, "lan", "minh", "hoa")
    child = Child(running.url, "whisper-child")
    case_id = (await child.says(SELF_HARM))["handoff"]["case_id"]
    await lan.post(f"/cases/{case_id}/accept")
    state = (await hoa.get(f"/cases/{case_id}")).json()["case"]
    assert not state["can_accept"] and state["can_whisper"] and state["can_transfer"]
    assert (await hoa.post(f"/cases/{case_id}/accept")).status_code == 403
    assert (await minh.post(f"/cases/{case_id}/accept")).status_code == 403
    assert (await lan.post(f"/cases/{case_id}/whisper", {"text": "x"})).status_code == 403

    secret = "Chị Lan hỏi thêm về người lớn ở nhà nhé"
    async with live(lan, f"?case={case_id}&after=999999") as stream:
        assert (await hoa.post(f"/cases/{case_id}/whisper", {"text": secret})).status_code == 200
        await next_frame(stream, "whisper")
    notes = (await lan.get(f"/cases/{case_id}")).json()["notes"]
    assert [(n["kind"], n["text"], n["author"]) for n in notes] == [("whisper", secret, "Cô Hoa")]
    assert all(secret not in (m["text"] or "") for m in (await child.inbox())["messages"])
    await child.close()


async def test_earlier_cases_open_only_with_a_reason_and_are_audited(running, console) -> None:
    app = running.app
    lan, minh = await accounts(app, console, "lan", "minh")
    child = Child(running.url, "history-child")
    first = (await child.says("bố em đánh em chảy máu đầu"))["handoff"]["case_id"]
    await lan.post(f"/cases/{first}/accept")
    await lan.post(f"/cases/{first}/messages", {"text": "Cô đây, em đang ở đâu?"})
    await lan.post(f"/cases/{first}/close", {"closing": "Em gọi 111 khi cần nhé."})
    second = (await child.says(SELF_HARM))["handoff"]["case_id"]
    assert second != first

    waiting = (await minh.get(f"/cases/{second}")).json()  # a waiting case: minh may accept it
    texts = [m["text"] for m in waiting["messages"]]
    assert SELF_HARM in texts and "Cô đây, em đang ở đâu?" not in texts  # not the old case's
    assert [h["id"] for h in waiting["history"]] == [first]
    assert "messages" not in waiting["history"][0]  # dates and category only
    assert (await minh.post(f"/cases/{second}/history/{first}",
                            {"reason": "trẻ nhắc chuyện cũ"})).status_code == 403  # accept first
    await minh.post(f"/cases/{second}/accept")
    no_reason = await minh.post(f"/cases/{second}/history/{first}", {"reason": " "})
    assert no_reason.status_code == 409 and no_reason.json()["error"]["code"] == "reason_needed"
    opened = await minh.post(f"/cases/{second}/history/{first}",
                             {"reason": "trẻ nhắc lại chuyện bố đánh"})
    old = [m["text"] for m in opened.json()["messages"]]
    assert "Cô đây, em đang ở đâu?" in old and SELF_HARM not in old
    other = await make_case(app, "high")
    assert (await minh.post(f"/cases/{second}/history/{other}",
                            {"reason": "xem thử ca khác"})).status_code == 409  # not this child's
    async with app.ctx.db.session() as session:
        trail = (await session.execute(
            select(AuditEntry.action, AuditEntry.case_id, AuditEntry.detail)
            .where(AuditEntry.action == "history_opened"))).all()
    assert [(a, c, d["reason"], d["from_case"]) for a, c, d in trail] == [
        ("history_opened", first, "trẻ nhắc lại chuyện bố đánh", second)]
    await child.close()


async def test_follow_ups_are_reminded_to_their_counsellor_until_done(running, console) -> None:
    app = running.app
    lan, minh, hoa = await accounts(app, console, "lan", "minh", "hoa")
    case_id = await make_case(app, "high")
    await lan.post(f"/cases/{case_id}/accept")
    past = (utcnow() - timedelta(hours=1)).isoformat()
    stale = await lan.post(f"/cases/{case_id}/follow-ups", {"due_at": past})
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "invalid_follow_up"
    naive = await lan.post(f"/cases/{case_id}/follow-ups", {"due_at": "2030-01-01T09:00"})
    assert naive.status_code == 400
    soon = (utcnow() + timedelta(minutes=30)).isoformat()
    await lan.post(f"/cases/{case_id}/follow-ups", {"due_at": soon, "note": "gọi lại"})
    reminders = (await lan.get("/follow-ups")).json()["follow_ups"]
    assert [(r["case_id"], r["note"], r["due"]) for r in reminders] == [(case_id, "gọi lại",
                                                                         False)]
    assert (await minh.get("/follow-ups")).json()["follow_ups"] == []
    assert len((await hoa.get("/follow-ups")).json()["follow_ups"]) == 1
    done = await lan.post(f"/cases/{case_id}/follow-ups/done",
                          {"follow_up_id": reminders[0]["id"]})
    assert done.status_code == 200
    assert (await lan.get("/follow-ups")).json()["follow_ups"] == []


async def test_a_referral_records_where_it_stands(running, console) -> None:
    app = running.app
    lan, = await accounts(app, console, "lan")
    case_id = await make_case(app, "high")
    other = await make_case(app, "high")
    await lan.post(f"/cases/{case_id}/accept")
    await lan.post(f"/cases/{other}/accept")
    await lan.post(f"/cases/{case_id}/referrals", {"service": "police", "note": "113"})
    referral = (await lan.get(f"/cases/{case_id}")).json()["referrals"][0]
    assert referral["status"] == "made"
    moved = await lan.post(f"/cases/{case_id}/referral-status",
                           {"referral_id": referral["id"], "status": "received"})
    assert moved.status_code == 200
    assert (await lan.get(f"/cases/{case_id}")).json()["referrals"][0]["status"] == "received"
    for body, code in (({"referral_id": referral["id"], "status": "lost"}, "unknown_status"),):
        refused = await lan.post(f"/cases/{case_id}/referral-status", body)
        assert refused.status_code == 409 and refused.json()["error"]["code"] == code
    elsewhere = await lan.post(f"/cases/{other}/referral-status",
                               {"referral_id": referral["id"], "status": "done"})
    assert elsewhere.status_code == 409 and elsewhere.json()["error"]["code"] == "not_found"
    assert (await lan.post(f"/cases/{case_id}/referral-status",
                           {"referral_id": "1", "status": "done"})).status_code == 400


async def test_typing_goes_both_ways(running, console) -> None:
    app = running.app
    lan, = await accounts(app, console, "lan")
    case_id = await make_case(app, "high")
    assert (await lan.post(f"/cases/{case_id}/typing")).status_code == 403  # not theirs yet
    await lan.post(f"/cases/{case_id}/accept")
    first = (await lan.post(f"/cases/{case_id}/typing")).json()
    again = (await lan.post(f"/cases/{case_id}/typing")).json()
    assert first["sent"] and not again["sent"]  # throttled: one every two seconds
    async with app.ctx.db.session() as session:
        typed = (await session.scalars(select(Change.detail).where(Change.kind == "typing"))).all()
        case = await session.get(Case, case_id)
    assert typed == [{"who": "counsellor"}]  # the child's web page is told (bot.web.live)
    assert case is not None
    async with live(lan, f"?case={case_id}&after=999999") as stream:
        from bot.changefeed import ChangeKind, record

        async with app.ctx.db.session() as session:  # as the child's page records it
            await record(session, ChangeKind.TYPING, conversation_id=case.conversation_id,
                         case_id=case_id, detail={"who": "user"})
        assert (await next_frame(stream, "typing")) == {"case_id": case_id, "who": "user"}


async def test_telegram_shows_typing_when_the_counsellor_types(serve, console) -> None:
    from tests.fakes.telegram import FakeTelegram

    telegram = FakeTelegram().start()
    try:
        running = await serve(telegram_bot_token=telegram.token,
                              telegram_api_base_url=telegram.base_url)
        app = running.app
        await make_account(app, "lan")
        lan = Console(running.url)
        await lan.login("lan")
        case_id = await make_case(app, "high", channel="telegram")
        async with app.ctx.db.session() as session:
            case = await session.get(Case, case_id)
            assert case is not None
            conversation = await session.get(Conversation, case.conversation_id)
            assert conversation is not None
            user = await session.get(User, conversation.user_id)
            assert user is not None
            user.address = app.ctx.privacy.seal("4242")
        await lan.post(f"/cases/{case_id}/accept")
        assert (await lan.post(f"/cases/{case_id}/typing")).json()["sent"]
        shown = [(str(c.params.get("chat_id")), c.params.get("action"))
                 for c in telegram.calls if c.method == "sendChatAction"]
        assert shown == [("4242", "typing")]
        await lan.close()
    finally:
        telegram.stop()


async def test_canned_responses_speak_to_a_child_and_a_parent(running, console) -> None:
    app = running.app
    lan, = await accounts(app, console, "lan")
    canned = (await lan.get("/canned")).json()["canned"]
    groups = {(c["group"], c["audience"]) for c in canned}
    for group in ("first_contact", "safety_check", "hotline", "closing"):
        assert {(group, "child"), (group, "parent")} <= groups
    assert all("111" in c["text"] for c in canned if c["group"] in ("hotline", "closing"))
    assert [c.id for c in load_canned()] == [c["id"] for c in canned]


def test_canned_responses_are_validated_like_content(tmp_path: Path) -> None:
    source = (Path(__file__).resolve().parents[2] / "content" / "canned_responses.yml")
    broken = source.read_text(encoding="utf-8").replace("gọi 111 bất cứ lúc nào", "gọi ngay")
    (tmp_path / "canned_responses.yml").write_text(broken, encoding="utf-8")
    with pytest.raises(ContentError, match=r"canned_responses\[8\] \(id=hotline_child\).*111"):
        validate_canned(tmp_path)
    duplicated = source.read_text(encoding="utf-8").replace("id: closing_parent",
                                                            "id: closing_child")
    (tmp_path / "canned_responses.yml").write_text(duplicated, encoding="utf-8")
    with pytest.raises(ContentError, match="duplicate id 'closing_child'"):
        validate_canned(tmp_path)
    validate_canned()  # the shipped file is fine


async def audit_actions(app: Any, case_id: str) -> set[str]:
    """The audited actions on one case."""
    async with app.ctx.db.session() as session:
        return set((await session.scalars(
            select(AuditEntry.action).where(AuditEntry.case_id == case_id))).all())
