"""One way to run a case action from a route: load, check the permission, run, answer.

Routes stay thin: they name the permission and the transition; refusals are audited; a
transition's typed error becomes a 409 in Vietnamese (by its code, never by its text); a bad
field becomes a 400.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import Any

from sanic import Request
from sanic.response import HTTPResponse, json
from sqlalchemy.ext.asyncio import AsyncSession

from bot.console import access, queries
from bot.console.guard import database, who
from bot.console.labels import case_error
from bot.handoff.cases import chat_with_bot
from bot.handoff.errors import CaseError
from bot.storage.audit import audit
from bot.storage.models import Case, Counsellor
from bot.web.errors import error, json_body

MAX_TEXT = 4000
FORBIDDEN = "Bạn không có quyền thực hiện thao tác này với ca này."
Action = Callable[[AsyncSession, Case, Counsellor, dict[str, Any]], Awaitable[Any]]


class Need(StrEnum):
    """The permission an action needs (bot.console.access)."""

    VIEW = "view"
    ACT = "act"
    ACCEPT = "accept"
    CHAT = "chat"
    TRANSFER = "transfer"
    ANSWER_TRANSFER = "answer_transfer"
    WHISPER = "whisper"
    ARCHIVE = "archive"


class Invalid(Exception):
    """A bad field in an action's body."""

    def __init__(self, response: HTTPResponse) -> None:
        super().__init__("invalid")
        self.response = response


def field(body: dict[str, Any], key: str, required: bool = True, limit: int = MAX_TEXT) -> str:
    """A text field of the body (trimmed), or Invalid (400)."""
    value = body.get(key, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise Invalid(error(400, f"invalid_{key}", "Nội dung không được để trống."))
    if len(value) > limit:
        raise Invalid(error(400, f"invalid_{key}", f"Nội dung dài quá {limit} ký tự."))
    return value.strip()


async def load_case(session: AsyncSession, request: Request,
                    case_id: str) -> Case | HTTPResponse:
    """The case if it exists and this user may see it (refusals are audited)."""
    identity = who(request)
    case = await session.get(Case, case_id[:16])
    if case is None:
        return error(404, "not_found", "Không tìm thấy ca này.")
    if not access.can_view(case, identity):
        audit(session, "access_denied", counsellor_id=identity.counsellor_id, case_id=case.id)
        return error(403, "forbidden", "Bạn không có quyền xem ca này.")
    return case


async def allowed(session: AsyncSession, case: Case, request: Request, need: Need) -> bool:
    """Whether this user has the permission `need` on the case now."""
    identity = who(request)
    if need in (Need.ACCEPT, Need.CHAT):
        with_bot = await chat_with_bot(session, case)
        rule = access.can_accept if need is Need.ACCEPT else access.can_chat
        return rule(case, identity, with_bot)
    return {
        Need.VIEW: access.can_view,
        Need.ACT: access.can_act,
        Need.TRANSFER: access.can_transfer,
        Need.ANSWER_TRANSFER: access.can_answer_transfer,
        Need.WHISPER: access.can_whisper,
        Need.ARCHIVE: lambda _case, person: person.is_supervisor,  # the transition says 409
    }[need](case, identity)


async def run(request: Request, case_id: str, action: Action, need: Need = Need.ACT,
              answer_state: bool = True) -> HTTPResponse:
    """Load the case, check `need`, run the action, answer with the case's new state."""
    body = json_body(request) if request.body else {}
    if isinstance(body, HTTPResponse):
        return body
    identity = who(request)
    try:
        async with database(request).session() as session:
            case = await load_case(session, request, case_id)
            if isinstance(case, HTTPResponse):
                return case
            if not await allowed(session, case, request, need):
                audit(session, "access_denied", counsellor_id=identity.counsellor_id,
                      case_id=case.id, path=request.path)
                return error(403, "forbidden", FORBIDDEN)
            counsellor = await session.get(Counsellor, identity.counsellor_id)
            assert counsellor is not None
            result = await action(session, case, counsellor, body)
            await session.flush()
            if not answer_state:
                return json(result if isinstance(result, dict) else {"ok": True})
            state = await queries.case_state(session, case, identity)
    except CaseError as exc:  # the transaction was rolled back: nothing half done
        return error(409, exc.code, case_error(exc.code))
    except Invalid as exc:
        return exc.response
    return json({"case": state})
