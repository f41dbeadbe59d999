"""GET /healthz: 200 only when the gateway, its database and Rasa are ready."""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

bp = Blueprint("health")


@bp.get("/healthz")
async def healthz(request: Request) -> HTTPResponse:
    """Report readiness of the database and of every Rasa server."""
    database = await request.app.ctx.db.ping()
    rasa = await request.app.ctx.rasa.ready()
    ok = database and rasa
    return json(
        {"status": "ok" if ok else "unavailable", "database": database, "rasa": rasa},
        status=200 if ok else 503,
    )
