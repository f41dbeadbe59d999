"""Helpers for the web chat's tests: a counsellor acting on a case, as the console would."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.changefeed import ChangeKind, record
from bot.storage.models import Case, Counsellor


async def counsellor_for_the_case(app: Any) -> tuple[str, int]:
    """The one case that is open and a new counsellor account: their ids."""
    async with app.ctx.db.session() as session:
        counsellor = Counsellor(username="lan", display_name="Cô Lan", password_hash="x")
        session.add(counsellor)
        await session.flush()
        case = (await session.scalars(select(Case))).one()
        return case.id, counsellor.id


async def as_counsellor(app: Any, ids: tuple[str, int],
                        action: Callable[..., Awaitable[Any]], *args: Any) -> None:
    """Run a case action (bot.handoff.cases) in its own transaction, as the console does."""
    case_id, counsellor_id = ids
    session: AsyncSession
    async with app.ctx.db.session() as session:
        case = await session.get(Case, case_id)
        counsellor = await session.get(Counsellor, counsellor_id)
        assert case is not None and counsellor is not None
        await action(session, case, counsellor, *args)


async def counsellor_types(session: AsyncSession, case: Case, _counsellor: Counsellor) -> None:
    """The console's typing notice, recorded in the change feed."""
    await record(session, ChangeKind.TYPING, conversation_id=case.conversation_id,
                 case_id=case.id, detail={"who": "counsellor"})
