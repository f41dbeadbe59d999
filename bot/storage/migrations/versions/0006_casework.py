"""case steps, risk assessments, transfers, follow-ups, coalesced alerts, the change feed (issue 10)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 04:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
OPEN = sa.text("acknowledged_at IS NULL")


def _when(name: str) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=True)


def _case_fk() -> sa.Column:
    return sa.Column("case_id", sa.String(16), sa.ForeignKey("cases.id"), nullable=False)


def _counsellor_fk(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, BigId, sa.ForeignKey("counsellors.id"), nullable=nullable)


def upgrade() -> None:
    """Add the casework tables and columns; coalesce the open alerts already stored."""
    op.create_table(
        "changes",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("conversation_id", BigId, nullable=True),
        sa.Column("case_id", sa.String(16), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_changes_at", "changes", ["at"])
    op.create_table(
        "case_steps",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        _case_fk(),
        sa.Column("step", sa.String(14), nullable=False),
        _counsellor_fk("counsellor_id", nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_case_steps_case_id", "case_steps", ["case_id"])
    op.create_table(
        "risk_assessments",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        _case_fk(),
        _counsellor_fk("counsellor_id"),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("risk", sa.String(10), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_risk_assessments_case_id", "risk_assessments", ["case_id"])
    op.create_table(
        "case_transfers",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        _case_fk(),
        _counsellor_fk("from_counsellor_id"),
        _counsellor_fk("to_counsellor_id"),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _when("resolved_at"),
    )
    op.create_index("ix_case_transfers_case_id", "case_transfers", ["case_id"])
    op.create_index("ix_case_transfers_to_counsellor_id", "case_transfers", ["to_counsellor_id"])
    op.create_table(
        "follow_ups",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        _case_fk(),
        _counsellor_fk("counsellor_id"),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _when("done_at"),
        _counsellor_fk("done_by", nullable=True),
    )
    op.create_index("ix_follow_ups_case_id", "follow_ups", ["case_id"])
    op.create_index("ix_follow_ups_due_at", "follow_ups", ["due_at"])

    # plain ADD COLUMN (no table rebuild: SQLite cannot drop a table that others reference)
    op.add_column("cases", sa.Column("step", sa.String(14), nullable=False,
                                     server_default="received"))
    op.add_column("cases", sa.Column("transfer_to_id", BigId, nullable=True))
    op.create_index("ix_cases_opened_at", "cases", ["opened_at"])
    op.add_column("counsellors", _when("last_login_at"))
    op.add_column("counsellors", _when("last_seen_at"))
    op.add_column("notes", sa.Column("kind", sa.String(10), nullable=False,
                                     server_default="note"))
    op.add_column("referrals", sa.Column("status", sa.String(10), nullable=False,
                                         server_default="made"))
    op.add_column("referrals", _when("updated_at"))
    op.add_column("alerts", sa.Column("dedupe_key", sa.String(64), nullable=False,
                                      server_default=""))
    op.add_column("alerts", sa.Column("subject", sa.String(40), nullable=False,
                                      server_default=""))
    op.add_column("alerts", sa.Column("count", sa.Integer(), nullable=False,
                                      server_default="1"))
    op.add_column("alerts", _when("updated_at"))
    _coalesce_open_alerts()
    op.create_index("uq_alerts_open_key", "alerts", ["dedupe_key"], unique=True,
                    sqlite_where=OPEN, postgresql_where=OPEN)


def _coalesce_open_alerts() -> None:
    """Alerts piled up before this revision: one open alert per kind and case, counted."""
    op.execute("UPDATE alerts SET dedupe_key = kind || ':' || COALESCE(case_id, '')")
    op.execute(
        "UPDATE alerts SET count = (SELECT COUNT(*) FROM alerts a2 WHERE a2.dedupe_key = "
        "alerts.dedupe_key AND a2.acknowledged_at IS NULL) WHERE acknowledged_at IS NULL AND "
        "id = (SELECT MAX(a2.id) FROM alerts a2 WHERE a2.dedupe_key = alerts.dedupe_key "
        "AND a2.acknowledged_at IS NULL)"
    )
    op.execute(
        "UPDATE alerts SET acknowledged_at = created_at WHERE acknowledged_at IS NULL AND id < "
        "(SELECT MAX(a2.id) FROM alerts a2 WHERE a2.dedupe_key = alerts.dedupe_key "
        "AND a2.acknowledged_at IS NULL)"
    )


def downgrade() -> None:
    """Drop what upgrade added."""
    op.drop_index("uq_alerts_open_key", table_name="alerts")
    op.drop_index("ix_cases_opened_at", table_name="cases")
    for table, column in (("alerts", "updated_at"), ("alerts", "count"), ("alerts", "subject"),
                          ("alerts", "dedupe_key"), ("referrals", "updated_at"),
                          ("referrals", "status"), ("notes", "kind"),
                          ("counsellors", "last_seen_at"), ("counsellors", "last_login_at"),
                          ("cases", "transfer_to_id"), ("cases", "step")):
        op.drop_column(table, column)
    for table in ("follow_ups", "case_transfers", "risk_assessments", "case_steps", "changes"):
        op.drop_table(table)
