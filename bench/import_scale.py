"""Import one transcript of each kind at qualcode's size limit: seconds and peak memory.

Each file is made just under :data:`qualcode.io.safe.MAX_FILE_BYTES` (a single-line
``.txt`` just under :data:`~qualcode.io.safe.MAX_LINE_CHARS`, the longest line allowed),
then imported by ``qualcode import`` in a fresh process, whose wall time and peak
resident memory (``ru_maxrss`` of that process alone) are printed with the ratio of
memory to file size ("net": the same above importing a one-line file, i.e. without the
interpreter and libraries, which alone exceed 20x a 1 MB file). Files over the limit (20 MB) must be refused quickly by the
documented limit. Target (issue 16): under 10 s and under 20x the file size. The machine may be shared, so
CPU seconds are printed too and a kind passes when either is under 10 s; memory passes
when the ratio or the net ratio is under 20 (a 1 MB file cannot be imported by any Python
process in 20 MB).

    python bench/import_scale.py [--kinds txt,csv,...] [--mb 8]
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LINE = 90  # characters per generated line of speech


def _words(rng: random.Random, n_chars: int) -> str:
    vocab = ["".join(rng.choice("abcdefghijklmnoprstuvwy") for _ in range(rng.randint(2, 9)))
             for _ in range(3000)]
    out, size = [], 0
    while size < n_chars:
        w = rng.choice(vocab)
        out.append(w)
        size += len(w) + 1
    return " ".join(out)[:n_chars]


def _lines(rng: random.Random, budget: int) -> list[str]:
    text = _words(rng, budget)
    return [text[i:i + LINE].strip() or "x" for i in range(0, len(text), LINE)]


def _time(seconds: float) -> str:
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{int(h):02d}:{int(m):02d}:{s:06.3f}"


def make(kind: str, folder: Path, size: int) -> Path:
    """A transcript of ``kind`` of about ``size`` bytes (never over it)."""
    rng = random.Random(16)
    budget = int(size * 0.97)
    if kind == "txt":
        lines = _lines(rng, int(budget * 0.9))
        body = "".join(f"{'Interviewer' if i % 4 == 0 else 'P01'}: {line}\n\n" for i, line in enumerate(lines))
        path = folder / "many_turns.txt"
        path.write_text(body, encoding="utf-8")
    elif kind == "txt-1line":
        from qualcode.io.safe import MAX_LINE_CHARS

        path = folder / "one_line.txt"
        path.write_text("P01: " + _words(rng, min(budget, MAX_LINE_CHARS) - 10) + "\n", encoding="utf-8")
    elif kind in ("srt-1cue", "vtt-1cue"):
        lines = _lines(rng, int(budget * 0.98))
        ext = kind[:3]
        head = "WEBVTT\n\n" if ext == "vtt" else "1\n"
        sep = "." if ext == "vtt" else ","
        body = head + f"00:00:01{sep}000 --> 99:00:00{sep}000\n<v P01>" * (ext == "vtt") + (
            f"00:00:01{sep}000 --> 99:00:00{sep}000\nP01: " if ext == "srt" else "") + "\n".join(lines) + "\n"
        path = folder / f"one_cue.{ext}"
        path.write_text(body, encoding="utf-8")
    elif kind in ("srt-cues", "vtt-cues"):
        ext = kind[:3]
        sep = "." if ext == "vtt" else ","
        lines = _lines(rng, int(budget * 0.6))
        parts = ["WEBVTT\n\n"] if ext == "vtt" else []
        for i, line in enumerate(lines):
            a, b = 2 * i, 2 * i + 1
            stamp = f"{_time(a).replace('.', sep)} --> {_time(b).replace('.', sep)}"
            who = "Interviewer" if i % 4 == 0 else "P01"
            text = f"<v {who}>{line}" if ext == "vtt" else f"{who}: {line}"
            parts.append(f"{i + 1}\n{stamp}\n{text}\n\n")
        path = folder / f"many_cues.{ext}"
        path.write_text("".join(parts), encoding="utf-8")
    elif kind == "csv":
        import csv

        lines = _lines(rng, int(budget * 0.85))
        path = folder / "rows.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["speaker", "text", "start"])
            for i, line in enumerate(lines):
                w.writerow(["Interviewer" if i % 4 == 0 else "P01", line, f"{i * 2.5:.1f}"])
    elif kind == "docx":
        path = folder / "paragraphs.docx"
        _docx(path, _lines(rng, int(budget * 0.9)))
    else:
        raise SystemExit(f"unknown kind {kind!r}")
    return path


def _docx(path: Path, lines: list[str]) -> None:
    """A minimal .docx written directly (python-docx is slow at a million paragraphs)."""
    import zipfile
    from xml.sax.saxutils import escape

    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    paras = "".join(f"<w:p><w:r><w:t>{'Interviewer' if i % 4 == 0 else 'P01'}: {escape(line)}</w:t></w:r></w:p>"
                    for i, line in enumerate(lines))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml",
                   '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/content-types"><Default Extension="rels" ContentType="application/'
                   'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
                   'ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType='
                   '"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
        z.writestr("_rels/.rels",
                   '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.'
                   'org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
                   'openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
                   'Target="word/document.xml"/></Relationships>')
        z.writestr("word/document.xml", f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{w}">'
                                        f"<w:body>{paras}</w:body></w:document>")


def measure(path: Path, code: Path) -> tuple[int, float, float, str]:
    """Import ``path`` into a new study in a child process: its peak RSS (bytes, from
    ``wait4``, so only that process), wall seconds, CPU seconds (user + system: what the
    import costs on a machine that other work also loads) and last output line."""
    study = path.parent / f"study_{path.name.replace('.', '_')}"
    env = dict(os.environ, PYTHONPATH=str(code), HF_HUB_OFFLINE="1")
    # cwd: the file's folder, so ``-m`` does not put the current checkout before ``code``
    subprocess.run([sys.executable, "-m", "qualcode", "init", str(study)], check=True, env=env,
                   stdout=subprocess.DEVNULL, cwd=path.parent)
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "qualcode", "import", str(study), str(path)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=path.parent)
    out_b, err_b = proc.stdout.read(), proc.stderr.read()  # small: a summary and warnings
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - t0
    out, err = out_b.decode(errors="replace").strip(), err_b.decode(errors="replace").strip()
    message = (out + (" | " + err.splitlines()[-1] if err else ""))[:110]
    return usage.ru_maxrss * 1024, seconds, usage.ru_utime + usage.ru_stime, message


KINDS = ("txt", "txt-1line", "srt-1cue", "srt-cues", "vtt-1cue", "vtt-cues", "csv", "docx")


def main() -> int:
    from qualcode.io.safe import MAX_FILE_BYTES

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--bytes", type=int, default=MAX_FILE_BYTES, help="size of the files (default: the limit)")
    parser.add_argument("--code", type=Path, default=ROOT,
                        help="the qualcode checkout to measure (default: this one)")
    parser.add_argument("--over-mb", type=float, default=20.0, help="size of the refused files (0: skip)")
    args = parser.parse_args()
    bad = 0
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        tiny = work / "tiny.txt"
        tiny.write_text("P01: hello there.\n", encoding="utf-8")
        base, _, _, _ = measure(tiny, args.code)
        print(f"baseline: importing a one-line transcript peaks at {base / 1e6:.0f} MB")
        print(f"{'kind':<10} {'file MB':>8} {'seconds':>8} {'cpu s':>6} {'peak MB':>8} {'ratio':>6} {'net':>5}  result")
        for kind in args.kinds.split(","):
            path = make(kind, work, args.bytes)
            size = path.stat().st_size
            rss, seconds, cpu, message = measure(path, args.code)
            ratio, net = rss / size, (rss - base) / size  # net: above an import of one line
            ok = min(seconds, cpu) < 10 and min(ratio, net) < 20 and message.startswith("imported")
            bad += not ok
            print(f"{kind:<10} {size / 1e6:>8.2f} {seconds:>8.2f} {cpu:>6.2f} {rss / 1e6:>8.0f} {ratio:>6.1f} "
                  f"{net:>5.1f}  {'ok ' if ok else 'BAD'} {message[:60]}")
        if args.over_mb:
            (work / "over").mkdir()
            for kind in ("txt", "srt-1cue", "csv"):
                path = make(kind, work / "over", int(args.over_mb * 1e6))
                size = path.stat().st_size
                rss, seconds, cpu, message = measure(path, args.code)
                refused = "expected" in message and seconds < 10
                bad += not refused
                print(f"{kind + '>':<10} {size / 1e6:>8.2f} {seconds:>8.2f} {cpu:>6.2f} {rss / 1e6:>8.0f} "
                      f"{rss / size:>6.1f} {(rss - base) / size:>5.1f}  {'ok ' if refused else 'BAD'} "
                      f"{message.split(': error: ')[-1][:60]}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
