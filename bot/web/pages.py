"""The web chat page at / (its texts from content/messages.yml) and its static files."""

from __future__ import annotations

import html
import re
from functools import lru_cache
from pathlib import Path

from sanic import Blueprint, Request
from sanic.response import HTTPResponse
from sanic.response import html as html_response

from common.content import bot_text

WEB = Path(__file__).resolve().parent
STATIC = WEB / "static"
TEMPLATE = WEB / "templates" / "chat.html"
_FIELD = re.compile(r"\{\{(\w+)\}\}")

bp = Blueprint("pages")
bp.static("/static/chat", STATIC, name="chat_static")


def page_fields(template: str) -> list[str]:
    """The `{{name}}` fields of a template, in order."""
    return _FIELD.findall(template)


@lru_cache(maxsize=4)
def render_page(quick_exit_url: str) -> str:
    """The chat page: each `{{web_...}}` field is that text of messages.yml, HTML-escaped."""
    values = {"quick_exit_url": quick_exit_url}

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        return html.escape(values[name] if name in values else bot_text(name), quote=True)

    return _FIELD.sub(fill, TEMPLATE.read_text(encoding="utf-8"))


@bp.route("/", methods=["GET", "HEAD"])
async def index(request: Request) -> HTTPResponse:
    """Serve the web chat (HEAD answers the same headers without a body)."""
    return html_response(render_page(request.app.ctx.settings.quick_exit_url))
