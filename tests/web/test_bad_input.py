"""Bad input gets a clear error or a kind answer, never a crash, never silent loss."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select

from bot.storage.models import Message
from devtools.chat_client import SESSION_HEADER, ChatSessions

LONE_SURROGATE = '"\\ud800"'  # JSON for a UTF-16 high surrogate without its pair


async def post_raw(client: httpx.AsyncClient, body: str,
                   headers: dict[str, str] | None = None) -> httpx.Response:
    """POST a JSON body written by hand (to send what a JSON library would refuse to)."""
    return await client.post("/api/chat", content=body.encode("utf-8"),
                             headers={"Content-Type": "application/json", **(headers or {})})


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
     ('{"user_id": 7, "text": "hi"}', "invalid_user_id"),
     ('{"user_id": "' + "a" * 129 + '", "text": "hi"}', "invalid_user_id"),
     ('{"user_id": "em có id", "text": "hi"}', "invalid_user_id"),
     ('{"user_id": "a/b", "text": "hi"}', "invalid_user_id"),
     ('{"user_id": "u", "text": 5}', "invalid_text"),
     ('{"user_id": "u", "text": "hi", "message_id": true}', "invalid_message_id"),
     ('{"user_id": "u", "text": "hi", "message_id": [1]}', "invalid_message_id"),
     ('{"user_id": "u", "text": "hi", "message_id": "' + "m" * 129 + '"}', "invalid_message_id"),
     ('{"user_id": "u", "text": "hi", "message_id": ""}', "invalid_message_id"),
     ('{"user_id": ' + LONE_SURROGATE + ', "text": "hi"}', "invalid_user_id"),
     ('{"user_id": "u", "text": "em' + LONE_SURROGATE[1:-1] + '"}', "invalid_text"),
     ('{"user_id": "u", "text": "hi", "message_id": ' + LONE_SURROGATE + '}',
      "invalid_message_id")],
)
async def test_malformed_bodies_are_400_with_a_code_and_nothing_stored(
    serve, body: str, code: str
) -> None:
    running = await serve()
    async with httpx.AsyncClient(base_url=running.url) as client:
        response = await post_raw(client, body)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == code
    async with running.app.ctx.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Message)) == 0


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


@pytest.mark.parametrize(
    "after", ["abc", "-1", "1.5", "%20", "99999999999999999999999", "9223372036854775808",
              "%ED%A0%80", "１２"],
)
async def test_bad_after_parameter_is_400_in_both_forms(
    serve, chats: ChatSessions, after: str
) -> None:
    running = await serve()
    async with httpx.AsyncClient(base_url=running.url) as client:
        await chats.post(client, "u", "xin chao")
        headers = {**chats.headers("u"), "X-Chat-User": "u"}
        by_path = await client.get(f"/api/chat/u/messages?after={after}", headers=headers)
        by_header = await client.get(f"/api/chat/messages?after={after}", headers=headers)
    for response in (by_path, by_header):
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "invalid_after"


async def test_largest_row_id_is_a_valid_after(serve, chats: ChatSessions) -> None:
    running = await serve()
    async with httpx.AsyncClient(base_url=running.url) as client:
        await chats.post(client, "u", "xin chao")
        response = await chats.messages(client, "u", after=2**63 - 1)
    assert response.status_code == 200 and response.json()["messages"] == []


@pytest.mark.parametrize(
    "path", ["/api/chat/%ED%A0%80/messages", "/api/chat/a%2Fb/messages",
             "/api/chat/" + "a" * 129 + "/messages"],
)
async def test_bad_user_id_in_the_path_is_400(serve, path: str) -> None:
    running = await serve()
    async with httpx.AsyncClient(base_url=running.url) as client:
        response = await client.get(path)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_user_id"


async def test_bad_user_id_or_session_in_headers_is_refused_not_a_crash(serve) -> None:
    running = await serve()
    async with httpx.AsyncClient(base_url=running.url) as client:
        no_id = await client.get("/api/chat/messages")
        odd_id = await client.get("/api/chat/messages", headers={b"X-Chat-User": "é".encode()})
        odd_session = await client.get("/api/chat/messages", headers={
            b"X-Chat-User": b"u", SESSION_HEADER.encode(): "ñ".encode() * 300})
    assert [no_id.status_code, odd_id.status_code, odd_session.status_code] == [400, 400, 401]
