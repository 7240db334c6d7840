"""Inputs that are not what they claim to be: pipes and devices, sources outside a
project, text that is not UTF-8, rating tables too big for the statistics, and the
codebook messages that name the right line."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest

from qualcode.errors import CodebookError, InputError
from qualcode.io.codebook import load_codebook, parse_codebook
from qualcode.io.participants import read_participants
from qualcode.io.refi_read import read_refi_project
from qualcode.io.tables import MAX_CATEGORIES, read_rating_table
from qualcode.io.transcripts import read_transcript

GUID = "33333333-3333-4333-8333-000000000000"
PROJECT = ('<?xml version="1.0" encoding="utf-8"?><Project xmlns="urn:QDA-XML:project:1.0" name="p">'
           '<Sources><TextSource guid="' + GUID + '" name="t0" plainTextPath="internal://{ref}"/></Sources>'
           '</Project>')


def _qde(folder: Path, ref: str, source: bytes | None = None) -> Path:
    folder.mkdir()
    (folder / "sources").mkdir()
    if source is not None:
        (folder / "sources" / f"{GUID}.txt").write_bytes(source)
    path = folder / "project.qde"
    path.write_text(PROJECT.format(ref=ref), encoding="utf-8")
    return path


@pytest.mark.parametrize("reader, name", [
    (read_transcript, "t.txt"), (read_transcript, "t.csv"), (load_codebook, "c.yaml"),
    (read_participants, "p.csv"), (read_rating_table, "r.csv")])
def test_pipes_and_devices_are_refused_before_reading(tmp_path: Path, reader, name: str) -> None:  # noqa: ANN001
    fifo = tmp_path / name
    os.mkfifo(fifo)  # reading it would wait for a writer for ever
    with pytest.raises(InputError, match=f"{name}: expected .*, got a device, pipe or socket, not a regular file"):
        reader(fifo)
    zero = tmp_path / f"zero-{name}"
    zero.symlink_to("/dev/zero")  # endless, though its size says 0
    with pytest.raises(InputError, match="not a regular file"):
        reader(zero)


def test_a_qde_source_must_stay_in_its_sources_folder(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("P01: not for import")
    path = _qde(tmp_path / "p", "../../secret.txt")
    with pytest.raises(CodebookError, match=r"expected a source file name inside the project's sources/ folder, "
                                            r"got '\.\./\.\./secret\.txt'"):
        read_refi_project(path)
    with pytest.raises(CodebookError, match="inside the project's sources/ folder"):
        read_refi_project(_qde(tmp_path / "abs", str(secret)))


def test_source_text_that_is_not_utf8_names_the_source_and_the_byte(tmp_path: Path) -> None:
    beside = _qde(tmp_path / "p", f"{GUID}.txt", "P01: café".encode("cp1252"))
    with pytest.raises(CodebookError, match=rf"{GUID}\.txt: expected the text of source .* in UTF-8, "
                                            r"got byte 0xe9 at offset 8"):
        read_refi_project(beside)
    qdpx = tmp_path / "p.qdpx"
    with zipfile.ZipFile(qdpx, "w") as z:
        z.writestr("project.qde", PROJECT.format(ref=f"{GUID}.txt"))
        z.writestr(f"sources/{GUID}.txt", b"\xed\xa0\x80 lone surrogate")
    with pytest.raises(CodebookError, match=r"p\.qdpx: expected the text of source .* in UTF-8, got byte 0xed at offset 0"):
        read_refi_project(qdpx)


def test_a_qde_source_beside_it_has_the_size_limit(tmp_path: Path) -> None:
    from qualcode.io.safe import MAX_FILE_BYTES

    path = _qde(tmp_path / "p", f"{GUID}.txt", b"")
    os.truncate(tmp_path / "p" / "sources" / f"{GUID}.txt", MAX_FILE_BYTES + 1)  # sparse: no 8 MiB written
    with pytest.raises(CodebookError, match="expected a file of at most 8,388,608 bytes"):
        read_refi_project(path)


@pytest.mark.parametrize("table, message", [
    ("unit,a,a\nu1,1,2\n", r"r\.csv:1: expected each coder's column named once .*, got 'a' more than once"),
    ("unit,a,b\nu1,1,2\nu1,2,2\n", r"r\.csv:3: field 'unit': expected each unit once \(unit 'u1' is already on line 2\)"),
    ("unit,a,b\nu1,1e308,-1e308\nu2,2,2\n", r"r\.csv:2: field 'a': expected a number between -1e100 and 1e100"),
    ("unit,a,b\n" + "".join(f"u{i},{i},{i + 1}\n" for i in range(MAX_CATEGORIES)),
     r"expected at most 1,000 distinct values .*, got more by line"),
])
def test_rating_tables_the_statistics_cannot_take(tmp_path: Path, table: str, message: str) -> None:
    (tmp_path / "r.csv").write_text(table)
    with pytest.raises(InputError, match=message):
        read_rating_table(tmp_path / "r.csv", numeric="1e308" in table)


def test_codebook_messages_name_the_line_of_the_problem() -> None:
    with pytest.raises(CodebookError, match=r"c\.yaml:5: expected keys among .*, got colour"):
        parse_codebook("name: x\ncodes:\n  - id: a\n    definition: d\n    colour: red\n", "c.yaml")
    with pytest.raises(CodebookError, match=r"c\.yaml:1: field 'version': expected a whole-number version from 1 "
                                            r"to 1,000,000, got a list or mapping"):
        parse_codebook("version: [1]\ncodes:\n  - id: a\n    definition: d\n", "c.yaml")
