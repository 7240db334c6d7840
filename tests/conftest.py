"""Shared fixtures: a fake embedder (deterministic, no model), a tmp study, shared data."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from qualcode.io.codebook import parse_codebook
from qualcode.pipeline.embed import HashingEmbedder

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
EXAMPLE = ROOT / "data_templates" / "example"

TINY_CODEBOOK = """
name: Tiny
codes:
  - id: access
    name: Access
    definition: Getting an appointment with the doctor, phones at eight, waiting for a slot.
    examples: ["I ring at eight and all the appointments are gone.", "Waiting three weeks to see a doctor."]
    children:
      - id: phones
        name: Phone lines
        definition: The phone line at the surgery and ringing at eight.
        examples: ["The phone is always engaged.", "I rang forty times."]
  - id: money
    name: Money
    definition: Budgets, funding and the cost of services.
    examples: ["The budget has been cut again.", "It costs too much money."]
"""


class CountingEmbedder(HashingEmbedder):
    """The hashing embedder, counting how many texts it was asked to embed."""

    def __init__(self, dim: int = 128) -> None:
        super().__init__(dim)
        self.calls: list[int] = []

    def encode(self, texts, progress=None) -> np.ndarray:  # noqa: ANN001
        self.calls.append(len(texts))
        return super().encode(texts, progress)


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUALCODE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("QUALCODE_DATABASE_URL", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.fixture
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id at its smallest cost for tests that make accounts (the real cost takes ~1 s
    per hash on a busy CI machine); modules opt in with ``usefixtures("cheap_hashes")``."""
    from argon2 import PasswordHasher

    monkeypatch.setattr("qualcode.store.accounts._hasher",
                        lambda: PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))


@pytest.fixture
def fake_embedder() -> CountingEmbedder:
    return CountingEmbedder()


@pytest.fixture
def tiny_codebook():
    return parse_codebook(TINY_CODEBOOK, "tiny.yaml")


@pytest.fixture
def shared() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared is not present")
    return SHARED


def database_urls() -> list:
    urls = [pytest.param(None, id="sqlite")]
    pg = os.environ.get("QUALCODE_TEST_DATABASE_URL")
    urls.append(pytest.param(pg, id="postgresql", marks=pytest.mark.postgres) if pg else
                pytest.param("skip", id="postgresql", marks=[pytest.mark.postgres, pytest.mark.skip(
                    reason="QUALCODE_TEST_DATABASE_URL not set (run `make test-postgres`)")]))
    return urls


@pytest.fixture(params=database_urls())
def db_url(request: pytest.FixtureRequest):
    url = request.param
    if url:
        from sqlalchemy import create_engine, text

        engine = create_engine(url)
        with engine.begin() as conn:  # a clean database for every test
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        engine.dispose()
    return url


@pytest.fixture
def study(tmp_path: Path, tiny_codebook, db_url):
    from qualcode.store import Study

    s = Study.init(tmp_path / "study", codebook=tiny_codebook, db_url=db_url)
    yield s
    s.close()


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path
