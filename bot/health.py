"""GET /healthz: 200 only when the gateway, its database, Rasa and the safety model are ready."""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

bp = Blueprint("health")
LOOPBACK = frozenset({"127.0.0.1", "::1"})


@bp.get("/healthz")
async def healthz(request: Request) -> HTTPResponse:
    """Report readiness of the database, every Rasa server and the learned safety signal."""
    database = await request.app.ctx.db.ping()
    rasa = await request.app.ctx.rasa.ready()
    learned = request.app.ctx.learned is not None
    ok = database and rasa and learned
    body: dict[str, object] = {
        "status": "ok" if ok else "unavailable",
        "database": database,
        "rasa": rasa,
        "safety_model": learned,
    }
    if not learned:
        body["safety_model_problem"] = request.app.ctx.learned_problem
    elif request.ip in LOOPBACK:  # for a local benchmark or monitor: the model's CPU so far
        model = request.app.ctx.learned
        body["safety_model_cpu_seconds"] = round(model.cpu_seconds, 3)
        body["safety_model_scored"] = model.scored
    return json(body, status=200 if ok else 503)
