"""triage and reviews: each inbound message keeps its triage; doubtful chats go to a review list

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Add the triage columns and the reviews table."""
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("triage", sa.JSON(), nullable=True))
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("offered_titles", sa.JSON(), nullable=False,
                                   server_default="[]"))
        batch.add_column(sa.Column("activity", sa.String(8), nullable=False,
                                   server_default="chat"))
        batch.add_column(sa.Column("speaker", sa.String(8), nullable=False,
                                   server_default="unknown"))
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("reasons", sa.JSON(), nullable=False, server_default="[]"))
    op.create_table(
        "reviews",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("conversation_id", BigId, sa.ForeignKey("conversations.id"), nullable=False),
        sa.Column("message_id", BigId, sa.ForeignKey("messages.id"), nullable=True),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("risk", sa.String(10), nullable=False),
        sa.Column("category", sa.String(24), nullable=True),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", BigId, sa.ForeignKey("counsellors.id"), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("case_id", sa.String(16), nullable=True),
    )
    op.create_index("ix_reviews_conversation_id", "reviews", ["conversation_id"])
    op.create_index("ix_reviews_status_score", "reviews", ["status", "score"])


def downgrade() -> None:
    """Drop the reviews table and the triage columns."""
    op.drop_index("ix_reviews_status_score", table_name="reviews")
    op.drop_index("ix_reviews_conversation_id", table_name="reviews")
    op.drop_table("reviews")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("reasons")
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("speaker")
        batch.drop_column("activity")
        batch.drop_column("offered_titles")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("triage")
