"""Typed settings read from the environment (prefix ``QUALCODE_``).

| variable | meaning | default |
|---|---|---|
| QUALCODE_DATABASE_URL | database of a new study | SQLite file in the study folder |
| QUALCODE_MODEL | embedding model name or path | the bundled all-MiniLM-L6-v2 |
| QUALCODE_BACKEND | how the model runs: onnx, torch or onnx-int8 (read by ``pipeline/embed.py``) | onnx where it can run, else torch |
| QUALCODE_CACHE_DIR | where embeddings are cached | ``~/.cache/qualcode`` |
| QUALCODE_SEGMENT_WORDS | longest segment, in words | 80 |
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from qualcode.errors import UsageError

DEFAULT_MODEL = "all-MiniLM-L6-v2"


@dataclass(frozen=True)
class Settings:
    database_url: str | None = None
    model: str = DEFAULT_MODEL
    cache_dir: Path = Path.home() / ".cache" / "qualcode"
    segment_words: int = 80

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        words = env.get("QUALCODE_SEGMENT_WORDS", "80")
        try:
            n_words = int(words)
        except ValueError:
            raise UsageError(
                f"QUALCODE_SEGMENT_WORDS: expected a whole number of words, got {words!r}"
            ) from None
        if n_words < 5:
            raise UsageError(f"QUALCODE_SEGMENT_WORDS: expected at least 5, got {n_words}")
        cache = env.get("QUALCODE_CACHE_DIR")
        return cls(
            database_url=env.get("QUALCODE_DATABASE_URL") or None,
            model=env.get("QUALCODE_MODEL") or DEFAULT_MODEL,
            cache_dir=Path(cache) if cache else Path.home() / ".cache" / "qualcode",
            segment_words=n_words,
        )
