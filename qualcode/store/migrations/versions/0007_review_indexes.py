"""review indexes: *Review next* on a large study reads indexes, not whole tables.

Two covering indexes. ``ix_segments_layout`` gives the codeable segments in transcript
order, with their offsets, without reading their text (*Review next* and text search;
50,000 segments: 160 → 57 ms of CPU on SQLite, and without ``end`` in it the search's read
of the offsets took 2.3 s, one table look-up per segment);
``ix_applications_suggestions`` sums the uncertainty of every machine suggestion per
segment from the index alone (240,000 suggestions: 426 → 245 ms).

Revision ID: 0007
Revises: 0005
"""
from collections.abc import Sequence
from typing import Union

from alembic import op

revision: str = "0007"
down_revision: Union[str, Sequence[str], None] = "0006"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index("ix_segments_layout", "segments",
                    ["transcript_id", "start", "end", "is_interviewer", "procedural", "id"])
    op.create_index("ix_applications_suggestions", "code_applications",
                    ["source", "segment_id", "code_id", "confidence"])


def downgrade() -> None:
    op.drop_index("ix_applications_suggestions", table_name="code_applications")
    op.drop_index("ix_segments_layout", table_name="segments")
