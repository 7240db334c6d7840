"""review marks: a token that changes with every write of machine suggestions or segments.

*Review next* caches the pool of codeable segments and their summed uncertainty (0.6 s of
SQL on 50,000 segments) keyed by the newest token; see qualcode/store/review_marks.py.

Revision ID: 0009
Revises: 0008
"""
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Union

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: Union[str, Sequence[str], None] = "0008"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    table = op.create_table(
        "review_marks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    # a first mark: a study upgraded with suggestions already stored has one to key its cache by
    op.bulk_insert(table, [{"token": uuid.uuid4().hex, "created_at": datetime.now(UTC).replace(tzinfo=None)}])


def downgrade() -> None:
    op.drop_table("review_marks")
