"""Bad input gets a clear error or a kind answer, never a crash, never silent loss."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from bot.storage.models import Message


async def test_wrong_content_type_is_415(serve) -> None:
    running = await serve()
    async with httpx.AsyncClient(base_url=running.url) as client:
        response = await client.post("/api/chat", content="user_id=a&text=b",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"


@pytest.mark.parametrize(
    ("body", "code"),
    [("{not json", "invalid_json"), ("[1, 2]", "invalid_json"),
     ('{"text": "hi"}', "invalid_user_id"), ('{"user_id": "", "text": "hi"}', "invalid_user_id"),
     ('{"user_id": "u", "text": 5}', "invalid_text")],
)
async def test_malformed_bodies_are_400_with_a_code(serve, body: str, code: str) -> None:
    running = await serve()
    async with httpx.AsyncClient(base_url=running.url) as client:
        response = await client.post("/api/chat", content=body,
                                     headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code


async def test_body_over_the_limit_is_413(serve) -> None:
    running = await serve(max_body_bytes=4096)
    async with httpx.AsyncClient(base_url=running.url) as client:
        response = await client.post("/api/chat", json={"user_id": "u", "text": "a" * 10_000})
    assert response.status_code == 413


@pytest.mark.parametrize(
    "text",
    ["", "   ", "😀😀😀", "a" * 1500, "'; DROP TABLE messages; --", "<script>alert(1)</script>",
     "xin\u200b chao\u200d", "Chu\u0301 ha\u0300ng xo\u0301m", "/restart"],
)
async def test_odd_text_is_stored_and_answered(serve, text: str) -> None:
    running = await serve()
    async with httpx.AsyncClient(base_url=running.url) as client:
        response = await client.post("/api/chat", json={"user_id": "odd", "text": text})
    assert response.status_code == 200
    assert response.json()["replies"], "every message gets an answer"
    async with running.app.ctx.db.session() as session:
        query = select(Message.text).where(Message.direction == "in")
        stored = (await session.scalars(query)).all()
    assert stored == [text]


async def test_too_long_text_is_answered_with_the_limit(serve) -> None:
    running = await serve(max_text_chars=100)
    async with httpx.AsyncClient(base_url=running.url) as client:
        response = await client.post("/api/chat", json={"user_id": "u", "text": "chào " * 60})
    reply = response.json()["replies"][0]["text"]
    assert "100" in reply and "111" in reply


async def test_bad_after_parameter_is_400(serve) -> None:
    running = await serve()
    async with httpx.AsyncClient(base_url=running.url) as client:
        response = await client.get("/api/chat/u/messages?after=abc")
    assert response.status_code == 400


async def test_healthz_is_503_when_rasa_is_down(serve) -> None:
    running = await serve()
    async with httpx.AsyncClient(base_url=running.url) as client:
        response = await client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable", "database": True, "rasa": False, "safety_model": True
    }


async def test_healthz_is_503_without_the_learned_safety_model(serve, tmp_path) -> None:
    running = await serve(safety_model_dir=tmp_path / "no-model")
    async with httpx.AsyncClient(base_url=running.url) as client:
        response = await client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["safety_model"] is False and "make train" in body["safety_model_problem"]
