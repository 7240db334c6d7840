"""The study as one logged-in person may use it: :class:`UserStudy`, from ``Study.for_user``.

The app talks only to a ``UserStudy``. It offers the same method names and signatures
as :class:`~qualcode.store.study.Study` for what pages call, and for each one checks:

- the **role** needed (``RULES``). Roles include the ones below them: an admin may do
  what a supervisor may, a supervisor what a coder may. A person without a role (an
  anonymous visitor of a study with accounts) may do nothing;
- that every argument naming who acts (``coder``, ``actor``, ``viewer``, ``by``,
  ``adjudicator``) is the logged-in person: nobody acts or reads as someone else. Left
  out, it is filled in with the logged-in person;
- the **blind rule** on reads: applications, memos and span codings go through the same
  filter as ``visible_applications``, so the Themes page, reports, downloads and exports
  made from a ``UserStudy`` hold only what that person may see.

Methods not listed in ``RULES`` are refused: a new Study method is unavailable to the
app until it is declared here with its role. The raw ``Study`` is the CLI owner's, with
full rights (whoever can open the study folder can open the database anyway).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from qualcode.errors import AccessDenied
from qualcode.store.accounts import RANK

if TYPE_CHECKING:
    from qualcode.records import Memo

IDENTITY = ("coder", "actor", "viewer", "by", "adjudicator")

# method -> lowest role allowed. Reads of coding are filtered by the blind rule below.
RULES: dict[str, str] = {
    # reading the study
    "codebook": "coder", "codebook_version": "coder", "created_at": "coder", "codebook_versions": "coder",
    "transcripts": "coder", "transcript_id": "coder", "plain_text": "coder", "participants": "coder",
    "segments": "coder", "coders": "coder", "assignments": "coder", "done_by": "coder",
    "done_by_all": "coder", "is_done": "coder", "blind_transcripts": "coder", "discovery": "coder",
    "segments_to_recode": "coder", "role_of": "coder",
    "applications": "coder", "visible_applications": "coder", "memos": "coder", "span_codings": "coder",
    # coding one's own work
    "decide": "coder", "unset": "coder", "add_memo": "coder", "update_memo": "coder",
    "mark_done": "coder", "code_span": "coder", "remove_span": "coder",
    "replace_suggestions": "coder", "save_discovery": "coder",  # derived data, hidden where blind
    "add_example": "coder",  # "use as example" on the Code page: a new codebook version, audited
    # supervising double-coding
    "assign": "supervisor", "seen_transcripts": "supervisor", "reopen": "supervisor",
    "coded_transcripts": "supervisor", "presence_tables": "supervisor", "disagreements": "supervisor",
    "set_final": "supervisor",
    # the codebook's versions and the accounts
    "add_code": "admin", "edit_code": "admin", "rename_code": "admin", "merge_codes": "admin",
    "split_code": "admin", "set_codebook": "admin",
    "add_user": "admin", "remove_user": "admin", "set_password": "admin", "set_role": "admin",
    "users": "admin", "audit_log": "admin",
    # span coding, undo, memos, retrieval and text search (the Code, Retrieve, Search and Memos pages)
    "segments_for_span": "coder", "coded_segments": "coder", "undo_last": "coder", "delete_memo": "coder",
    "retrieve": "coder", "search_text": "coder", "search_page": "coder", "code_all_hits": "coder",
    # reports and the framework matrix (Themes and Framework pages)
    "framework_summaries": "coder", "record_export": "coder", "set_framework_summary": "supervisor",
    # discovery (Discover page): runs are derived data; merging makes suggestions, promoting a code
    "discovery_runs": "coder", "merge_cluster": "supervisor", "promote_cluster": "admin",
    # managing the study (Manage page)
    "update_participant": "supervisor", "import_transcripts": "supervisor",
    # counted in SQL for pages of a large study (qualcode/store/page_reads.py; blind rule in the query)
    "change_counter": "coder", "codeable_count": "coder", "decided_counts": "coder", "code_counts": "coder",
    "decided_segment_ids": "coder", "machine_confidences": "coder", "codeable_index": "coder", "is_dialogue": "coder",
    "review_pool": "coder", "uncertainty_sums": "coder", "segment_texts": "coder",
    # *Review next*'s pool, cached until suggestions or segments change (qualcode/store/review_index.py)
    "review_mark": "coder", "review_index": "coder", "prepare_review_index": "coder",
    # background jobs (*Update suggestions*): anyone who may replace suggestions may start one;
    # only its starter reports progress and ends it (checked in store/jobs.py)
    "start_job": "coder", "job_progress": "coder", "finish_job": "coder", "latest_job": "coder",
    "cancel_job": "coder",  # the starter; others need the supervisor role (checked in Study.cancel_job)
}
PLAIN_ATTRIBUTES = ("folder",)
# methods whose coder argument names whose work is read or reopened, not who acts (reads
# still go through the blind rule; reopen is a supervisor's)
NAMES_ANOTHER = {"applications": ("coder",), "span_codings": ("coder",), "coded_transcripts": ("coder",),
                 "reopen": ("coder",), "retrieve": ("coder",), "coded_segments": ("coder",), "memos": ("coder",)}


class UserStudy:
    """A :class:`Study` seen through one person's role and the blind rule."""

    def __init__(self, study: Any, name: str | None) -> None:
        self._study = study
        self.name = (name or "").strip() or None
        self.role = "anonymous" if self.name is None else study.role_of(self.name)
        if self.role not in RANK:  # the system coders machine/final are nobody's log-in
            self.name, self.role = None, "anonymous"
        if self.name is not None and study.has_accounts():
            known = {u.name: u for u in study.users()}
            account = known.get(self.name)
            if account is None or account.disabled or not account.has_password:
                self.name, self.role = None, "anonymous"

    @property
    def folder(self):  # noqa: ANN201
        return self._study.folder

    def __repr__(self) -> str:
        return f"UserStudy({self._study.folder.name!r}, {self.name!r}, {self.role})"

    def may(self, method: str) -> bool:
        """Whether this person's role allows ``method`` (pages hide what they may not do)."""
        return method in RULES and RANK[self.role] >= RANK[RULES[method]]

    def __getattr__(self, method: str) -> Callable[..., Any]:
        if method.startswith("_"):
            raise AttributeError(method)
        if method not in RULES:
            raise AccessDenied(f"{method}: not available in the app (not declared in qualcode.store.access.RULES)")
        target = getattr(self._study, method)
        needed = RULES[method]
        special = getattr(self, f"_checked_{method}", None)

        def call(*args: Any, **kwargs: Any) -> Any:
            if RANK[self.role] < RANK[needed]:
                who = "you are not logged in" if self.name is None else f"{self.name} is a {self.role}"
                raise AccessDenied(f"{method}: needs the {needed} role, {who}")
            bound = self._bind(method, target, args, kwargs)
            if special is not None:
                return special(target, bound)
            return target(*bound.args, **bound.kwargs)

        call.__name__ = method
        return call

    def _bind(self, method: str, target: Callable[..., Any], args: tuple, kwargs: dict) -> inspect.BoundArguments:
        sig = inspect.signature(target)
        bound = sig.bind_partial(*args, **kwargs)
        for param in IDENTITY:
            if param not in sig.parameters or param in NAMES_ANOTHER.get(method, ()):
                continue
            if param not in bound.arguments:
                bound.arguments[param] = self.name
            elif str(bound.arguments[param] or "").strip() != self.name:
                raise AccessDenied(f"{method}: {param} must be you ({self.name}), got "
                                   f"{bound.arguments[param]!r}; nobody can act or read as someone else")
        return bound

    # ------------------------------------------------------------------ the blind rule on reads
    def _blind(self) -> set[int]:
        return self._study.blind_transcripts(self.name)

    def _blind_segments(self, blind: set[int]) -> set[int]:
        if not blind:
            return set()
        return {s.id for tid in blind for s in self._study.segments(transcript_id=tid)}

    def _checked_applications(self, target: Callable, bound: inspect.BoundArguments) -> list:
        apps = target(*bound.args, **bound.kwargs)
        hidden = self._blind_segments(self._blind())
        return [a for a in apps if a.segment_id not in hidden or (a.source == "human" and a.coder == self.name)]

    def _checked_visible_applications(self, target: Callable, bound: inspect.BoundArguments) -> list:
        return target(*bound.args, **bound.kwargs)  # viewer is already the logged-in person

    def _checked_memos(self, target: Callable, bound: inspect.BoundArguments) -> list[Memo]:
        memos = target(*bound.args, **bound.kwargs)
        blind = self._blind()
        hidden = self._blind_segments(blind)
        return [m for m in memos if m.coder == self.name
                or (m.segment_id not in hidden and m.transcript_id not in blind)]

    def _checked_span_codings(self, target: Callable, bound: inspect.BoundArguments) -> list:
        spans = target(*bound.args, **bound.kwargs)
        blind = self._blind()
        return [x for x in spans if x.transcript_id not in blind or (x.source == "human" and x.coder == self.name)]

    def _checked_retrieve(self, target: Callable, bound: inspect.BoundArguments) -> list:
        hits = target(*bound.args, **bound.kwargs)
        blind = self._blind()
        return [h for h in hits if h.transcript_id not in blind or (h.source == "human" and h.coder == self.name)]

    def _checked_coded_segments(self, target: Callable, bound: inspect.BoundArguments) -> set[int]:
        ids = target(*bound.args, **bound.kwargs)
        hidden = self._blind_segments(self._blind())
        if not hidden:
            return ids
        mine = self._study.coded_segments(bound.arguments.get("code_ids", ()), source="human", coder=self.name)
        return {i for i in ids if i not in hidden or i in mine}

    # ------------------------------------------------------------------ writes with extra checks
    def _checked_update_memo(self, target: Callable, bound: inspect.BoundArguments) -> Any:
        memo_id = bound.arguments["memo_id"]
        memo = next((m for m in self._study.memos() if m.id == memo_id), None)
        if memo is not None and memo.coder != self.name:
            raise AccessDenied(f"memo {memo_id}: written by {memo.coder}; only its author can change it")
        if memo is not None:
            tid = memo.transcript_id
            if tid is None and memo.segment_id is not None:
                tid = self._study.segments(ids=[memo.segment_id])[0].transcript_id
            self._check_lock(tid)
        return target(*bound.args, **bound.kwargs)

    def _checked_code_span(self, target: Callable, bound: inspect.BoundArguments) -> Any:
        self._check_lock(bound.arguments.get("transcript_id"))
        return target(*bound.args, **bound.kwargs)

    def _checked_remove_span(self, target: Callable, bound: inspect.BoundArguments) -> Any:
        span_id = bound.arguments.get("span_id")
        span = next((x for x in self._study.span_codings() if x.id == span_id), None)
        if span is not None:
            if span.coder != self.name:
                raise AccessDenied(f"span {span_id}: coded by {span.coder}; only they can remove it")
            self._check_lock(span.transcript_id)
        return target(*bound.args, **bound.kwargs)

    def _check_lock(self, transcript_id: int | None) -> None:
        if transcript_id is not None and self._study.is_done(transcript_id, self.name):
            raise AccessDenied(f"transcript {transcript_id}: {self.name} marked it done, so their coding on "
                               "it is locked; a supervisor can reopen it")


__all__ = ["IDENTITY", "RULES", "UserStudy"]
