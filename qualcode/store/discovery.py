"""Theme discovery in the study: the history of runs, and turning a cluster into coding.

Mixed into :class:`qualcode.store.study.Study`. A run (``discovery_runs``) keeps what was
asked (scope, attribute, sizes), the seed and model, and the clusters as JSON, with who
ran it and when; runs are never overwritten, so a finding can be traced to the run that
showed it. Two actions act on a cluster, each one transaction with one audit entry:

* :meth:`promote_cluster`: a new code whose drafted definition names the cluster's
  keywords, with its representative quotes as examples (a new codebook version, through
  the same path as :meth:`add_code`);
* :meth:`merge_cluster`: the cluster's segments become machine suggestions for an
  existing code, reason ``discovery cluster N``; a coder still accepts or rejects each.
"""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import func, select

from qualcode.errors import StoreError
from qualcode.records import Code, DiscoveredCluster, DiscoveryRun, DiscoveryRunInfo, GroupCell, NearestCode
from qualcode.store.core import StudyCore
from qualcode.store.models import CodeApplicationRow, DiscoveryRunRow, utcnow

# A merged cluster's suggestion shows at the app's threshold (suggest.SHOW_THRESHOLD, 0.5
# today): a person chose to merge it. The segment's closeness to the cluster's centre
# (cosine) raises it above that floor, so the most typical segments come first.
MERGE_FLOOR = 0.5


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def draft_definition(cluster: DiscoveredCluster, quotes: list[str]) -> str:
    """A first wording for a promoted cluster, to be rewritten by the coder."""
    words = [k for k in cluster.keywords if " " not in k][:4] or list(cluster.keywords[:4])
    phrases = [k for k in cluster.keywords if " " in k][:2]
    about = ", ".join(words[:-1]) + (f" and {words[-1]}" if len(words) > 1 else (words[0] if words else "this theme"))
    text = f"Talk about {about}"
    if phrases:
        text += " (" + "; ".join(f"“{p}”" for p in phrases) + ")"
    text += (f". Drafted from discovery cluster {cluster.label} ({cluster.size} segments, "
             f"{cluster.participants} participants)")
    if quotes:
        text += f", e.g. “{quotes[0][:200]}”"
    return text + "."


def code_id_for(name: str, taken: list[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:60] or "theme"
    base = base if base[0].isalnum() else f"c{base}"
    out, n = base, 2
    while out in taken:
        out, n = f"{base}_{n}", n + 1
    return out


def _cluster_record(c: dict) -> DiscoveredCluster:
    return DiscoveredCluster(
        label=c["label"], size=c["size"], segments=tuple(c.get("segments", ())),
        exemplars=tuple(c.get("exemplars", ())), keywords=tuple(c.get("keywords", ())),
        phrases=tuple(c.get("phrases", ())), participants=c.get("participants", 0),
        fit=tuple(c.get("fit") or ()), nearest_codes=tuple(NearestCode(**n) for n in c.get("nearest_codes", ())),
        new=bool(c.get("new", False)), groups=dict(c.get("groups") or {}),
        specific_to=tuple(c.get("specific_to", ())))


class Discovery(StudyCore):
    def save_discovery(self, clusters: list[dict], model_id: str, actor: str = "machine",
                       seed: int = 0, params: dict | None = None, extra: dict | None = None) -> int:
        """Keep a discovery run (history: earlier runs stay); returns its id."""
        with self._tx() as s:
            row = DiscoveryRunRow(created_by=actor, model=model_id, seed=seed, params=_dump(params or {}),
                                  clusters=_dump(clusters), extra=_dump(extra or {}), created_at=utcnow())
            s.add(row)
            s.flush()
            self._audit(s, actor, "discover", "discovery_run", row.id, None,
                        {"clusters": len(clusters), "model": model_id, "seed": seed, "params": params or {}})
            return row.id

    @staticmethod
    def _run(row: DiscoveryRunRow) -> DiscoveryRun:
        """The stored JSON as records (runs kept by older versions lack some keys)."""
        extra = json.loads(row.extra or "{}")
        groups = extra.get("groups")
        return DiscoveryRun(
            id=row.id, at=row.created_at.isoformat(), by=row.created_by, model=row.model, seed=row.seed,
            params=json.loads(row.params or "{}"),
            clusters=tuple(_cluster_record(c) for c in json.loads(row.clusters or "[]")),
            outliers=tuple(extra.get("outliers", ())),
            groups=None if groups is None else tuple(GroupCell(**g) for g in groups))

    def discovery(self, run_id: int | None = None) -> DiscoveryRun | None:
        """The newest run (or run ``run_id``): id, model, at, by, seed, params, clusters,
        outliers, groups; None when discovery never ran."""
        with self._read() as s:
            if run_id is None:
                newest = s.scalar(select(func.max(DiscoveryRunRow.id)))
                return None if newest is None else self._run(s.get(DiscoveryRunRow, newest))
            row = s.get(DiscoveryRunRow, run_id)
            if row is None:
                raise StoreError(f"run: expected a discovery run id of the study, got {run_id}")
            return self._run(row)

    def discovery_runs(self) -> list[DiscoveryRunInfo]:
        """Every run, newest first, without the clusters' segment lists."""
        with self._read() as s:
            rows = s.scalars(select(DiscoveryRunRow).order_by(DiscoveryRunRow.id.desc())).all()
            return [DiscoveryRunInfo(r.id, r.created_at.isoformat(), r.created_by, r.model, r.seed,
                                     json.loads(r.params or "{}"), len(json.loads(r.clusters or "[]")))
                    for r in rows]

    def _cluster(self, label: int, run_id: int | None) -> tuple[DiscoveryRun, DiscoveredCluster]:
        run = self.discovery(run_id)
        if run is None:
            raise StoreError("cluster: expected a discovery run, got none (run 'qualcode discover STUDY' first)")
        cluster = run.cluster(label)
        if cluster is None:
            raise StoreError(f"cluster: expected one of {[c.label for c in run.clusters]} "
                             f"(run {run.id}), got {label}")
        return run, cluster

    def promote_cluster(self, label: int, name: str, actor: str, run_id: int | None = None,
                        code_id: str | None = None, parent: str | None = None,
                        definition: str | None = None) -> str:
        """A new code from cluster ``label``: drafted definition, representative quotes as
        examples; returns the new code's id."""
        run, cluster = self._cluster(label, run_id)
        segs = {x.id: x for x in self.segments(ids=cluster.exemplars)}
        quotes = [" ".join(segs[i].text.split())[:300] for i in cluster.exemplars if i in segs]
        taken = self.codebook().ids()
        code = Code(id=code_id or code_id_for(name, taken), name=name,
                    definition=definition or draft_definition(cluster, quotes), parent=parent,
                    examples=tuple(quotes))
        # one transaction: the new codebook version's audit entry carries the run and cluster
        self.add_code(code, actor, note=f"promoted from discovery run {run.id} cluster {label}")
        return code.id

    def merge_cluster(self, label: int, code_id: str, actor: str, run_id: int | None = None) -> int:
        """Cluster ``label``'s segments become machine suggestions for ``code_id`` (an
        existing suggestion for that code keeps the higher confidence); returns how many."""
        run, cluster = self._cluster(label, run_id)
        reason = f"discovery cluster {label}"
        fits = dict(zip(cluster.segments, cluster.fit or [MERGE_FLOOR] * len(cluster.segments), strict=True))
        with self._tx() as s:
            version = self._check_code(s, code_id)
            machine = self._coder(s, "machine")
            existing = {r.segment_id: r for r in s.scalars(select(CodeApplicationRow).where(
                CodeApplicationRow.source == "machine", CodeApplicationRow.code_id == code_id,
                CodeApplicationRow.segment_id.in_(list(fits))))}
            for sid, fit in fits.items():
                confidence = round(max(MERGE_FLOOR, float(fit)), 4)
                row = existing.get(sid)
                if row is None:
                    s.add(CodeApplicationRow(segment_id=sid, code_id=code_id, codebook_version=version,
                                             source="machine", coder_id=machine.id, present=True,
                                             confidence=confidence, reason=reason, decided_by=actor))
                elif (row.confidence or 0.0) < confidence:
                    row.confidence, row.reason = confidence, reason
            self._audit(s, actor, "merge_cluster", "discovery_run", f"{run.id}:{label}", None,
                        {"code": code_id, "segments": len(fits)})
        return len(fits)

