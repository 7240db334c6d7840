"""*Review next* made ready before the coder asks. On 50,000 segments the first click in a
process took 1.0–1.4 s of server time where the next took 0.2 s (bench/app_latency.py):
it imported scikit-learn's clustering, read and embedded the pool's sampled segments, and
(past the cold start) summed the uncertainty of every machine suggestion in SQL, though
none of that depends on the click, only on the stored segments and suggestions (the
review mark). So the Code page starts that work in a background thread the first time it
is drawn under a mark, once per process: one choice made and thrown away
(:func:`qualcode.workflow.next_segments`), and the sums prepared
(:meth:`Study.prepare_review_index`); every cache it fills is the store's and the
embedder's own, so the coder's click finds them ready. Nothing the coder sees waits for
it, and the click still reads the decisions afresh.
"""

from __future__ import annotations

import logging
import threading

_started: set[tuple[str, str | None]] = set()  # (study folder, review mark): prepared or being prepared
_lock = threading.Lock()


def prepare_in_background(study, coder: str, code_ids: list[str], embedder) -> threading.Thread | None:  # noqa: ANN001
    """Start preparing *Review next* for ``study``'s current review mark, once per process;
    the thread (None if it was already started for this mark)."""
    key = (str(study.folder), study.review_mark())
    with _lock:
        if key in _started:
            return None
        _started.add(key)
    thread = threading.Thread(target=_prepare, args=(study, coder, list(code_ids), embedder),
                              name="qualcode-review-prep", daemon=True)
    thread.start()
    return thread


def _prepare(study, coder: str, code_ids: list[str], embedder) -> None:  # noqa: ANN001
    from qualcode.workflow import next_segments

    try:
        next_segments(study, coder, embedder, 10)
        study.prepare_review_index(code_ids)
    except Exception:  # noqa: BLE001 - only a head start: the click does the same work and says why if it fails
        logging.getLogger(__name__).warning("preparing Review next failed", exc_info=True)
