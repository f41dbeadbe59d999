"""least data and login throttling (issue 11)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 04:30:00
"""

from collections.abc import Sequence

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing yet (placeholder in the chain)."""


def downgrade() -> None:
    """Nothing yet (placeholder in the chain)."""
