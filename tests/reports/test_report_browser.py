"""The HTML report rendered by a real headless Chromium: charts drawn, nothing fetched."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from qualcode.io.codebook import load_codebook
from qualcode.io.participants import read_participants
from qualcode.io.transcripts import read_transcript
from qualcode.redact import Redactor
from qualcode.reports.data import collect
from qualcode.reports.paper_formats import html_report
from qualcode.store import Study
from qualcode.workflow import code_study
from tests.conftest import EXAMPLE, ROOT, CountingEmbedder

pytestmark = pytest.mark.browser
SHOTS = ROOT / "test-output" / "screenshots"


@pytest.fixture
def example_study(tmp_path):
    study = Study.init(tmp_path / "example", codebook=load_codebook(ROOT / "codebooks" / "gp_commissioning.yaml"))
    files = sorted((EXAMPLE / "transcripts").iterdir())
    study.import_transcripts([read_transcript(p) for p in files], read_participants(EXAMPLE / "participants.csv"))
    code_study(study, CountingEmbedder(128), floor=0.05)
    for seg in study.segments(codeable_only=True)[:12]:
        study.decide(seg.id, study.codebook().leaves()[seg.id % 5].id, "alice")
    yield study
    study.close()


def test_html_report_renders_with_its_charts(example_study, tmp_path):
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("no chromium on this machine")
    from PIL import Image

    page = tmp_path / "report.html"
    page.write_text(html_report(collect(example_study, by="group,gender", threshold=0.3,
                                        redactor=Redactor.from_study(example_study))), encoding="utf-8")
    SHOTS.mkdir(parents=True, exist_ok=True)
    shot = SHOTS / "report_html.png"
    shot.unlink(missing_ok=True)
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--no-first-run", "--disable-background-networking", f"--user-data-dir={tmp_path / 'profile'}",
                    f"--screenshot={shot}", "--window-size=1200,3000", page.as_uri()],
                   check=True, timeout=120, capture_output=True)
    image = Image.open(shot).convert("RGB")
    assert image.size == (1200, 3000)
    colours = image.getcolors(maxcolors=1_000_000)
    assert colours is not None and len(colours) > 50  # text and charts, not a blank page
    # the bar charts' blue is on the page (charts are drawn, not broken images)
    assert any(abs(r - 0x4C) < 8 and abs(g - 0x72) < 8 and abs(b - 0xB0) < 8 for _, (r, g, b) in colours)
