"""web chat sessions (issue 11, chat sessions): a web user's chat belongs to who holds its secret

Only the SHA-256 of the session secret is stored; the secret itself is returned once, in the
first answer for a new web user id.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 04:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add users.session_hash (web chats only; NULL for other channels)."""
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("session_hash", sa.String(64), nullable=True))


def downgrade() -> None:
    """Drop users.session_hash."""
    with op.batch_alter_table("users") as batch:
        batch.drop_column("session_hash")
