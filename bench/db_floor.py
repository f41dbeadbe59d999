"""The database's floor under the gateway's CPU per message: what the smallest steps cost.

    .venv/bin/python bench/db_floor.py [--rounds 500]

On a fresh migrated SQLite file (aiosqlite, as the gateway runs it), prints the CPU time of the
process (its threads included) per step: an ORM session with one select (begin, select,
commit), and one Core select on a pooled connection. The gateway answers a message in three
transactions, so their cost bounds from below what issue 12's "5 % of Rasa's CPU" can reach.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.storage.db import Database  # noqa: E402
from bot.storage.migrate import upgrade  # noqa: E402
from bot.storage.models import User  # noqa: E402


async def measure(rounds: int) -> dict[str, float]:
    """CPU milliseconds per step, each step repeated `rounds` times after a warm-up."""
    with tempfile.TemporaryDirectory(prefix="kidsafe-floor-") as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'floor.db'}"
        await asyncio.to_thread(upgrade, url)
        db = Database(url)
        wanted = select(User.id).where(User.channel == "web", User.pseudonym == "nobody")

        async def orm_session() -> None:
            async with db.session() as session:
                await session.scalar(wanted)

        async def core_read() -> None:
            async with db.engine.connect() as connection:
                (await connection.execute(wanted)).first()

        figures: dict[str, float] = {}
        try:
            for name, step in (("ORM session: begin, one select, commit", orm_session),
                               ("Core select on a pooled connection", core_read)):
                for _ in range(20):
                    await step()
                started = time.process_time()
                for _ in range(rounds):
                    await step()
                figures[name] = 1000 * (time.process_time() - started) / rounds
        finally:
            await db.dispose()
        return figures


def main() -> int:
    """Print the CPU per step."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=500)
    args = parser.parse_args()
    for name, ms in asyncio.run(measure(args.rounds)).items():
        print(f"{name}: {ms:.2f} ms CPU")
    return 0


if __name__ == "__main__":
    sys.exit(main())
