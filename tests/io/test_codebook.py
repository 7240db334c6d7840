from __future__ import annotations

import pytest

from qualcode.errors import CodebookError
from qualcode.io.codebook import dump_codebook, load_codebook, parse_codebook
from tests.conftest import EXAMPLE, ROOT, write


def test_shipped_codebook_has_three_themes_with_sub_codes():
    cb = load_codebook(ROOT / "codebooks" / "gp_commissioning.yaml")
    themes = cb.roots()
    assert [t.name for t in themes] == ["Pivotal role of the GP", "Performance management and accountability",
                                        "Equity"]
    for theme in themes:
        assert 4 <= len(cb.children(theme.id)) <= 7
    for code in cb:
        assert code.definition and len(code.examples) >= 2
        if code.parent:
            assert code.include and code.exclude


def test_template_is_valid_and_round_trips():
    cb = load_codebook(EXAMPLE.parent / "codebook_template.yaml")
    assert cb.get("theme_b_sub1").parent == "theme_b"
    assert parse_codebook(dump_codebook(cb)).codes == cb.codes


BAD = {
    "duplicate": ("codes:\n  - id: a\n    definition: x\n  - id: a\n    definition: y\n", ":4", "duplicate id"),
    "unknown parent": ("codes:\n  - id: a\n    definition: x\n  - id: b\n    parent: zz\n    definition: y\n",
                       ":4", "unknown parent 'zz'"),
    "cycle": ("codes:\n  - id: a\n    parent: b\n    definition: x\n  - id: b\n    parent: a\n    definition: y\n",
              ":2", "cycle"),
    "empty definition": ("codes:\n  - id: a\n    definition: ''\n", ":3", "definition"),
    "missing definition": ("codes:\n  - id: a\n    name: A\n", ":2", "definition"),
    "bad yaml": ("codes:\n  - id: a\n   definition: [x\n", ":", "valid YAML"),
    "unknown key": ("codes:\n  - id: a\n    definiton: x\n", ":", "definiton"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_broken_codebooks_name_file_and_line(tmp_path, case):
    text, line, words = BAD[case]
    path = write(tmp_path / "cb.yaml", text)
    with pytest.raises(CodebookError) as err:
        load_codebook(path)
    message = str(err.value)
    assert message.startswith(str(path) + line) and words in message, message


def test_definitions_csv_is_a_flat_codebook(tmp_path):
    cb = load_codebook(write(tmp_path / "c.csv", 'code,definition\nAccess,"Getting in, or not"\nCost,Money\n'))
    assert cb.ids() == ["Access", "Cost"] and cb.get("Access").definition == "Getting in, or not"
    with pytest.raises(CodebookError, match=r"c2.csv:3: field 'definition'"):
        load_codebook(write(tmp_path / "c2.csv", "code,definition\nA,x\nB,\n"))
