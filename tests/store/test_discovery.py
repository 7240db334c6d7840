"""Discovery in a study: runs kept as history, nearest codes and *new* clusters, the
across-groups table on a study built for it, promote and merge through the Study API."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import text

from qualcode.errors import QualcodeError, StoreError
from qualcode.io.codebook import parse_codebook
from qualcode.io.participants import read_participants
from qualcode.io.transcripts import read_transcript
from qualcode.pipeline.embed import HashingEmbedder
from qualcode.records import DiscoveredCluster
from qualcode.store import Study
from qualcode.workflow import discover_study
from tests.conftest import write

CODEBOOK = """
name: Small
codes:
  - id: pharmacy
    name: Pharmacy
    definition: The pharmacist, the chemist and prescription tablets.
    examples: ["The pharmacist sorted my prescription tablets.", "The chemist had my medicine ready."]
  - id: emergency
    name: Emergencies
    definition: The ambulance, the paramedic and the emergency department.
    examples: ["The ambulance and paramedic came fast.", "The emergency siren and stretcher."]
"""
PHARMACY = ["pharmacist", "prescription", "chemist", "medicine", "tablets"]
AMBULANCE = ["ambulance", "paramedic", "emergency", "stretcher", "siren"]
GARDEN = ["allotment", "compost", "seedlings", "greenhouse", "tomatoes"]


def build(tmp_path) -> Study:
    """Three carers (C1-C3) talk about the pharmacy and the garden, three staff (S1-S3) about
    ambulances, and everyone a little about ambulances; C1's sheet gives her name, Dorothy."""
    rng = np.random.default_rng(2)
    sheet = "participant_id,group,role,site,name\n" + "".join(
        f"C{i},carer,Carer,A,{'Dorothy Smith' if i == 1 else ''}\n" for i in (1, 2, 3)) + "".join(
        f"S{i},staff,Nurse,B,\n" for i in (1, 2, 3))
    people = read_participants(write(tmp_path / "people.csv", sheet))
    transcripts = []
    for pid in ("C1", "C2", "C3", "S1", "S2", "S3"):
        topics = [PHARMACY] * 6 + [GARDEN] * 4 + [AMBULANCE] * 2 if pid[0] == "C" else [AMBULANCE] * 10
        lines = [f"{pid}: Yeah I think " + " ".join(rng.choice(words, 5)) + (" Dorothy" if pid == "C1" else "") + "."
                 for words in topics]
        transcripts.append(read_transcript(write(tmp_path / f"{pid}.txt", "\n\n".join(lines) + "\n")))
    study = Study.init(tmp_path / "study", codebook=parse_codebook(CODEBOOK, "small.yaml"))
    study.import_transcripts(transcripts, people)
    return study


@pytest.fixture
def small(tmp_path):
    s = build(tmp_path)
    yield s
    s.close()


def topic_of(study: Study, cluster: DiscoveredCluster) -> str:
    texts = " ".join(s.text for s in study.segments(ids=cluster.segments))
    return max(("pharmacy", PHARMACY), ("ambulance", AMBULANCE), ("garden", GARDEN),
               key=lambda t: sum(texts.count(w) for w in t[1]))[0]


def run(study: Study, **kw) -> dict[str, DiscoveredCluster]:
    discover_study(study, HashingEmbedder(512), 3, min_size=3, **kw)
    return {topic_of(study, c): c for c in study.discovery().clusters}


def test_across_groups_table_names_the_clusters_one_group_talks_about(small):
    found = run(small, by="group")
    assert set(found) == {"pharmacy", "ambulance", "garden"}
    pharmacy, ambulance = found["pharmacy"], found["ambulance"]
    assert pharmacy.groups == {"carer": pharmacy.size, "staff": 0}
    assert pharmacy.specific_to == ("carer",) and found["garden"].specific_to == ("carer",)
    assert ambulance.specific_to == ("staff",) and ambulance.groups["carer"] <= 6
    run_ = small.discovery()
    cells = {(g.cluster, g.group): g for g in run_.groups}
    cell = cells[(pharmacy.label, "carer")]
    assert cell.participants == 3 and cell.q < 0.05 and cell.share_elsewhere == 0.0
    assert run_.params["by"] == "group"


def test_labels_are_the_topic_words_never_fillers_or_the_name_on_the_sheet(small):
    for topic, c in run(small).items():
        words = {w for k in c.keywords[:5] for w in k.split()}
        assert words <= set({"pharmacy": PHARMACY, "ambulance": AMBULANCE, "garden": GARDEN}[topic])
        assert not {"dorothy", "yeah", "think"} & {w for k in c.keywords for w in k.split()}


def test_nearest_codes_coded_share_and_new_clusters(small):
    found = run(small)
    assert found["pharmacy"].nearest_codes[0].code == "pharmacy"
    assert found["ambulance"].nearest_codes[0].code == "emergency"
    assert found["garden"].new is True  # no code is about the allotment
    assert found["garden"].nearest_codes[0].similarity < found["pharmacy"].nearest_codes[0].similarity
    ids = found["pharmacy"].segments
    for sid in ids[: len(ids) // 2 + 1]:
        small.decide(sid, "pharmacy", "alice")
    again = run(small)
    near = again["pharmacy"].nearest_codes[0]
    assert near.coded_share == pytest.approx((len(ids) // 2 + 1) / len(ids), abs=1e-4)
    assert again["pharmacy"].new is False


def test_runs_are_history_and_the_same_seed_gives_the_same_clusters(small):
    a = run(small, seed=4)
    b = run(small, seed=4)
    assert {k: v.segments for k, v in a.items()} == {k: v.segments for k, v in b.items()}
    runs = small.discovery_runs()
    assert [r.id for r in runs] == [2, 1] and runs[0].seed == 4 and runs[0].clusters == 3
    assert small.discovery(1).clusters == small.discovery(2).clusters
    assert [e.action for e in small.audit_log() if e.entity == "discovery_run"] == ["discover", "discover"]
    with pytest.raises(StoreError, match="expected a discovery run id of the study, got 9"):
        small.discovery(9)


def test_scope_uncoded_leaves_out_coded_segments(small):
    seg = small.segments(codeable_only=True)[0]
    small.decide(seg.id, "pharmacy", "alice")
    discover_study(small, HashingEmbedder(512), 3, min_size=3, scope="uncoded")
    run_ = small.discovery()
    every = {i for c in run_.clusters for i in c.segments} | set(run_.outliers)
    assert seg.id not in every and len(every) == len(small.segments(codeable_only=True)) - 1
    assert run_.params["scope"] == "uncoded"


def test_unknown_attribute_or_scope_is_one_clear_error(small):
    with pytest.raises(QualcodeError, match=r"--by: expected a participant attribute \(group, name, role, site\), got 'age'"):
        discover_study(small, HashingEmbedder(512), by="age")
    with pytest.raises(QualcodeError, match="scope: expected 'all' or 'uncoded'"):
        discover_study(small, HashingEmbedder(512), scope="some")
    assert small.discovery() is None


def test_promote_makes_a_new_code_with_drafted_definition_and_quotes(small):
    garden = run(small)["garden"]
    before = small.codebook_version()
    code_id = small.promote_cluster(garden.label, "Gardening", "alice")
    book = small.codebook()
    code = book.get(code_id)
    assert code_id == "gardening" and book.version == before + 1
    quotes = [" ".join(s.text.split()) for s in small.segments(ids=garden.exemplars)]
    assert sorted(code.examples) == sorted(quotes) and len(code.examples) == 3
    assert code.definition.startswith("Talk about ") and garden.keywords[0] in code.definition
    assert f"discovery cluster {garden.label}" in code.definition
    note = small.codebook_versions()[-1]
    assert (note.created_by, note.note) == ("alice", f"promoted from discovery run 1 cluster {garden.label}")
    assert small.promote_cluster(garden.label, "Gardening", "alice") == "gardening_2"  # ids never clash


def test_merge_turns_the_cluster_into_suggestions_for_the_code(small):
    pharmacy = run(small)["pharmacy"]
    other = pharmacy.segments[0]
    from qualcode.records import Suggestion

    small.replace_suggestions([Suggestion(other, "emergency", 0.7, "model")], [other], "hash-512")
    n = small.merge_cluster(pharmacy.label, "pharmacy", "alice")
    assert n == pharmacy.size
    machine = [a for a in small.applications(source="machine")]
    merged = [a for a in machine if a.code_id == "pharmacy"]
    assert sorted(a.segment_id for a in merged) == sorted(pharmacy.segments)
    assert {a.reason for a in merged} == {f"discovery cluster {pharmacy.label}"}
    assert all(0.5 <= a.confidence <= 1.0 for a in merged)
    assert [(a.code_id, a.confidence) for a in machine if a.segment_id == other and a.code_id == "emergency"] == \
           [("emergency", 0.7)]  # the cluster's merge leaves other codes' suggestions alone
    entry = small.audit_log(limit=1)[0]
    assert (entry.actor, entry.action, entry.after) == ("alice", "merge_cluster",
                                                                 {"code": "pharmacy", "segments": n})


def test_merged_suggestions_outlast_the_next_coding_run(small):
    """`qualcode code` replaces the model's guesses, never what a person merged from a cluster."""
    from qualcode.records import Suggestion

    pharmacy = run(small)["pharmacy"]
    first, second = pharmacy.segments[:2]
    small.merge_cluster(pharmacy.label, "pharmacy", "alice")
    before = {a.segment_id: a.confidence for a in small.applications(source="machine") if a.code_id == "pharmacy"}
    ids = [s.id for s in small.segments()]
    small.replace_suggestions([Suggestion(first, "pharmacy", 0.99, "model"),
                               Suggestion(second, "emergency", 0.6, "model")], ids, "hash-512")
    machine = small.applications(source="machine")
    pharmacy_rows = {a.segment_id: a for a in machine if a.code_id == "pharmacy"}
    assert set(pharmacy_rows) == set(before)  # every merged suggestion is still there
    assert pharmacy_rows[first].confidence == 0.99  # the model's higher confidence taken
    assert pharmacy_rows[first].reason == f"discovery cluster {pharmacy.label}"
    assert [(a.segment_id, a.code_id) for a in machine if a.reason == "model"] == [(second, "emergency")]


def test_merge_or_promote_with_bad_input_changes_nothing(small):
    run(small)
    before = small.audit_log()
    with pytest.raises(StoreError, match="code: expected a code id of the current codebook, got 'nope'"):
        small.merge_cluster(0, "nope", "alice")
    with pytest.raises(StoreError, match=r"cluster: expected one of \[0, 1, 2\] \(run 1\), got 7"):
        small.promote_cluster(7, "X", "alice")
    with pytest.raises(StoreError, match="name: expected some text"):
        small.promote_cluster(0, "  ", "alice")
    assert small.audit_log() == before and not small.applications(source="machine")


def test_no_discovery_yet_says_what_to_run(study):
    with pytest.raises(StoreError, match="run 'qualcode discover STUDY' first"):
        study.merge_cluster(0, "money", "alice")


def test_migration_and_model_agree_on_discovery_runs(small):
    from qualcode.store.models import DiscoveryRunRow

    with small._tx() as s:
        cols = {r[1]: (r[2].upper(), bool(r[3])) for r in s.execute(text("PRAGMA table_info(discovery_runs)"))}
    model = {c.name: (str(c.type).upper(), not c.nullable) for c in DiscoveryRunRow.__table__.columns}
    assert {k: v[1] for k, v in cols.items()} == {k: v[1] for k, v in model.items()}
    assert {k: v[0].split("(")[0] for k, v in cols.items()} == {k: v[0].split("(")[0] for k, v in model.items()}
