"""Clear JSON errors for bad requests."""

from __future__ import annotations

from typing import Any

from sanic import Request
from sanic.response import HTTPResponse, json


def error(status: int, code: str, message: str) -> HTTPResponse:
    """A JSON error body with a stable code and a human message."""
    return json({"error": {"code": code, "message": message}}, status=status)


def json_body(request: Request) -> dict[str, Any] | HTTPResponse:
    """The request's JSON object, or the error response explaining what is wrong."""
    content_type = (request.content_type or "").split(";")[0].strip().lower()
    if content_type != "application/json":
        return error(415, "unsupported_media_type", "send JSON with Content-Type: application/json")
    try:
        body = request.json
    except Exception:
        return error(400, "invalid_json", "the body is not valid JSON")
    if not isinstance(body, dict):
        return error(400, "invalid_json", "the body must be a JSON object")
    return body
