"""qualcode: qualitative coding of stakeholder interviews, locally.

Importing this package is cheap on purpose: heavy libraries (torch,
sentence-transformers, SQLAlchemy, python-docx, openpyxl) are imported only by the
modules that need them, when they are first used.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
