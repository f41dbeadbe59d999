"""JSON endpoints of the console under /console/api: login, queue, cases, actions, alerts."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.console import auth, queries
from bot.console.guard import database, logged_in, who
from bot.console.labels import all_labels
from bot.handoff import cases
from bot.storage.audit import audit
from bot.storage.models import (
    Alert,
    AuditEntry,
    Case,
    Conversation,
    Counsellor,
    as_utc,
    utcnow,
)
from bot.web.errors import error, json_body

bp = Blueprint("console_api", url_prefix="/console/api")
MAX_TEXT = 4000
Action = Callable[[AsyncSession, Case, Counsellor, dict[str, Any]], Awaitable[None]]


def _same_origin(request: Request) -> bool:
    """A browser's Origin header, when sent, must be this host (login has no CSRF token yet)."""
    origin = request.headers.get("origin")
    if not origin:
        return True
    return urlsplit(origin).netloc == request.host


@bp.post("/login")
async def login(request: Request) -> HTTPResponse:
    """Log in with username and password; sets the session cookie."""
    if not _same_origin(request):
        return error(403, "bad_origin", "Yêu cầu đến từ trang khác bị từ chối.")
    body = json_body(request)
    if isinstance(body, HTTPResponse):
        return body
    username, password = body.get("username"), body.get("password")
    if not isinstance(username, str) or not isinstance(password, str) or len(password) > 1024:
        return error(400, "invalid_login", "Hãy nhập tên đăng nhập và mật khẩu.")
    return await auth.login_response(request, username, password)  # throttled, bounded pool


@bp.post("/logout")
@logged_in()
async def logout(request: Request) -> HTTPResponse:
    """End the session."""
    async with database(request).session() as session:
        await auth.logout(session, who(request))
    response = json({"ok": True})
    auth.clear_session_cookie(response, request, request.app.ctx.settings.cookie_secure)
    return response


@bp.get("/me")
@logged_in()
async def me(request: Request) -> HTTPResponse:
    """The logged-in user, the CSRF token and the label tables."""
    return json({"user": who(request).as_dict(), "labels": all_labels(),
                 "categories": list(cases.CATEGORIES),
                 "services": list(cases.REFERRAL_SERVICES)})


@bp.get("/queue")
@logged_in()
async def get_queue(request: Request) -> HTTPResponse:
    """The waiting queue and the cases this user handles (all of them for supervisors)."""
    identity = who(request)
    async with database(request).session() as session:
        data = await queries.queue(session, identity)
        audit(session, "queue_viewed", counsellor_id=identity.counsellor_id)
    return json({**data, "now": utcnow().isoformat()})


async def _load_case(session: AsyncSession, request: Request, case_id: str) -> Case | HTTPResponse:
    """The case if it exists and this user may see it (refusals are audited)."""
    identity = who(request)
    case = await session.get(Case, case_id[:16])
    if case is None:
        return error(404, "not_found", "Không tìm thấy ca này.")
    if not queries.can_view(case, identity):
        audit(session, "access_denied", counsellor_id=identity.counsellor_id, case_id=case.id)
        return error(403, "forbidden", "Bạn không có quyền xem ca này.")
    return case


@bp.get("/cases/<case_id:str>")
@logged_in()
async def get_case(request: Request, case_id: str) -> HTTPResponse:
    """A case with its whole transcript, notes and referrals."""
    identity = who(request)
    async with database(request).session() as session:
        case = await _load_case(session, request, case_id)
        if isinstance(case, HTTPResponse):
            return case
        detail = await queries.case_detail(session, case, identity)
        audit(session, "case_viewed", counsellor_id=identity.counsellor_id, case_id=case.id)
        if identity.is_supervisor:
            trail = await session.scalars(
                select(AuditEntry).where(AuditEntry.case_id == case.id).order_by(AuditEntry.id)
            )
            detail["audit"] = [
                {"at": as_utc(e.at).isoformat(), "actor": e.actor, "action": e.action}
                for e in trail.all()
            ]
    return json(detail)


def _text(body: dict[str, Any], key: str, required: bool = True) -> str | HTTPResponse:
    value = body.get(key, "")
    if not isinstance(value, str) or (required and not value.strip()):
        return error(400, f"invalid_{key}", "Nội dung không được để trống.")
    if len(value) > MAX_TEXT:
        return error(400, f"invalid_{key}", f"Nội dung dài quá {MAX_TEXT} ký tự.")
    return value.strip()


async def _run(request: Request, case_id: str, action: Action, need: str = "act") -> HTTPResponse:
    """Load the case, check the permission `need`, run the action, answer with the case state."""
    body = json_body(request) if request.body else {}
    if isinstance(body, HTTPResponse):
        return body
    identity = who(request)
    async with database(request).session() as session:
        case = await _load_case(session, request, case_id)
        if isinstance(case, HTTPResponse):
            return case
        allowed = {
            "act": queries.can_act(case, identity),
            "accept": queries.can_accept(case, identity, await queries.with_bot(session, case)),
            "archive": identity.is_supervisor,
        }[need]
        if not allowed:
            audit(session, "access_denied", counsellor_id=identity.counsellor_id,
                  case_id=case.id, path=request.path)
            return error(403, "forbidden", "Bạn không có quyền thực hiện thao tác này với ca này.")
        counsellor = await session.get(Counsellor, identity.counsellor_id)
        assert counsellor is not None
        try:
            await action(session, case, counsellor, body)
        except cases.CaseError as exc:
            return error(409, "case_state", _case_error(str(exc)))
        except _Invalid as exc:
            return exc.response
        await session.flush()
        state = await queries.case_state(session, case, identity)
    return json({"case": state})


class _Invalid(Exception):
    """A bad field in an action's body."""

    def __init__(self, response: HTTPResponse) -> None:
        super().__init__("invalid")
        self.response = response


def _field(body: dict[str, Any], key: str, required: bool = True) -> str:
    value = _text(body, key, required)
    if isinstance(value, HTTPResponse):
        raise _Invalid(value)
    return value


def _case_error(message: str) -> str:
    known = {
        "case is closed": "Ca đã đóng.",
        "case belongs to another counsellor": "Ca đã có tư vấn viên khác nhận.",
        "close the case first": "Hãy đóng ca trước khi lưu trữ.",
        "only a supervisor archives cases": "Chỉ giám sát viên được lưu trữ ca.",
        "accept the case first": "Hãy nhận ca trước khi nhắn tin cho trẻ.",
        "chat handed back": "Cuộc trò chuyện đã được trả lại cho bot. Bấm Nhận ca để nói tiếp.",
    }
    return known.get(message, "Không thực hiện được thao tác với ca ở trạng thái hiện tại.")


async def _accept(session: AsyncSession, case: Case, c: Counsellor, _b: dict[str, Any]) -> None:
    if case.counsellor_id is None:  # claim atomically: two counsellors may click at once
        claimed = await session.execute(
            update(Case).where(Case.id == case.id, Case.counsellor_id.is_(None))
            .values(counsellor_id=c.id)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            raise cases.CaseError("case belongs to another counsellor")
        await session.refresh(case)
    await cases.accept(session, case, c)


async def _message(session: AsyncSession, case: Case, c: Counsellor, b: dict[str, Any]) -> None:
    if case.counsellor_id != c.id:
        raise cases.CaseError("accept the case first")
    conversation = await session.get(Conversation, case.conversation_id)
    if conversation is None or conversation.state == "bot" or (
        conversation.active_case_id != case.id
    ):
        raise cases.CaseError("chat handed back")
    await cases.send_counsellor_message(session, case, c, _field(b, "text"))


async def _note(session: AsyncSession, case: Case, c: Counsellor, b: dict[str, Any]) -> None:
    await cases.add_note(session, case, c, _field(b, "text"))


async def _category(session: AsyncSession, case: Case, c: Counsellor, b: dict[str, Any]) -> None:
    await cases.set_category(session, case, c, _field(b, "category"))


async def _refer(session: AsyncSession, case: Case, c: Counsellor, b: dict[str, Any]) -> None:
    await cases.refer(session, case, c, _field(b, "service"), _field(b, "note", required=False))


async def _hand_back(session: AsyncSession, case: Case, c: Counsellor, _b: dict[str, Any]) -> None:
    await cases.hand_back(session, case, c)


async def _close(session: AsyncSession, case: Case, c: Counsellor, _b: dict[str, Any]) -> None:
    await cases.close(session, case, c)


async def _archive(session: AsyncSession, case: Case, c: Counsellor, _b: dict[str, Any]) -> None:
    await cases.archive(session, case, c)


@bp.post("/cases/<case_id:str>/accept")
@logged_in()
async def accept(request: Request, case_id: str) -> HTTPResponse:
    """Take a waiting case: the child is told a counsellor joined."""
    return await _run(request, case_id, _accept, need="accept")


@bp.post("/cases/<case_id:str>/messages")
@logged_in()
async def send_message(request: Request, case_id: str) -> HTTPResponse:
    """Send a message to the child on the channel they used."""
    return await _run(request, case_id, _message)


@bp.post("/cases/<case_id:str>/notes")
@logged_in()
async def add_note(request: Request, case_id: str) -> HTTPResponse:
    """Add a note to the case."""
    return await _run(request, case_id, _note)


@bp.post("/cases/<case_id:str>/category")
@logged_in()
async def set_category(request: Request, case_id: str) -> HTTPResponse:
    """Set the case's category."""
    return await _run(request, case_id, _category)


@bp.post("/cases/<case_id:str>/referrals")
@logged_in()
async def refer(request: Request, case_id: str) -> HTTPResponse:
    """Refer the case to police, health, social affairs or school."""
    return await _run(request, case_id, _refer)


@bp.post("/cases/<case_id:str>/handback")
@logged_in()
async def hand_back(request: Request, case_id: str) -> HTTPResponse:
    """Give the chat back to the bot (the case stays open for notes)."""
    return await _run(request, case_id, _hand_back)


@bp.post("/cases/<case_id:str>/close")
@logged_in()
async def close(request: Request, case_id: str) -> HTTPResponse:
    """Close the case (the chat goes back to the bot)."""
    return await _run(request, case_id, _close)


@bp.post("/cases/<case_id:str>/archive")
@logged_in(roles=auth.SUPERVISORS)
async def archive(request: Request, case_id: str) -> HTTPResponse:
    """A supervisor archives a closed case."""
    return await _run(request, case_id, _archive, need="archive")


@bp.get("/alerts")
@logged_in(roles=auth.SUPERVISORS)
async def alerts(request: Request) -> HTTPResponse:
    """Supervisor alerts not yet acknowledged."""
    identity = who(request)
    async with database(request).session() as session:
        rows = await queries.open_alerts(session)
        audit(session, "alerts_viewed", counsellor_id=identity.counsellor_id)
    return json({"alerts": rows})


@bp.post("/alerts/<alert_id:int>/ack")
@logged_in(roles=auth.SUPERVISORS)
async def acknowledge(request: Request, alert_id: int) -> HTTPResponse:
    """A supervisor acknowledges an alert."""
    identity = who(request)
    async with database(request).session() as session:
        alert = await session.get(Alert, alert_id)
        if alert is None:
            return error(404, "not_found", "Không tìm thấy cảnh báo.")
        if alert.acknowledged_at is None:
            alert.acknowledged_at = utcnow()
            audit(session, "alert_acknowledged", counsellor_id=identity.counsellor_id,
                  case_id=alert.case_id, alert_id=alert.id)
    return json({"ok": True})
