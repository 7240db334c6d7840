"""Hardened parsing of outside files, one place per format, and the limits qualcode keeps.

Every reader in :mod:`qualcode.io` goes through here, so that any input, however broken
or hostile, ends in a correct result or one :class:`InputError` line (file, line or
field, what was expected, what was found), and no input can make qualcode hang, eat the
machine's memory or crash with a traceback.

* XML (``.docx``'s ``word/document.xml``, REFI-QDA ``.qdc`` / ``.qde``): a document type
  declaration is refused outright (neither Word nor REFI-QDA needs one), so there are no
  entities to expand (billion laughs) or fetch (XXE) and nothing is read from the
  network; size, nesting depth and element count are limited *while* parsing.
* zip (``.docx``, ``.qdpx``): encrypted, corrupt or unknown-compression members, member
  names that climb out of the archive, and members that inflate beyond a size or a
  compression ratio (zip bombs) are refused; members are read in bounded chunks, so a
  member that lies about its size is still stopped at the limit.
* YAML (codebooks): the safe loader, with aliases refused (no alias bombs, no
  recursive codebooks) and nesting depth limited; errors are one line.
* CSV: cells up to :data:`MAX_CELL_CHARS` (Python's default of 131,072 would be a
  traceback), a NUL byte or a broken quote is one line naming the row.

The limits are constants with their own messages, documented in the README ("Limits").
"""

from __future__ import annotations

import csv
import io
import os
import re
import stat
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from xml.etree import ElementTree as ET

from qualcode.errors import InputError

# ----------------------------------------------------------------------------- limits
MAX_FILE_BYTES = 8 * 1024 * 1024
"""Largest transcript, participants sheet, codebook or table read (8 MiB; a two-hour
interview is about 100 KB). Checked before anything is parsed."""
MAX_LINE_CHARS = 1_000_000
"""Longest line of a text transcript or caption file, in characters."""
MAX_CELL_CHARS = 1_000_000
"""Longest CSV cell, in characters."""
MAX_NESTING = 100
"""Deepest nesting: codes under codes, YAML blocks, XML elements."""
MAX_CODES = 20_000
"""Most codes in one codebook (NVivo and ATLAS.ti projects rarely pass a few thousand)."""
MAX_XML_BYTES = 64 * 1024 * 1024
"""Largest XML document (a ``.docx``'s document.xml, a REFI-QDA project.qde)."""
MAX_XML_ELEMENTS = 4_000_000
"""Most XML elements in one document."""
MAX_ZIP_MEMBERS = 10_000
"""Most files inside one ``.docx`` / ``.qdpx``."""
MAX_ZIP_RATIO = 200
"""Largest compression ratio of a zip member above 1 MiB (a zip bomb inflates 1,000×)."""
MAX_SECONDS = 1_000 * 3600
"""Latest time stamp accepted (1,000 hours)."""

# The csv module's own limit, raised once for the process; our own check gives the message.
csv.field_size_limit(MAX_CELL_CHARS)


def _n(value: int) -> str:
    return f"{value:,}"


def check_size(size: int, file: str | Path, limit: int = MAX_FILE_BYTES,
               error: type[InputError] = InputError) -> None:
    """Refuse a file larger than ``limit`` bytes, before reading it."""
    if size > limit:
        raise error(file, f"a file of at most {_n(limit)} bytes (qualcode's limit on file size)",
                         f"{_n(size)} bytes")


def regular_file(path: str | Path, what: str, error: type[InputError] = InputError) -> os.stat_result:
    """``path``'s stat, refusing anything that is not a regular file (a folder, a FIFO, a
    device such as ``/dev/zero``): their size says nothing about what reading them yields,
    and reading a pipe may never end."""
    try:
        info = Path(path).stat()
    except OSError as exc:
        raise error(path, what, exc.strerror or str(exc)) from None
    if stat.S_ISDIR(info.st_mode):
        raise error(path, what, "a folder")
    if not stat.S_ISREG(info.st_mode):
        raise error(path, what, "a device, pipe or socket, not a regular file")
    return info


def decode_utf8(data: bytes, file: str | Path, what: str, error: type[InputError] = InputError) -> str:
    """UTF-8 text (a leading BOM dropped), or one message naming where the first bad byte is."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise error(file, f"{what} in UTF-8", f"byte 0x{data[exc.start]:02x} at offset {exc.start:,}, "
                    "which is not UTF-8 (save it as UTF-8)") from None


def read_bytes(path: str | Path, what: str, error: type[InputError] = InputError,
               limit: int = MAX_FILE_BYTES) -> bytes:
    """A file's bytes, refusing an unreadable file, one above the size limit, or anything that
    is not a regular file (:func:`regular_file`). The read itself is bounded too, in case
    the file grows while it is read."""
    path = Path(path)
    info = regular_file(path, what, error)
    try:
        check_size(info.st_size, path, limit, error)
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
        check_size(len(data), path, limit, error)
        return data
    except OSError as exc:
        raise error(path, what, exc.strerror or str(exc)) from None


def check_lines(text: str, file: str | Path) -> None:
    """Refuse a text with a line longer than :data:`MAX_LINE_CHARS`, naming its line."""
    if len(text) <= MAX_LINE_CHARS:
        return
    pos, line_no = 0, 1
    while pos < len(text):
        end = text.find("\n", pos)
        end = len(text) if end < 0 else end
        if end - pos > MAX_LINE_CHARS:
            raise InputError(file, f"lines of at most {_n(MAX_LINE_CHARS)} characters "
                             "(qualcode's limit on line length)", f"{_n(end - pos)} characters",
                             line=line_no)
        pos, line_no = end + 1, line_no + 1


def check_code_count(n: int, file: str | Path, error: type[InputError] = InputError,
                     more: bool = False) -> None:
    """Refuse more than :data:`MAX_CODES` codes (``more``: counting stopped at the limit)."""
    if n > MAX_CODES:
        raise error(file, f"at most {_n(MAX_CODES)} codes (qualcode's limit on codebook size)",
                    f"more than {_n(MAX_CODES)} codes" if more else f"{_n(n)} codes")


def nesting_error(file: str | Path, depth: int, what: str, line: int | None = None,
                  error: type[InputError] = InputError) -> InputError:
    return error(file, f"{what} nested at most {MAX_NESTING} levels deep (qualcode's limit on "
                      "nesting)", f"more than {depth} levels", line=line)


# ----------------------------------------------------------------------------- XML
_DTD_MARKERS = tuple(m.encode(enc) for m in ("<!DOCTYPE", "<!ENTITY")
                     for enc in ("utf-8", "utf-16-le", "utf-16-be"))


def _dtd_error(file: str | Path, what: str, error: type[InputError]) -> InputError:
    return error(file, f"{what} without a document type declaration (<!DOCTYPE>, entities)",
                 "a <!DOCTYPE> declaration")


def _xml_size_error(file: str | Path, error: type[InputError]) -> InputError:
    return error(file, f"a file of at most {_n(MAX_XML_BYTES)} bytes (qualcode's limit on file size)",
                 f"more than {_n(MAX_XML_BYTES)} bytes")


def iter_xml(chunks: Iterable[bytes], file: str | Path, what: str = "XML",
             error: type[InputError] = InputError,
             code_tag: str | None = None) -> Iterator[tuple[str, ET.Element]]:
    """("start" | "end", element) of an XML document read from ``chunks``, or one
    :class:`InputError` line: the one place XML is hardened.

    No DTD (so no entities and nothing fetched; each chunk is searched, with the end of
    the one before, before the parser sees it), at most :data:`MAX_XML_BYTES` in all,
    :data:`MAX_NESTING` levels and :data:`MAX_XML_ELEMENTS` elements. The standard
    library's expat parser builds the tree as it goes, iteratively (no recursion,
    whatever the depth); a caller that wants bounded memory clears the elements it is
    done with at their "end" event. With ``code_tag`` (REFI-QDA: ``"Code"``), elements of
    that local name count as codes, at most :data:`MAX_CODES`. The document is checked
    to the end (a missing root or a syntax error after the last element is refused)
    once the last event has been consumed.
    """
    parser = ET.XMLPullParser(events=("start", "end"))
    depth = elements = codes = total = 0
    suffix = f"}}{code_tag}" if code_tag else None
    seen_root = False
    tail = b""
    overlap = max(len(m) for m in _DTD_MARKERS) - 1
    try:
        for chunk in chunks:
            total += len(chunk)
            if total > MAX_XML_BYTES:
                raise _xml_size_error(file, error)
            window = tail + chunk  # a marker may straddle two chunks
            if any(m in window for m in _DTD_MARKERS):
                raise _dtd_error(file, what, error)
            tail = window[-overlap:]
            parser.feed(chunk)
            for event, el in parser.read_events():
                if event == "start":
                    depth += 1
                    elements += 1
                    seen_root = True
                    if depth > MAX_NESTING:
                        raise nesting_error(file, MAX_NESTING, f"{what} elements", None, error)
                    if suffix and (el.tag.endswith(suffix) or el.tag == code_tag):
                        codes += 1
                        if codes > MAX_CODES:
                            check_code_count(codes, file, error, more=True)
                    if elements > MAX_XML_ELEMENTS:
                        raise error(file, f"{what} of at most {_n(MAX_XML_ELEMENTS)} elements "
                                         "(qualcode's limit on XML size)", "more")
                else:
                    depth -= 1
                yield event, el
        parser.close()
        for event, el in parser.read_events():  # none in well-formed XML; kept for completeness
            yield event, el
    except InputError:
        raise
    except ET.ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else None
        raise error(file, what, str(exc).split(":")[0], line=line) from None
    except LookupError as exc:  # an encoding Python does not know
        raise error(file, f"{what} in UTF-8, UTF-16 or another known encoding",
                         f"an unknown encoding ({exc})") from None
    except ValueError as exc:  # e.g. "multi-byte encodings are not supported"
        raise error(file, f"{what} in UTF-8, UTF-16 or another supported encoding",
                         str(exc)) from None
    if not seen_root:
        raise error(file, f"well-formed {what}", "no root element")


def parse_xml(data: bytes, file: str | Path, what: str = "XML",
              error: type[InputError] = InputError, code_tag: str | None = None) -> ET.Element:
    """The root element of an XML document in memory, or one :class:`InputError` line.

    :func:`iter_xml` over ``data`` in 1 MiB chunks, keeping the whole tree; the size and
    a DTD are refused before any of it is parsed.
    """
    check_size(len(data), file, MAX_XML_BYTES, error)
    if any(marker in data for marker in _DTD_MARKERS):
        raise _dtd_error(file, what, error)
    root: ET.Element | None = None
    step = 1 << 20
    for event, el in iter_xml((data[i:i + step] for i in range(0, len(data), step)), file, what,
                              error, code_tag):
        if root is None and event == "start":
            root = el
    if root is None:  # iter_xml refuses such a document already; kept for the type
        raise error(file, f"well-formed {what}", "no root element")
    return root


# ----------------------------------------------------------------------------- zip
def open_zip(source: bytes | str | Path, file: str | Path, what: str = "a zip archive") -> zipfile.ZipFile:
    """A zip archive opened for reading, refusing a broken one or one with too many members."""
    if not isinstance(source, bytes):
        regular_file(source, what)
    try:
        zf = zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise InputError(file, what, f"an unreadable zip ({exc})") from None
    if len(zf.infolist()) > MAX_ZIP_MEMBERS:
        zf.close()
        raise InputError(file, f"{what} of at most {_n(MAX_ZIP_MEMBERS)} files (qualcode's limit)",
                         f"{_n(len(zf.infolist()))} files")
    return zf


def safe_member_name(name: str) -> bool:
    """A member name that stays inside the archive (no ``..``, no absolute or drive path)."""
    norm = name.replace("\\", "/")
    return not (norm.startswith("/") or (len(norm) > 1 and norm[1] == ":")
                or any(part == ".." for part in norm.split("/")))


def iter_zip_member(zf: zipfile.ZipFile, name: str, file: str | Path,
                    max_bytes: int = MAX_XML_BYTES, chunk_bytes: int = 1 << 20) -> Iterator[bytes]:
    """One member's bytes in chunks of ``chunk_bytes``, stopped at ``max_bytes`` whatever
    it declares: the one place zip members are hardened.

    A name climbing out of the archive, a missing or encrypted member, a declared size
    above ``max_bytes`` or a compression ratio above :data:`MAX_ZIP_RATIO` are refused
    before the first chunk; a corrupt or unknown-method member, or one holding more than
    it declares, when it is read.
    """
    if not safe_member_name(name):
        raise InputError(file, "zip member names inside the archive", repr(name))
    try:
        info = zf.getinfo(name)
    except KeyError:
        raise InputError(file, f"a member {name!r} in the archive", "none") from None
    if info.flag_bits & 0x1:
        raise InputError(file, f"an unencrypted member {name!r}", "an encrypted (password-protected) one")
    if info.file_size > max_bytes:
        raise InputError(file, f"member {name!r} of at most {_n(max_bytes)} bytes (qualcode's limit)",
                         f"{_n(info.file_size)} bytes")
    if info.file_size > (1 << 20) and info.file_size > MAX_ZIP_RATIO * max(info.compress_size, 1):
        raise InputError(file, f"member {name!r} compressed at most {MAX_ZIP_RATIO}:1 (zip bomb guard)",
                         f"{info.file_size // max(info.compress_size, 1):,}:1")
    total = 0
    try:
        with zf.open(info) as member:
            while chunk := member.read(chunk_bytes):
                total += len(chunk)
                if total > max_bytes:
                    raise InputError(file, f"member {name!r} of at most {_n(max_bytes)} bytes "
                                     "(qualcode's limit)", "more (it declares less)")
                yield chunk
    except InputError:
        raise
    except NotImplementedError as exc:  # an unknown compression method
        raise InputError(file, f"member {name!r} stored or deflated", f"unsupported: {exc}") from None
    except RuntimeError as exc:  # encrypted
        raise InputError(file, f"an unencrypted member {name!r}", str(exc)) from None
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, Exception) as exc:  # zlib.error, CRC
        raise InputError(file, f"an intact member {name!r}", f"a corrupt one ({type(exc).__name__}: "
                         f"{str(exc)[:80]})") from None


def read_zip_member(zf: zipfile.ZipFile, name: str, file: str | Path,
                    max_bytes: int = MAX_XML_BYTES) -> bytes:
    """One member's bytes (:func:`iter_zip_member`, joined)."""
    out = bytearray()
    for chunk in iter_zip_member(zf, name, file, max_bytes):
        out += chunk
    return bytes(out)


# ----------------------------------------------------------------------------- YAML
def load_yaml(text: str, file: str | Path, error: type[InputError] = InputError):  # noqa: ANN201
    """The YAML node tree of ``text`` (as ``yaml.compose`` gives it), built safely.

    The events come from libyaml's parser where it is installed (PyYAML's pure-Python
    one otherwise) and the nodes are built here, iteratively: no recursion whatever the
    nesting, and libyaml's speed (PyYAML's own composer takes seconds on a large file).
    Aliases (``*name``) are refused: a codebook never needs them, and they make alias
    bombs and recursive codebooks possible. Nesting deeper than :data:`MAX_NESTING`
    blocks is refused; a second document is refused. Errors are one line with the line.
    """
    import yaml
    from yaml import events as ev
    from yaml import nodes

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    resolver = yaml.resolver.Resolver()
    root = None
    documents = 0
    stack: list = []  # open collection nodes; a mapping collects keys and values in order
    try:
        for event in yaml.parse(text, Loader=loader):
            if isinstance(event, ev.AliasEvent):
                raise error(file, "YAML without aliases ('*name')", f"the alias *{event.anchor}",
                            line=event.start_mark.line + 1)
            if isinstance(event, ev.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise error(file, "a single YAML document", "a second one ('---')",
                                line=event.start_mark.line + 1)
                continue
            if isinstance(event, (ev.SequenceEndEvent, ev.MappingEndEvent)):
                node = stack.pop()
                if isinstance(node, nodes.MappingNode):
                    flat = node.value
                    node.value = list(zip(flat[0::2], flat[1::2], strict=False))
                continue
            if isinstance(event, ev.ScalarEvent):
                tag = event.tag if event.tag not in (None, "!") else \
                    resolver.resolve(nodes.ScalarNode, event.value, event.implicit)
                node = nodes.ScalarNode(tag, event.value, event.start_mark, event.end_mark, style=event.style)
            elif isinstance(event, (ev.SequenceStartEvent, ev.MappingStartEvent)):
                kind = nodes.SequenceNode if isinstance(event, ev.SequenceStartEvent) else nodes.MappingNode
                tag = event.tag if event.tag not in (None, "!") else resolver.resolve(kind, None, event.implicit)
                node = kind(tag, [], event.start_mark, event.end_mark, flow_style=event.flow_style)
            else:  # stream start/end, document end
                continue
            if stack:
                stack[-1].value.append(node)
            else:
                root = node
            if not isinstance(node, nodes.ScalarNode):
                stack.append(node)
                if len(stack) > MAX_NESTING:
                    raise nesting_error(file, MAX_NESTING, "YAML blocks", event.start_mark.line + 1, error)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise error(file, "valid YAML", " ".join(str(problem).split()),
                    line=mark.line + 1 if mark else None) from None
    return root


# ----------------------------------------------------------------------------- CSV
_LINE = re.compile(r"[^\n]*\n|[^\n]+\Z")


def csv_rows(text: str, file: str | Path, error: type[InputError] = InputError,
             one_line: bool = False) -> list[tuple[int, list[str]]]:
    """(line number where the row starts, cells) of every row of a CSV text.

    Cells longer than :data:`MAX_CELL_CHARS`, NUL bytes and broken quoting are one line
    naming the row. A quote left open is refused: Python's csv module would otherwise
    read the rest of the file into one cell and the rows after it would vanish. With
    ``one_line`` (sheets where each record is one line: participants, rating tables) a
    quoted cell running over several lines is refused too. The separator is ``,``, or
    ``;`` / tab when the header line has those and no comma (a spreadsheet saved with a
    European list separator).
    """
    return list(iter_csv_rows(text, file, error, one_line))


def csv_delimiter(text: str) -> str:
    """The separator of a CSV text, judged from its header line: ``,`` unless the header
    has no comma and has ``;`` (then ``;``) or a tab (then tab)."""
    header = next((m.group() for m in _LINE.finditer(text) if m.group().strip()), "")
    if "," in header:
        return ","
    if ";" in header:
        return ";"
    return "\t" if "\t" in header else ","


def _quote_left_open(record: str, delimiter: str) -> bool:
    try:
        for _ in csv.reader(io.StringIO(record, newline=""), delimiter=delimiter, strict=True):
            pass
    except csv.Error as exc:
        return "unexpected end of data" in str(exc)
    return False


def iter_csv_rows(text: str, file: str | Path, error: type[InputError] = InputError,
                  one_line: bool = False) -> Iterator[tuple[int, list[str]]]:
    """:func:`csv_rows` one row at a time (a reader that keeps only what it needs of each row)."""
    delimiter = csv_delimiter(text)
    taken: list[str] = []  # the raw lines of the record being read

    def lines() -> Iterator[str]:
        # Lines split at "\n" only, as io.StringIO would, without copying the whole text.
        for m in _LINE.finditer(text):
            taken.append(m.group())
            yield m.group()

    reader = csv.reader(lines(), delimiter=delimiter)
    start = 1
    try:
        for row in reader:
            end = reader.line_num
            if end > start or (row and row[-1].endswith("\n")) or (taken and not taken[-1].endswith("\n")):
                record = "".join(taken)
                if '"' in record and _quote_left_open(record, delimiter):
                    raise error(file, "every quoted cell closed by a second '\"'",
                                f"a quote opened on line {start} and never closed (the rest of the file, "
                                f"{end - start + 1} line{'s' if end > start else ''}, would become one cell)", line=start)
                if one_line and end > start:
                    raise error(file, "one row per line (a line break inside a cell here is usually "
                                "a quote left open)", f"a quoted cell running from line {start} to line {end}",
                                line=start)
            taken.clear()
            yield start, row
            start = end + 1
    except csv.Error as exc:
        msg = str(exc)
        if "field larger than field limit" in msg:
            raise error(file, f"cells of at most {_n(MAX_CELL_CHARS)} characters (qualcode's limit on "
                        "cell length)", "a longer cell", line=start) from None
        raise error(file, "well-formed CSV", msg, line=start) from None


__all__ = [
    "MAX_CELL_CHARS", "MAX_CODES", "MAX_FILE_BYTES", "MAX_LINE_CHARS", "MAX_NESTING", "MAX_SECONDS",
    "MAX_XML_BYTES", "MAX_XML_ELEMENTS", "MAX_ZIP_MEMBERS", "MAX_ZIP_RATIO", "check_code_count",
    "check_lines", "check_size", "csv_delimiter", "csv_rows", "iter_xml", "iter_zip_member", "load_yaml", "open_zip",
    "parse_xml", "read_bytes", "read_zip_member", "safe_member_name",
]
