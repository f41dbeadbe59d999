"""POST /api/chat and GET /api/chat/{user_id}/messages: the web chat's JSON API."""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json
from sqlalchemy import select

from bot.chat_types import Inbound
from bot.pipeline import Pipeline
from bot.storage.models import Conversation, Message, User
from bot.web.errors import error, json_body

bp = Blueprint("chat_api", url_prefix="/api/chat")
MAX_USER_ID = 128


def _user_id_problem(user_id: object) -> str | None:
    if not isinstance(user_id, str) or not user_id.strip():
        return "'user_id' must be a non-empty string"
    if len(user_id) > MAX_USER_ID:
        return f"'user_id' must be at most {MAX_USER_ID} characters"
    return None


@bp.post("")
async def post_chat(request: Request) -> HTTPResponse:
    """Answer one message of a web user (replies and handoff state)."""
    body = json_body(request)
    if isinstance(body, HTTPResponse):
        return body
    user_id, text = body.get("user_id"), body.get("text")
    problem = _user_id_problem(user_id)
    if problem:
        return error(400, "invalid_user_id", problem)
    if not isinstance(text, str):
        return error(400, "invalid_text", "'text' must be a string")
    message_id = body.get("message_id")
    if message_id is not None and not isinstance(message_id, str | int):
        return error(400, "invalid_message_id", "'message_id' must be a string or a number")
    pipeline: Pipeline = request.app.ctx.pipeline
    result = await pipeline.handle(
        Inbound(
            channel="web",
            platform_user_id=str(user_id),
            text=text,
            platform_id=f"{user_id}:{message_id}" if message_id is not None else None,
        )
    )
    return json(result.as_dict())


@bp.get("/<user_id:str>/messages")
async def get_messages(request: Request, user_id: str) -> HTTPResponse:
    """Messages to a web user after a given id (counsellor and bot messages)."""
    problem = _user_id_problem(user_id)
    if problem:
        return error(400, "invalid_user_id", problem)
    try:
        after = int(request.args.get("after", "0"))
    except ValueError:
        return error(400, "invalid_after", "'after' must be a message id (an integer)")
    pipeline: Pipeline = request.app.ctx.pipeline
    pseudonym = pipeline.privacy.pseudonym("web", user_id)
    async with pipeline.db.session() as session:
        rows = await session.scalars(
            select(Message)
            .join(Conversation, Conversation.id == Message.conversation_id)
            .join(User, User.id == Conversation.user_id)
            .where(
                User.channel == "web",
                User.pseudonym == pseudonym,
                Message.direction == "out",
                Message.id > after,
            )
            .order_by(Message.id)
            .limit(200)
        )
        messages = [
            {
                "id": m.id,
                "author": m.author,
                "text": m.text or "",
                "buttons": m.buttons or [],
                "created_at": m.created_at.isoformat(),
            }
            for m in rows.all()
        ]
    handoff = await pipeline.handoff_state("web", pseudonym)
    return json({"messages": messages, "handoff": handoff.as_dict()})
