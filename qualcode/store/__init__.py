"""The study store: the ONLY package that imports SQLAlchemy and Alembic.

Everything else (CLI, app, reports) goes through :class:`qualcode.store.study.Study`.
"""

from __future__ import annotations

from qualcode.store.study import ImportReport, Study

__all__ = ["ImportReport", "Study"]
