"""Every answer of the gateway carries the security headers; HSTS over HTTPS only; HEAD on pages."""

from __future__ import annotations

import re

import httpx
import pytest

from bot.web.headers import HSTS, SECURITY_HEADERS

PARAMETERS = {"int": "1", "str": "x", "path": "chat.css"}


def concrete(path: str) -> str:
    """A request path for a route pattern (every parameter given a plain value)."""
    filled = re.sub(r"<[^:>]+:(\w+)>", lambda m: PARAMETERS.get(m.group(1), "x"), path)
    return "/" + filled.replace("console/static/chat.css", "console/static/console.css")


def directives(policy: str) -> dict[str, str]:
    """A Content-Security-Policy as {directive: sources}."""
    return dict((part.strip().split(" ", 1) + [""])[:2] for part in policy.split(";")
                if part.strip())


def assert_secured(response: httpx.Response) -> None:
    """The security headers as the middleware sets them; a part of the site may only make the
    policy stricter (the console's default-src is 'none')."""
    where = response.request.url
    for name, value in SECURITY_HEADERS.items():
        if name != "Content-Security-Policy":
            assert response.headers.get(name) == value, (where, name)
    policy = directives(response.headers.get("content-security-policy", ""))
    assert policy.get("default-src") in ("'self'", "'none'"), (where, policy)
    assert policy.get("script-src") == "'self'" and policy.get("frame-ancestors") == "'none'"
    assert policy.get("base-uri") == "'none'", (where, policy)
    assert not any(bad in " ".join(policy.values()) for bad in ("unsafe", "*", "data:")), where
    assert "strict-transport-security" not in response.headers  # plain HTTP here


async def test_every_route_and_every_error_has_the_security_headers(serve) -> None:
    running = await serve(max_body_bytes=4096)
    routes = [(concrete(r.path), method) for r in running.app.router.routes
              for method in sorted(r.methods)]
    assert ("/", "HEAD") in routes and ("/api/chat", "POST") in routes
    assert len(routes) >= 25
    async with httpx.AsyncClient(base_url=running.url, timeout=10) as client:
        for path, method in routes:
            response = await client.request(method, path)
            assert response.status_code != 500, (method, path, response.text)  # no crash
            assert_secured(response)
            if path.startswith("/api/"):
                assert response.headers["cache-control"] == "no-store"
        errors = [
            await client.get("/no-such-page"),  # 404
            await client.delete("/api/chat"),  # 405
            await client.post("/api/chat", json={"user_id": "u", "text": "a" * 10_000}),  # 413
        ]
    assert [r.status_code for r in errors] == [404, 405, 413]
    for response in errors:
        assert_secured(response)


async def test_the_policy_forbids_inline_scripts_and_framing(serve) -> None:
    running = await serve()
    async with httpx.AsyncClient(base_url=running.url) as client:
        page = await client.get("/")
    policy = directives(page.headers["content-security-policy"])
    assert policy["default-src"] == "'self'" and policy["script-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'" and page.headers["x-frame-options"] == "DENY"
    assert "unsafe-inline" not in page.headers["content-security-policy"]
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    ("trusted", "forwarded", "hsts"),
    [(("127.0.0.1",), "https", True), (("127.0.0.1",), "http", False),
     ((), "https", False), (("10.0.0.1",), "https", False)],
)
async def test_hsts_only_when_a_trusted_proxy_says_https(
    serve, trusted: tuple[str, ...], forwarded: str, hsts: bool
) -> None:
    running = await serve(trusted_proxies=trusted)
    async with httpx.AsyncClient(base_url=running.url) as client:
        response = await client.get("/", headers={"X-Forwarded-Proto": forwarded})
    assert (response.headers.get("strict-transport-security") == HSTS) is hsts


async def test_head_is_answered_on_the_page_and_its_files(serve) -> None:
    running = await serve()
    async with httpx.AsyncClient(base_url=running.url) as client:
        page = await client.head("/")
        full = await client.get("/")
        script = await client.head("/static/chat/chat.js")
    assert page.status_code == 200 and page.content == b""
    assert page.headers["content-type"] == full.headers["content-type"]
    assert int(page.headers["content-length"]) == len(full.content)
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
