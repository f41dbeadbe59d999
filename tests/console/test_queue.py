"""The queue at 1,000 open cases: pages, filters, search, previews, counts, one's own cases."""

from __future__ import annotations

from typing import Any

from bot.console.queue import PREVIEW, preview_of
from common.taxonomy import CATEGORIES
from devtools.seed_cases import channel_of, seed_open_cases
from tests.console.conftest import make_account, make_case, minutes_ago

SEEDED = 1000


async def ids(client: Any, query: str) -> tuple[list[str], int]:
    body = (await client.get("/queue" + query)).json()
    return [c["id"] for c in body["items"]], body["total"]


async def test_a_thousand_cases_come_in_pages_with_filters_and_search(running, console) -> None:
    app = running.app
    await make_account(app, "lan")
    seeded = await seed_open_cases(app.ctx.db, SEEDED)
    client = console()
    await client.login("lan")
    first = (await client.get("/queue")).json()
    assert first["total"] == SEEDED and len(first["items"]) == 50 and first["page"] == 1
    assert first["counts"] == {"waiting": SEEDED, "waiting_long": seeded.timeouts,
                               "high_waiting": seeded.by_risk["high"] + seeded.by_risk["imminent"]}
    pages = [first["items"]]
    for page in range(2, 21):
        pages.append((await client.get(f"/queue?page={page}")).json()["items"])
    every = [c["id"] for page in pages for c in page]
    assert len(every) == SEEDED and len(set(every)) == SEEDED  # no case twice, none missed
    olds = [c for page in pages for c in page if not c["new"]]
    ranks = [c["risk_rank"] for c in olds]
    assert ranks == sorted(ranks, reverse=True)  # risk first, then the longest wait
    for rank in set(ranks):
        opened = [c["opened_at"] for c in olds if c["risk_rank"] == rank]
        assert opened == sorted(opened)

    high, total = await ids(client, "?risk=high&size=100")
    assert total == seeded.by_risk["high"] and len(high) == 100
    online = CATEGORIES.index("online_abuse")
    telegram_online = (await client.get("/queue?channel=telegram&category=online_abuse")).json()
    assert telegram_online["total"] == sum(
        1 for i in range(SEEDED) if channel_of(i) == "telegram" and i % len(CATEGORIES) == online)
    assert telegram_online["total"] > 0
    assert {(c["channel"], c["category"]) for c in telegram_online["items"]} == {
        ("telegram", "online_abuse")}
    long_waits = (await client.get("/queue?scope=waiting")).json()
    assert long_waits["total"] == seeded.timeouts
    found, total = await ids(client, "?q=sse00000042")
    assert found == ["SSE00000042"] and total == 1  # search by case id, any case
    for bad in ("?risk=huge", "?page=0", "?size=1000", "?scope=everything", "?channel=a%20b"):
        assert (await client.get("/queue" + bad)).status_code == 400, bad


async def test_items_carry_a_short_plain_preview_reasons_and_one_s_own_cases_first(
    running, console
) -> None:
    app = running.app
    lan_id = await make_account(app, "lan")
    await make_account(app, "minh")
    long = "<script>x</script> " + "em sợ lắm " * 30
    waiting = await make_case(app, "high", minutes_ago(30), text=long)
    mine = await make_case(app, "concern", minutes_ago(40), text="hôm qua\nem bị\tđánh")
    lan, minh = console(), console()
    await lan.login("lan")
    await minh.login("minh")
    await lan.post(f"/cases/{mine}/accept")
    body = (await lan.get("/queue")).json()
    assert [c["id"] for c in body["mine"]] == [mine]
    assert body["mine"][0]["counsellor_id"] == lan_id and body["mine"][0]["step"] == "received"
    assert body["mine"][0]["preview"] == "hôm qua em bị đánh"  # one line
    item = body["items"][0]
    assert item["id"] == waiting and len(item["preview"]) <= PREVIEW
    assert item["preview"].endswith("…")
    assert item["preview"].startswith("<script>x</script>")  # plain text: the page escapes it
    assert item["reasons"] == [] and item["risk"] == "high" and item["new"] is False
    assert [c["id"] for c in (await minh.get("/queue?scope=all")).json()["items"]] == [waiting]
    assert (await minh.get("/queue?scope=mine")).json()["items"] == []
    assert (await lan.get("/queue?scope=mine")).json()["total"] == 1
    assert (await minh.get(f"/queue?q={mine}")).json()["items"] == []  # not minh's to see


def test_a_preview_is_one_printable_line() -> None:
    assert preview_of("a\u0000b\nc") == "a b c"
    assert preview_of(None) == "[đã xóa]" and preview_of(None, "sticker") == "[sticker]"
    assert preview_of("x" * 500).endswith("…") and len(preview_of("x" * 500)) == PREVIEW
