"""``qualcode discover`` through the CLI entry point: a run with --by and --json, promote,
merge, and bad input ending in one line and exit 2."""

from __future__ import annotations

import json

import pytest

from qualcode.cli import main
from qualcode.store import Study
from tests.conftest import write
from tests.store.test_discovery import build


@pytest.fixture
def folder(tmp_path):
    build(tmp_path).close()
    return str(tmp_path / "study")


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_discover_by_group_prints_clusters_codes_and_group_tests(folder, capsys):
    code, out, _ = run(capsys, "discover", folder, "--by", "group", "--clusters", "3", "--min-size", "3",
                       "--model", "hash:512")
    assert code == 0
    assert out.startswith("run 1: 3 clusters")
    assert "nearest codes: pharmacy (similarity" in out and "NEW  cluster" in out
    assert "by group: carer" in out and "specific to carer" in out
    assert "clusters specific to one group (Fisher's exact test" in out and "· staff:" in out
    assert "Dorothy" not in out.split("“")[0]  # never a label (quotes may name her)


def test_json_is_the_stored_run_with_quotes(folder, capsys):
    code, out, _ = run(capsys, "discover", folder, "--json", "--clusters", "3", "--min-size", "3",
                       "--seed", "5", "--model", "hash:512", "--scope", "uncoded")
    run_ = json.loads(out)
    assert code == 0 and run_["seed"] == 5 and run_["params"]["scope"] == "uncoded"
    c = run_["clusters"][0]
    assert [q["segment"] for q in c["quotes"]] == c["exemplars"] and c["quotes"][0]["attribution"]
    with Study.open(folder) as study:
        assert list(study.discovery().clusters[0].segments) == c["segments"]


def test_promote_and_merge_from_the_command_line(folder, capsys):
    run(capsys, "discover", folder, "--clusters", "3", "--min-size", "3", "--model", "hash:512")
    code, out, _ = run(capsys, "discover", folder, "--promote", "1", "--name", "Found theme", "--coder", "alice")
    assert code == 0 and "cluster 1 is now code found_theme ('Found theme'), codebook version 2" in out
    code, out, _ = run(capsys, "discover", folder, "--merge", "0", "--into", "pharmacy", "--coder", "alice")
    assert code == 0 and "segments of cluster 0 are now suggestions for pharmacy" in out
    with Study.open(folder) as study:
        assert "found_theme" in study.codebook().ids()
        assert {a.reason for a in study.applications(source="machine")} == {"discovery cluster 0"}


@pytest.mark.parametrize("args, message", [
    (["--promote", "0", "--name", "X"], "--coder: expected who promotes or merges"),
    (["--promote", "0", "--coder", "a"], "--name: expected the new code's name"),
    (["--merge", "0", "--coder", "a"], "--into: expected the code"),
    (["--merge", "0", "--into", "nope", "--coder", "a"], "run 'qualcode discover STUDY' first"),
    (["--by", "age", "--model", "hash:64"], "--by: expected a participant attribute"),
    (["--redact", "/nonexistent/names.txt"], "/nonexistent/names.txt: expected a UTF-8 text file"),
])
def test_bad_input_is_one_line_and_exit_2(folder, capsys, args, message):
    code, out, err = run(capsys, "discover", folder, *args)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
    with Study.open(folder) as study:
        assert study.discovery() is None and study.codebook_version() == 1


def test_redact_list_keeps_names_out_of_labels(folder, capsys, tmp_path):
    names = write(tmp_path / "names.txt", "# people\nallotment\n")
    code, out, _ = run(capsys, "discover", folder, "--json", "--clusters", "3", "--min-size", "3",
                       "--model", "hash:512", "--redact", str(names))
    assert code == 0
    assert all("allotment" not in k for c in json.loads(out)["clusters"] for k in c["keywords"])
