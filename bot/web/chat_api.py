"""POST /api/chat and the messages endpoints: the web chat's JSON API, for session holders only.

`GET /api/chat/{user_id}/messages` is the documented form; the page uses `GET /api/chat/messages`
with the id in `X-Chat-User`, so that no id or secret sits in a URL that reaches a log.
"""

from __future__ import annotations

from typing import Any

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

from bot.chat_types import Inbound
from bot.pipeline import Pipeline
from bot.web import history, sessions
from bot.web.errors import error, json_body
from bot.web.validation import message_id_problem, row_id, text_problem, user_id_problem

bp = Blueprint("chat_api", url_prefix="/api/chat")
SESSION_REFUSED = (
    "this chat needs its session: send the 'session' of the chat's first answer "
    f"in the {sessions.SESSION_HEADER} header"
)


def refused() -> HTTPResponse:
    """401: the session is missing or wrong; nothing was stored or shown."""
    return error(401, "chat_session_required", SESSION_REFUSED)


def pipeline_of(request: Request) -> Pipeline:
    """The app's message pipeline."""
    pipeline: Pipeline = request.app.ctx.pipeline
    return pipeline


def presented(request: Request) -> str | None:
    """The session secret the request presents, if any."""
    return request.headers.get(sessions.SESSION_HEADER)


@bp.post("")
async def post_chat(request: Request) -> HTTPResponse:
    """Answer one message of a web user (replies, handoff state; the session on the first)."""
    body = json_body(request)
    if isinstance(body, HTTPResponse):
        return body
    user_id, text, message_id = body.get("user_id"), body.get("text"), body.get("message_id")
    for code, problem in (("invalid_user_id", user_id_problem(user_id)),
                          ("invalid_text", text_problem(text)),
                          ("invalid_message_id", message_id_problem(message_id))):
        if problem:
            return error(400, code, problem)
    assert isinstance(user_id, str) and isinstance(text, str)
    pipeline = pipeline_of(request)
    pseudonym = pipeline.privacy.pseudonym(sessions.CHANNEL, user_id)
    holder = await sessions.claim_or_check(pipeline.db, pseudonym, presented(request))
    if holder is None:
        return refused()
    receipt = None
    if message_id is not None:  # a keyed hash of the client's id, never the ids in clear
        receipt = pipeline.privacy.pseudonym("web-message", f"{user_id}:{message_id}")
    result = await pipeline.handle(
        Inbound(channel=sessions.CHANNEL, platform_user_id=user_id, text=text,
                platform_id=receipt)
    )
    answer: dict[str, Any] = result.as_dict()
    if holder.new_secret is not None:
        answer["session"] = holder.new_secret
    return json(answer)


@bp.get("/<user_id:str>/messages")
async def get_messages(request: Request, user_id: str) -> HTTPResponse:
    """Messages to a web user after `after` (the documented form, the id in the path)."""
    return await _messages(request, user_id)


@bp.get("/messages")
async def get_messages_by_header(request: Request) -> HTTPResponse:
    """The same, with the id in the X-Chat-User header (the page's form)."""
    return await _messages(request, request.headers.get(sessions.USER_HEADER))


async def chat_holder(request: Request, user_id: object) -> sessions.Holder | HTTPResponse:
    """The chat whose session the request presents, or the 400/401 answer."""
    problem = user_id_problem(user_id)
    if problem:
        return error(400, "invalid_user_id", problem)
    assert isinstance(user_id, str)
    pipeline = pipeline_of(request)
    pseudonym = pipeline.privacy.pseudonym(sessions.CHANNEL, user_id)
    holder = await sessions.check(pipeline.db, pseudonym, presented(request))
    return refused() if holder is None else holder


async def _messages(request: Request, user_id: object) -> HTTPResponse:
    """Counsellor and bot messages after `after`; with `mine=1` the user's own messages too."""
    after = row_id(request.args.get("after"))
    if after is None:
        return error(400, "invalid_after", "'after' must be a message id: an integer from 0")
    holder = await chat_holder(request, user_id)
    if isinstance(holder, HTTPResponse):
        return holder
    return json(await chat_state(request, holder, after, request.args.get("mine") == "1"))


async def chat_state(request: Request, holder: sessions.Holder, after: int,
                     mine: bool) -> dict[str, Any]:
    """Messages after an id, the handoff state and whether a counsellor has joined."""
    pipeline = pipeline_of(request)
    async with pipeline.db.session() as session:
        messages = await history.messages_after(session, holder.conversation_id, after, mine)
        counsellor = await history.counsellor_state(session, holder.conversation_id)
    handoff = await pipeline.handoff_state(sessions.CHANNEL, holder.pseudonym)
    return {"messages": messages, "handoff": handoff.as_dict(), "counsellor": counsellor}
