"""/healthz says honestly what is not ready: Rasa down, the learned safety model missing."""

from __future__ import annotations

import httpx

from devtools.chat_client import ChatSessions


async def test_healthz_is_503_when_rasa_is_down(serve) -> None:
    running = await serve()
    async with httpx.AsyncClient(base_url=running.url) as client:
        response = await client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert {k: body[k] for k in ("status", "database", "rasa", "safety_model")} == {
        "status": "unavailable", "database": True, "rasa": False, "safety_model": True
    }


async def test_healthz_tells_a_loopback_caller_the_safety_models_cpu(serve) -> None:
    running = await serve()
    async with httpx.AsyncClient(base_url=running.url) as client:
        before = (await client.get("/healthz")).json()
        await ChatSessions().post(client, "health-user", "em muốn học bài về người lạ")
        after = (await client.get("/healthz")).json()
    assert before["safety_model_scored"] == 0 and before["safety_model_cpu_seconds"] == 0.0
    assert after["safety_model_scored"] == 1 and after["safety_model_cpu_seconds"] > 0.0


async def test_healthz_is_503_without_the_learned_safety_model(serve, tmp_path) -> None:
    running = await serve(safety_model_dir=tmp_path / "no-model")
    async with httpx.AsyncClient(base_url=running.url) as client:
        response = await client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["safety_model"] is False and "make train" in body["safety_model_problem"]
