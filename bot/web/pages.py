"""The web chat page at / and its static files."""

from __future__ import annotations

from pathlib import Path

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, file

STATIC = Path(__file__).resolve().parent / "static"
bp = Blueprint("pages")
bp.static("/static/chat", STATIC, name="chat_static")


@bp.get("/")
async def index(request: Request) -> HTTPResponse:
    """Serve the web chat."""
    return await file(STATIC / "chat.html", mime_type="text/html; charset=utf-8")
