"""Role × Study method: what each role (and an anonymous visitor) may call through
``Study.for_user``, impersonation, the blind rule for everyone who is not a supervisor,
and the Done lock."""

from __future__ import annotations

import pytest

from qualcode.errors import AccessDenied
from qualcode.io.participants import read_participants
from qualcode.records import Code
from qualcode.store.access import RULES
from qualcode.workflow import code_study
from tests.conftest import write
from tests.store.test_double_coding import interview

PEOPLE = {"alice": "coder", "bob": "coder", "mallory": "coder", "sam": "supervisor", "ada": "admin"}
RANK = {None: 0, "coder": 1, "supervisor": 2, "admin": 3}
# The policy, written out independently of ``RULES`` so that loosening a rule fails a test:
# the lowest role that may call each method (higher roles may too; a visitor may call nothing).
POLICY = {
    # coders read the study and code their own work (reads filtered by the blind rule)
    "coder": """add_example add_memo applications assignments blind_transcripts code_all_hits
        code_span codebook codebook_version codebook_versions coded_segments coders created_at decide
        delete_memo discovery discovery_runs done_by done_by_all framework_summaries is_done mark_done
        memos participants plain_text record_export remove_span replace_suggestions retrieve role_of
        save_discovery search_page search_text segments segments_for_span segments_to_recode span_codings
        transcript_id transcripts undo_last unset update_memo visible_applications
        change_counter codeable_count decided_counts code_counts decided_segment_ids machine_confidences
        codeable_index is_dialogue review_pool uncertainty_sums segment_texts review_mark review_index prepare_review_index start_job job_progress finish_job latest_job
        cancel_job""",
    # supervisors assign, compare, adjudicate, reopen, summarise the matrix and manage participants
    "supervisor": """assign coded_transcripts disagreements import_transcripts merge_cluster presence_tables
        reopen seen_transcripts set_final set_framework_summary update_participant""",
    # admins manage accounts, the audit log and the codebook's versions
    "admin": """add_code add_user audit_log edit_code merge_codes promote_cluster remove_user rename_code
        set_codebook set_password set_role split_code users""",
}
NEEDS = {method: role for role, methods in POLICY.items() for method in methods.split()}


pytestmark = pytest.mark.usefixtures("cheap_hashes")  # accounts made at the smallest Argon2 cost


@pytest.fixture
def team(study, tmp_path, fake_embedder):
    sheet = write(tmp_path / "p.csv", "participant_id,group,role,site\nP1,professional,GP,A\n"
                  "P2,professional,GP,B\nS1,service user,Patient,A\nINT,interviewer,Interviewer,\n")
    study.import_transcripts([interview(tmp_path, f"t{p}", p) for p in ("P1", "P2", "S1")],
                             read_participants(sheet))
    code_study(study, fake_embedder)
    for name, role in PEOPLE.items():
        study.add_user(name, f"{name}-password", role, actor="owner")
    [name] = study.assign(["alice", "bob"], 0.34, seed=3, actor="sam")
    tid = study.transcript_id(name)
    segs = study.segments(transcript_id=tid, codeable_only=True)
    other = next(t.id for t in study.transcripts() if t.id != tid)
    study.decide(segs[0].id, "phones", "alice")
    study.decide(segs[0].id, "money", "bob")
    study.add_memo("bob", "bob's private thought", segment_id=segs[0].id)
    study.add_memo("bob", "bob on the whole interview", transcript_id=tid)
    return study, tid, [s.id for s in segs], other


def calls(tid: int, segs: list[int], other: int, me: str) -> dict[str, tuple]:
    """One call per method: (args, kwargs) as a page would make it, acting as ``me``."""
    seg = segs[1]
    return {
        "codebook": ((), {}), "codebook_version": ((), {}), "codebook_versions": ((), {}),
        "transcripts": ((), {}), "transcript_id": ((tid,), {}), "plain_text": ((tid,), {}),
        "participants": ((), {}), "segments": ((), {"transcript_id": tid}), "coders": ((), {}),
        "assignments": ((), {}), "done_by": ((tid,), {}), "blind_transcripts": ((me,), {}),
        "discovery": ((), {}), "segments_to_recode": (("phones",), {}), "role_of": ((me,), {}),
        "applications": ((), {}), "visible_applications": ((me,), {}), "memos": ((), {}),
        "is_done": ((tid, me), {}), "done_by_all": ((), {}), "created_at": ((), {}),
        "change_counter": ((), {}), "codeable_count": ((), {}), "decided_counts": ((me,), {}),
        "code_counts": ((me, "human"), {}), "decided_segment_ids": ((me,), {}), "machine_confidences": ((me,), {}),
        "codeable_index": ((), {}), "is_dialogue": ((), {}), "review_pool": ((me,), {}), "uncertainty_sums": ((me, ["phones"]), {}), "segment_texts": ((segs[:1],), {}),
        "review_mark": ((), {}), "review_index": ((me, ["phones"]), {}), "prepare_review_index": ((["phones"],), {}),
        "start_job": (("recode", me), {}), "latest_job": (("recode",), {}),
        "span_codings": ((), {"transcript_id": tid}), "segments_for_span": ((tid, 0, 5), {}),
        "coded_segments": ((["phones"],), {}), "retrieve": (("access",), {}),
        "search_text": (("ring",), {}), "search_page": (("ring",), {}), "framework_summaries": ((), {}), "discovery_runs": ((), {}),
        "record_export": ((me, "report", "report.md", False), {}),
        "code_span": ((other, 0, 3, "phones", me), {}), "code_all_hits": (("ring", "money", me), {}),
        "decide": ((seg, "phones", me), {}), "unset": ((seg, "phones", me), {}),
        "add_memo": ((me, "a note"), {"segment_id": seg}), "mark_done": ((other, me), {}),
        "save_discovery": (([], "hash"), {}), "replace_suggestions": (([], []), {"model_id": "hash"}),
        "assign": ((["alice", "mallory"], 0.5), {"include_seen": True}),
        "seen_transcripts": ((["alice"],), {}), "coded_transcripts": (("alice",), {}),
        "presence_tables": ((["alice", "bob"], ["phones"]), {}), "disagreements": (("alice", "bob"), {}),
        "set_final": ((seg, "phones", True, me), {"rationale": "agreed"}),
        "add_example": (("phones", "I ring at eight", me), {}),
        "reopen": ((other, me, me), {}),
        "add_code": ((Code(id="new_code", name="New", definition="Something new."), me), {}),
        "edit_code": (("phones", me), {"definition": "Ringing the surgery."}),
        "rename_code": (("phones", "Phoning", me), {}),
        "merge_codes": (("new_code", "money", me), {}),
        "split_code": (("phones", [Code(id="a1", name="A1", definition="One."),
                                   Code(id="a2", name="A2", definition="Two.")], me), {}),
        "set_codebook": None, "add_user": (("zed", "zed-password", "coder", me), {}),
        "remove_user": (("mallory", me), {}), "set_password": (("zed", "fresh password", me), {}),
        "set_role": (("zed", "supervisor", me), {}), "users": ((), {}), "audit_log": ((), {"limit": 3}),
    }


@pytest.mark.parametrize("who", [None, *PEOPLE])
def test_every_role_may_call_exactly_what_its_rank_allows(team, who):
    study, tid, segs, other = team
    me = who or "nobody"
    role = PEOPLE.get(who)
    user = study.for_user(who)
    checked = 0
    for method, call in calls(tid, segs, other, me).items():
        if call is None or method not in RULES:
            continue
        needed = NEEDS[method]
        if method == "reopen" and RANK[role] >= RANK["supervisor"]:
            study.mark_done(other, me) if who in ("alice", "bob", "mallory") else None
            call = ((other, "alice", me), {})
            if not study.is_done(other, "alice"):
                study.mark_done(other, "alice")
        args, kwargs = call
        if RANK[role] >= RANK[needed]:
            getattr(user, method)(*args, **kwargs)
        else:
            with pytest.raises(AccessDenied, match=f"{method}: needs the {needed} role"):
                getattr(user, method)(*args, **kwargs)
        checked += 1
    assert checked >= 40


def later_calls(study, tmp_path, other: int, me: str) -> dict[str, tuple]:  # noqa: ANN001
    """The methods that need an earlier action's id (a span, a memo, a discovery run, an undo):
    the study's owner makes that object first, as ``me`` (or as alice for a visitor), then
    the call is made as ``me``."""
    owner = me if me in PEOPLE else "alice"
    seg = study.segments(transcript_id=other, codeable_only=True)[-1].id
    span = study.code_span(other, 0, 4, "money", owner)
    memos = [study.add_memo(owner, f"note {i} by {owner}", segment_id=seg) for i in (1, 2)]
    run = study.save_discovery([{"label": 0, "size": 1, "segments": [seg], "exemplars": [seg], "fit": [0.9],
                                 "keywords": ["ring"], "label_words": ["ring"]}], "hash")
    jobs = [study.start_job("recode", owner)]
    study.finish_job(jobs[0].id, owner, "done")
    jobs.append(study.start_job("recode", owner))
    return {
        "job_progress": ((jobs[1].id, "saving", 1, 2, me), {}),
        "finish_job": ((jobs[1].id, me, "2 suggestions"), {}),
        "cancel_job": lambda: ((running_job(study, owner).id, me), {}),  # after finish_job freed the slot
        "remove_span": ((span, me), {}),
        "update_memo": ((memos[0], "edited", me), {}),
        "delete_memo": ((memos[1], me), {}),
        "undo_last": ((me,), {}),
        "set_framework_summary": (("P1", "phones", "Rings at eight.", me), {}),
        "merge_cluster": ((0, "money", me), {"run_id": run}),
        "promote_cluster": ((0, f"Ringing {me}", me), {"run_id": run, "definition": "Phoning the surgery."}),
        "update_participant": (("P1", {"role": "GP partner"}, me), {}),
        "import_transcripts": (([interview(tmp_path, f"new-{me}", "P1")],), {"actor": me}),
    }


def running_job(study, owner: str):  # noqa: ANN201
    job = study.latest_job("recode")
    return job if job.running else study.start_job("recode", owner)


@pytest.mark.parametrize("who", [None, *PEOPLE])
def test_methods_acting_on_earlier_work_follow_the_roles_too(team, tmp_path, who):
    study, tid, segs, other = team
    me = who or "nobody"
    user = study.for_user(who)
    for method, spec in later_calls(study, tmp_path, other, me).items():
        args, kwargs = spec() if callable(spec) else spec
        needed = NEEDS[method]
        if RANK[PEOPLE.get(who)] >= RANK[needed]:
            getattr(user, method)(*args, **kwargs)
        else:
            with pytest.raises(AccessDenied, match=f"{method}: needs the {needed} role"):
                getattr(user, method)(*args, **kwargs)
    if who is not None:  # and what was allowed happened, as the person who did it
        actors = {a.actor for a in study.audit_log() if a.action not in ("login", "export")}
        assert me in actors


def test_the_matrix_covers_every_declared_method(team, tmp_path):
    study, tid, segs, other = team
    covered = set(calls(tid, segs, other, "x")) | set(later_calls(study, tmp_path, other, "alice"))
    assert set(RULES) <= covered
    assert RULES == NEEDS  # the store enforces exactly the written policy


def test_an_anonymous_visitor_sees_nothing(team):
    study, *_ = team
    visitor = study.for_user(None)
    for method in ("segments", "codebook", "applications", "memos", "transcripts"):
        with pytest.raises(AccessDenied, match="you are not logged in"):
            getattr(visitor, method)()
    assert study.for_user("eve").role == "anonymous"  # no account in a study with accounts


def test_nobody_acts_or_reads_as_someone_else(team):
    study, tid, segs, _ = team
    alice, sam = study.for_user("alice"), study.for_user("sam")
    with pytest.raises(AccessDenied, match="coder must be you \\(alice\\), got 'bob'"):
        alice.decide(segs[1], "phones", "bob")
    with pytest.raises(AccessDenied, match="viewer must be you"):
        alice.visible_applications("sam")
    with pytest.raises(AccessDenied, match="coder must be you"):
        alice.add_memo("bob", "as bob")
    with pytest.raises(AccessDenied, match="adjudicator must be you"):
        sam.set_final(segs[1], "phones", True, "ada")
    with pytest.raises(AccessDenied, match="actor must be you"):
        study.for_user("ada").add_user("zed", "zed-password", "admin", "owner")
    assert not [a for a in study.applications(source="human") if a.segment_id == segs[1]]
    sam.assign(["alice", "mallory"], 0.5, include_seen=True)  # actor left out: filled in as sam
    assert study.audit_log(limit=1)[0].actor == "sam"


def test_unknown_methods_are_refused(team):
    study, *_ = team
    with pytest.raises(AccessDenied, match="check_integrity: not available in the app"):
        study.for_user("ada").check_integrity()
    with pytest.raises(AttributeError):
        study.for_user("ada")._tx  # noqa: B018


@pytest.mark.parametrize("viewer", ["alice", "bob", "mallory"])
def test_blind_rule_holds_for_assigned_and_unassigned_coders(team, viewer):
    study, tid, segs, _ = team
    user = study.for_user(viewer)
    mine = {("human", viewer)} if viewer != "mallory" else set()
    seen = {(a.source, a.coder) for a in user.applications(segment_ids=segs)}
    assert seen == mine  # no other coder, no machine, no final
    assert {(a.source, a.coder) for a in user.applications(segment_ids=segs, coder="bob")} <= mine
    assert [m.coder for m in user.memos()] == (["bob", "bob"] if viewer == "bob" else [])
    assert {(a.source, a.coder) for a in study.visible_applications(viewer, segs)} == mine  # the CLI's rule
    assert any(a.source == "machine" for a in user.applications())  # elsewhere suggestions are shown


def test_supervisors_and_admins_are_never_blind(team):
    study, tid, segs, _ = team
    for who in ("sam", "ada"):
        seen = {(a.source, a.coder) for a in study.for_user(who).applications(segment_ids=segs)}
        assert {("human", "alice"), ("human", "bob"), ("machine", None)} <= seen
        assert len(study.for_user(who).memos()) == 2


def test_blindness_ends_when_every_assigned_coder_is_done(team):
    study, tid, segs, _ = team
    study.mark_done(tid, "alice")
    assert {a.coder for a in study.for_user("mallory").applications(segment_ids=segs)} == set()
    study.mark_done(tid, "bob")
    assert {a.coder for a in study.for_user("mallory").applications(segment_ids=segs)
            if a.source == "human"} == {"alice", "bob"}
    assert len(study.for_user("mallory").memos()) == 2


def test_done_locks_coding_until_a_supervisor_reopens(team):
    study, tid, segs, _ = team
    alice = study.for_user("alice")
    alice.mark_done(tid, "alice")
    for attempt in (lambda: alice.decide(segs[1], "money", "alice"),
                    lambda: alice.unset(segs[0], "phones", "alice"),
                    lambda: alice.add_memo("alice", "late thought", segment_id=segs[1]),
                    lambda: alice.add_memo("alice", "late thought", transcript_id=tid),
                    lambda: study.decide(segs[1], "money", "alice")):  # the CLI too
        with pytest.raises(AccessDenied, match="marked it done, so their coding on it is locked"):
            attempt()
    with pytest.raises(AccessDenied, match="reopen: needs the supervisor role"):
        alice.reopen(tid, "alice", "alice")
    study.for_user("sam").reopen(tid, "alice", "sam")
    alice.decide(segs[1], "money", "alice")
    entry = next(a for a in study.audit_log() if a.action == "reopen")
    assert (entry.actor, entry.before) == ("sam", {"done_by": "alice"})
    bob = study.for_user("bob")
    bob.decide(segs[1], "money", "bob")  # bob is not done: unaffected


def test_memo_of_someone_else_cannot_be_changed(team):
    study, tid, segs, _ = team
    memo = study.memos(segment_id=segs[0])[0].id
    with pytest.raises(AccessDenied, match="only its author can change it"):
        study.for_user("sam").update_memo(memo, "edited", "sam")


def test_assign_skips_transcripts_coded_with_suggestions_in_view(team):
    study, tid, segs, other = team
    first = study.segments(transcript_id=other, codeable_only=True)[0].id
    study.decide(first, "phones", "mallory")  # mallory saw the machine's suggestions here
    name = next(t.name for t in study.transcripts() if t.id == other)
    assert study.seen_transcripts(["mallory", "bob"]) == {name: ["mallory"]}
    for seed in range(6):
        assert name not in study.assign(["mallory", "bob"], 1.0, seed=seed, sample=f"s{seed}")
    assert name in study.assign(["mallory", "bob"], 1.0, include_seen=True, sample="with-seen")
    entry = study.audit_log(limit=1)[0].after
    assert entry["include_seen"] is True and entry["seen"] == {name: ["mallory"]}
