"""`python -m qualcode` is the same as the `qualcode` command."""

from __future__ import annotations

from qualcode.cli import main

raise SystemExit(main())
