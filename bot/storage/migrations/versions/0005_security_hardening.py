"""least data and login throttling (issue 11)

- message text, notes, referral notes, review reasons and queued replies are encrypted at rest
  (existing rows are encrypted here, with the keys of DATA_KEYS / DATA_DIR/data.keys);
- platform message ids become keyed references (bot.privacy); existing ones are converted;
- failed logins are counted in login_throttle (growing delays) instead of locking accounts.

Downgrading decrypts the text again; platform ids stay keyed (a hash cannot be undone).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 04:30:00
"""

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ENCRYPTED = (("messages", "text"), ("notes", "text"), ("referrals", "note"),
             ("reviews", "resolution"), ("outbox", "payload"))
BATCH = 500


def _rows(table: str, *columns: str, where: str = "") -> Iterator[list[Any]]:
    """Rows of a table in id order, a batch at a time (never the whole table in memory)."""
    connection = op.get_bind()
    last = 0
    names = ", ".join(columns)
    while True:
        batch = connection.execute(
            sa.text(f"SELECT id, {names} FROM {table} WHERE id > :last {where} "
                    f"ORDER BY id LIMIT {BATCH}"), {"last": last}).all()
        if not batch:
            return
        yield list(batch)
        last = batch[-1][0]


def _rewrite(table: str, column: str, change: Callable[[str], str]) -> None:
    """Apply `change` to every non-NULL value of a column."""
    connection = op.get_bind()
    update = sa.text(f"UPDATE {table} SET {column} = :value WHERE id = :id")
    for batch in _rows(table, column, where=f"AND {column} IS NOT NULL"):
        values = [{"id": row[0], "value": change(str(row[1]))} for row in batch]
        connection.execute(update, values)


def _references() -> None:
    """Platform ids to keyed references: receipts, and the messages that came in."""
    from bot.privacy import Privacy
    from bot.settings import get_settings

    privacy = Privacy(get_settings().pseudonym_secret)
    connection = op.get_bind()
    for batch in _rows("inbound_receipts", "channel", "platform_id"):
        connection.execute(
            sa.text("UPDATE inbound_receipts SET platform_id = :value WHERE id = :id"),
            [{"id": r[0], "value": privacy.reference(r[1], r[2])} for r in batch])
    incoming = "AND platform_id IS NOT NULL AND direction = 'in'"
    channel = "(SELECT channel FROM conversations c WHERE c.id = messages.conversation_id)"
    for batch in _rows("messages", channel, "platform_id", where=incoming):
        connection.execute(
            sa.text("UPDATE messages SET platform_id = :value WHERE id = :id"),
            [{"id": r[0], "value": privacy.message_reference(r[1] or "", r[2])} for r in batch])


def upgrade() -> None:
    """Create login_throttle, drop the lock-out columns, encrypt text, key platform ids."""
    from bot.storage.encryption import cipher

    op.create_table(
        "login_throttle",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True,
                  autoincrement=True),
        sa.Column("scope", sa.String(8), nullable=False),
        sa.Column("key", sa.String(80), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("blocked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_failures", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("scope", "key", name="uq_login_throttle_scope_key"),
    )
    op.create_index("ix_login_throttle_updated_at", "login_throttle", ["updated_at"])
    # plain DROP COLUMN (no table rebuild: other tables reference counsellors)
    op.drop_column("counsellors", "failed_logins")
    op.drop_column("counsellors", "locked_until")
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column("payload", type_=sa.Text(), existing_type=sa.JSON(),
                           existing_nullable=False, postgresql_using="payload::text")
    encrypt = cipher().encrypt
    for table, column in ENCRYPTED:
        _rewrite(table, column, encrypt)
    _references()


def downgrade() -> None:
    """Decrypt the text again and restore the lock-out columns (platform ids stay keyed)."""
    from bot.storage.encryption import cipher

    decrypt = cipher().decrypt
    for table, column in ENCRYPTED:
        _rewrite(table, column, decrypt)
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column("payload", type_=sa.JSON(), existing_type=sa.Text(),
                           existing_nullable=False, postgresql_using="payload::json")
    op.add_column("counsellors", sa.Column("failed_logins", sa.Integer(), nullable=False,
                                           server_default="0"))
    op.add_column("counsellors", sa.Column("locked_until", sa.DateTime(timezone=True),
                                           nullable=True))
    op.drop_index("ix_login_throttle_updated_at", table_name="login_throttle")
    op.drop_table("login_throttle")
