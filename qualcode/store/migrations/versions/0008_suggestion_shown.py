"""suggestion shown: the engine's own decision whether a machine suggestion is shown.

``code_applications.shown`` (nullable boolean, machine rows only): ``qualcode code`` stores
:meth:`qualcode.pipeline.suggest.CodeSuggester.shown`, the display rule learnt from the
study's decisions (per-code show thresholds, :mod:`qualcode.pipeline.display`), so the app
shows exactly what ``qualcode evaluate`` measures instead of re-deriving it from a fixed
0.5. NULL (rows stored before this revision, human and final rows) means the old rule:
a segment's best suggestion and any other from 0.5.

Revision ID: 0008
Revises: 0007
"""
from collections.abc import Sequence
from typing import Union

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: Union[str, Sequence[str], None] = "0007"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("code_applications") as batch:
        batch.add_column(sa.Column("shown", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("code_applications") as batch:
        batch.drop_column("shown")
