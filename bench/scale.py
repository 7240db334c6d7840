"""Code a synthetic study of 50,000 segments: time per stage and peak memory, in one run.

Transcripts are made by re-combining the sentences of the example study (seeded), with
participants spread over groups and sites. Stages: import, code (embed + suggest), a
second code run (all cached), `next`, and the theme report. The first code run is also
split by the steps ``code_study`` announces (read, embedding, learning, suggesting, saving
with the review index), so its time divides into embedding and everything else; with
``--model hash:384`` (a lexical stand-in of the real model's width, no model) what is left is
the time of everything but the model.

    .venv/bin/python bench/scale.py [--segments 50000] [--model all-MiniLM-L6-v2|hash:384]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def sentences() -> list[str]:
    from qualcode.io.transcripts import read_transcript

    out = []
    for p in sorted((ROOT / "data_templates" / "example" / "transcripts").iterdir()):
        t = read_transcript(p)
        for turn in t.turns:
            if turn.speaker and turn.speaker != "Interviewer":
                out += [s for s in re.split(r"(?<=[.!?])\s+", turn.text) if len(s.split()) > 3]
    return out


def build(folder: Path, n_segments: int, seed: int = 0):
    from qualcode.io.codebook import load_codebook
    from qualcode.io.transcripts import content_hash, parse_speaker_text
    from qualcode.records import Participant, Transcript
    from qualcode.store import Study

    rng = random.Random(seed)
    pool = sentences()
    per_transcript = 200
    n_transcripts = max(1, n_segments // per_transcript)
    people, transcripts = [], []
    for t in range(n_transcripts):
        pid = f"{'P' if t % 2 else 'S'}{t:04d}"
        people.append(Participant(pid, "professional" if t % 2 else "service user", "GP" if t % 2 else "Patient",
                                  "ABCDEFGHIJ"[t % 10]))
        turns = []
        for _ in range(per_transcript):  # one short turn = one segment
            turns.append(f"{pid}: " + " ".join(rng.sample(pool, 2)))
        text = "\n\n".join(turns) + "\n"
        transcripts.append(Transcript(f"synthetic_{t:04d}", text, parse_speaker_text(text), "txt",
                                      content_hash=content_hash(text.encode())))
    study = Study.init(folder, codebook=load_codebook(ROOT / "codebooks" / "gp_commissioning.yaml"))
    return study, transcripts, people


def stage_times(start: float, marks: list[tuple[str, float]], end: float) -> dict[str, float]:
    """Seconds per step from the times each step was announced: before the first, ``read``
    (codebook and segments); the last, ``saving``, runs to the end (it includes the review index)."""
    names = ["read", *(name for name, _ in marks)]
    times = [start, *(t for _, t in marks), end]
    out: dict[str, float] = {}
    for name, a, b in zip(names, times, times[1:], strict=False):
        out[name] = out.get(name, 0.0) + b - a
    return out


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=int, default=50000)
    parser.add_argument("--model", default="all-MiniLM-L6-v2")
    args = parser.parse_args()
    from qualcode.pipeline.embed import make_embedder
    from qualcode.reports.theme_report import write_markdown_report
    from qualcode.workflow import code_study, next_segments

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["QUALCODE_CACHE_DIR"] = str(Path(tmp) / "cache")
        study, transcripts, people = build(Path(tmp) / "study", args.segments)
        t0 = time.perf_counter()
        report = study.import_transcripts(transcripts, people, max_words=80)
        t_import = time.perf_counter() - t0
        embedder = make_embedder(args.model, cache_dir=Path(tmp) / "cache")
        t0 = time.perf_counter()
        embedder.encode(["a text that is not in the study"])  # load (and export, once per machine) the model
        t_load = time.perf_counter() - t0
        marks: list[tuple[str, float]] = []
        t0, c0 = time.perf_counter(), time.process_time()
        first = code_study(study, embedder, stage=lambda name: marks.append((name, time.perf_counter())))
        t_code, c_code = time.perf_counter() - t0, time.process_time() - c0
        steps = stage_times(t0, marks, t0 + t_code)
        t0 = time.perf_counter()
        code_study(study, make_embedder(args.model, cache_dir=Path(tmp) / "cache"))
        t_recode = time.perf_counter() - t0
        t0 = time.perf_counter()
        next_segments(study, "bench", embedder, 20)
        t_next = time.perf_counter() - t0
        t0 = time.perf_counter()
        write_markdown_report(study, Path(tmp) / "report.md")
        t_report = time.perf_counter() - t0
        print(f"segments: {report.segments} in {len(transcripts)} transcripts; model {embedder.model_id}")
        print(f"import            : {t_import:8.1f} s")
        print(f"model load/export : {t_load:8.1f} s  (not in the code time)")
        print(f"code (embed+suggest): {t_code:6.1f} s  ({first.segments / t_code:.0f} segments/s, "
              f"{first.suggestions} suggestions; {c_code:.1f} CPU s)")
        embed_s = steps.get("embedding", 0.0)
        print(f"  embedding       : {embed_s:8.1f} s  ({first.embedded / max(embed_s, 1e-9):.0f} segments/s, "
              f"{first.embedded} embedded)")
        rest = t_code - embed_s
        print(f"  everything else : {rest:8.1f} s  ({first.segments / max(rest, 1e-9):.0f} segments/s: "
              + ", ".join(f"{k} {v:.1f} s" for k, v in steps.items() if k != "embedding") + ")")
        print(f"code again (cached): {t_recode:7.1f} s  (speed-up {t_code / t_recode:.1f}x)")
        print(f"next (20)         : {t_next:8.1f} s")
        print(f"report            : {t_report:8.1f} s")
        print(f"peak memory       : {peak_mb():8.0f} MB")
        print(f"load average      : {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
