"""log-in sessions for accounts.

- ``login_sessions``: one row per log-in that lasts a working day: the SHA-256 of a random
  token (the token itself is only in the person's browser), whose it is, and when it expires.
  Failed log-ins are counted from the audit log, so they need no table.

Revision ID: 0003
Revises: 0002
"""
from collections.abc import Sequence
from typing import Union

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: Union[str, Sequence[str], None] = "0002"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "login_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("coder_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["coder_id"], ["coders.id"]),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    op.create_index("ix_login_sessions_coder_id", "login_sessions", ["coder_id"])


def downgrade() -> None:
    op.drop_index("ix_login_sessions_coder_id", table_name="login_sessions")
    op.drop_table("login_sessions")
