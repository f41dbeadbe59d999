"""case steps, risk assessments, transfers, follow-ups (issue 10)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 04:30:00
"""

from collections.abc import Sequence

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing yet (placeholder in the chain)."""


def downgrade() -> None:
    """Nothing yet (placeholder in the chain)."""
