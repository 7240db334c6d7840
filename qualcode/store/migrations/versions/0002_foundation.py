"""foundation for span coding, accounts, code properties, memo versions and import warnings.

- ``span_codings``: a code applied by a person to any span ``[start, end)`` of a
  transcript's plain text (the app's selection, REFI-QDA ``PlainTextSelection``s);
  ``text`` is kept beside the offsets, as for segments.
- ``codes``: ``color`` (``#RRGGBB`` or empty), ``guid`` (REFI-QDA GUID, empty for none),
  ``is_codable`` (REFI-QDA ``isCodable``; a theme heading may be not codable).
- ``memos``: ``span_id`` (a memo on a span coding), ``version`` (stale-write check),
  ``updated_by``.
- ``transcripts``: ``warnings`` (JSON list of what the reader found suspicious).
- ``coders``: ``password_hash`` (accounts; never the password) and ``disabled``.

Revision ID: 0002
Revises: 0001
"""
from collections.abc import Sequence
from typing import Union

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: Union[str, Sequence[str], None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "span_codings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("transcript_id", sa.Integer(), nullable=False),
        sa.Column("start", sa.Integer(), nullable=False),
        sa.Column("end", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("code_id", sa.String(length=100), nullable=False),
        sa.Column("codebook_version", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("coder_id", sa.Integer(), nullable=False),
        sa.Column("decided_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["transcript_id"], ["transcripts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["coder_id"], ["coders.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("transcript_id", "start", "end", "code_id", "source", "coder_id",
                            name="uq_span_codings_span_code_coder"),
    )
    op.create_index("ix_span_codings_transcript_start", "span_codings", ["transcript_id", "start"])
    op.create_index("ix_span_codings_code_id", "span_codings", ["code_id"])
    with op.batch_alter_table("codes") as batch:
        batch.add_column(sa.Column("color", sa.String(length=7), nullable=False, server_default=""))
        batch.add_column(sa.Column("guid", sa.String(length=36), nullable=False, server_default=""))
        batch.add_column(sa.Column("is_codable", sa.Boolean(), nullable=False, server_default=sa.true()))
    with op.batch_alter_table("memos") as batch:
        batch.add_column(sa.Column("span_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("updated_by", sa.String(length=100), nullable=False, server_default=""))
        batch.create_foreign_key("fk_memos_span_id", "span_codings", ["span_id"], ["id"], ondelete="CASCADE")
    with op.batch_alter_table("transcripts") as batch:
        batch.add_column(sa.Column("warnings", sa.Text(), nullable=False, server_default="[]"))
    with op.batch_alter_table("coders") as batch:
        batch.add_column(sa.Column("password_hash", sa.Text(), nullable=True))
        batch.add_column(sa.Column("disabled", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("coders") as batch:
        batch.drop_column("disabled")
        batch.drop_column("password_hash")
    with op.batch_alter_table("transcripts") as batch:
        batch.drop_column("warnings")
    with op.batch_alter_table("memos") as batch:
        batch.drop_constraint("fk_memos_span_id", type_="foreignkey")
        batch.drop_column("updated_by")
        batch.drop_column("version")
        batch.drop_column("span_id")
    with op.batch_alter_table("codes") as batch:
        batch.drop_column("is_codable")
        batch.drop_column("guid")
        batch.drop_column("color")
    op.drop_index("ix_span_codings_code_id", table_name="span_codings")
    op.drop_index("ix_span_codings_transcript_start", table_name="span_codings")
    op.drop_table("span_codings")
