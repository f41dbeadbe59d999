"""Helpers shared by channel tests: counsellor actions on a case straight through the database."""

from __future__ import annotations

from sqlalchemy import select

from bot.handoff import cases
from bot.storage.db import Database
from bot.storage.models import Case, Counsellor


async def open_case_ids(db: Database) -> list[str]:
    """Ids of the cases not closed, oldest first."""
    async with db.session() as session:
        rows = await session.scalars(
            select(Case.id).where(Case.status != "closed").order_by(Case.opened_at)
        )
        return list(rows.all())


async def counsellor_replies(db: Database, case_id: str, bodies: list[str],
                             username: str = "co-lan") -> None:
    """A counsellor accepts the case (if not yet) and sends each body, in order."""
    async with db.session() as session:
        counsellor = await session.scalar(select(Counsellor).where(Counsellor.username == username))
        if counsellor is None:
            counsellor = Counsellor(username=username, display_name="Cô Lan", password_hash="x")
            session.add(counsellor)
            await session.flush()
        case = await session.get(Case, case_id)
        assert case is not None
        if case.status == "open":
            await cases.accept(session, case, counsellor)
        for body in bodies:
            await cases.send_counsellor_message(session, case, counsellor, body)
