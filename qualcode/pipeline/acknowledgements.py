"""The structure of the study's text: short acknowledgements carry no code.

In an interview a witness or participant answers many questions with "Yes.", "That's
right." or "Thank you." These replies are real turns of the transcript, so they are
segments, but they say nothing a code could describe; before this rule the codebook prior
gave "That is correct." three suggestions on the hearing transcripts, because its best
match among the code prototypes was still a match.

The rule is one more competitor beside the codes, described as a code is described: a
definition of an acknowledgement and a few generic conversational replies (English
back-channels, the same for every study, not drawn from any study's text), embedded like
code prototypes (:data:`PROTOTYPES`). A segment is *acknowledgement-like* when it is short
(at most ``max_words`` words) and it is closer to the acknowledgement prototypes than to
any code's prototypes. Without a codebook the nearest segment a coder applied a code to
stands in for the codes; with neither the rule is off.

How much an acknowledgement-like segment's suggestions are lowered is learnt from the
study's own decisions, not fixed: the chance that such a segment carries a code is the
mean of a Beta distribution (strength :data:`PRIOR_ROWS` pseudo-decisions) updated by the
decided acknowledgement-like segments, and divided by the same chance for the other
decided segments (prior mean :data:`PRIOR_OTHER`).

The prior mean depends on the text's structure. In a *dialogue* (a transcript with turns
by two or more speakers, :func:`is_dialogue`) a short reply answers another speaker, and
the prior mean is :data:`PRIOR_CODED` (0.1): before any decision a "Yes." keeps a ninth of
its confidence, falls below the floor and is never stored. Where each text stands alone
(a gold file's rows, free-text survey answers) a short text is the whole answer: on the
FFT comments "Nothing." answers "what could we do better?" and is coded as praise (106
such comments, 300 of the 336 short comments the rule finds carry *Positive experience*),
and with the dialogue prior the cold-start micro-F1 fell from 0.404 to 0.324. There the
prior mean is the rate measured on the other segments, so the factor is exactly 1 while
short texts are coded as often as the rest (every FFT row carries a code), and only the
coders' decisions (short texts left uncoded) can lower it. Measured on the hearing transcripts:
``bench/acknowledgements.py``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from sklearn.base import BaseEstimator

# A definition and generic back-channel replies: what an acknowledgement is in any interview.
PROTOTYPES = (
    "A short reply that only acknowledges, agrees, confirms or thanks, and says nothing of its own.",
    "Yes.", "No.", "Okay.", "Right.", "Sure.", "That's right.", "Thank you.", "I agree.", "Mm-hmm.",
)
MAX_WORDS = 6  # "Thank you very much indeed." is five words; a sentence with content is longer
PRIOR_CODED = 0.1  # before decisions: one acknowledgement in ten carries a code
PRIOR_OTHER = 0.9  # … and nine other segments in ten do
PRIOR_ROWS = 10.0  # the prior counts as this many decided segments

_WORD = re.compile(r"\w+(?:['’]\w+)?")


def word_counts(texts: Sequence[str]) -> np.ndarray:
    """Words per text (a contraction such as "That's" is one word)."""
    return np.array([len(_WORD.findall(t)) for t in texts], dtype=np.int64)


def is_dialogue(segments: Sequence[object]) -> bool:
    """Whether the segments come from a dialogue: some transcript has turns by two or more
    speakers (``segment.transcript_id``, ``segment.speaker``)."""
    speakers: dict[object, set] = {}
    for s in segments:
        if getattr(s, "speaker", None):
            speakers.setdefault(s.transcript_id, set()).add(s.speaker)
    return any(len(v) >= 2 for v in speakers.values())


class AcknowledgementGate(BaseEstimator):
    """``fit(texts, Y, *, embeddings, code_similarity)`` then ``factor(...)``: per segment, the
    factor its suggestions are multiplied by (1 for a segment that is not acknowledgement-like).

    ``prototypes``: the embedded :data:`PROTOTYPES` (``None``: the rule is off);
    ``dialogue``: the texts are turns of a conversation (the prior, see the module docstring).
    ``code_similarity``: per segment, its highest cosine to any code prototype (``None``
    when the codebook gives none)."""

    def __init__(self, prototypes: np.ndarray | None = None, dialogue: bool = True, max_words: int = MAX_WORDS,
                 prior_coded: float = PRIOR_CODED, prior_other: float = PRIOR_OTHER,
                 prior_rows: float = PRIOR_ROWS) -> None:
        self.prototypes = prototypes
        self.dialogue = dialogue
        self.max_words = max_words
        self.prior_coded = prior_coded
        self.prior_other = prior_other
        self.prior_rows = prior_rows

    def _like(self, texts: Sequence[str], X: np.ndarray, code_similarity: np.ndarray | None) -> np.ndarray:
        if self.prototypes is None or not len(texts):
            return np.zeros(len(texts), dtype=bool)
        ack = (X @ np.asarray(self.prototypes, dtype=np.float32).T).max(axis=1)
        rival = code_similarity
        if rival is None and self.X_coded_.shape[0]:
            rival = (X @ self.X_coded_.T).max(axis=1)
        if rival is None:
            return np.zeros(len(texts), dtype=bool)
        like = ack > rival
        # words counted only where the look decides nothing yet: at 50,000 segments, counting
        # every text's words took longer (7 s) than the rest of the gate
        near = np.flatnonzero(like)
        like[near] = word_counts([texts[i] for i in near]) <= self.max_words
        return like

    def fit(self, texts: Sequence[str], Y: np.ndarray, *, embeddings: np.ndarray,
            code_similarity: np.ndarray | None = None) -> AcknowledgementGate:
        texts = list(texts)
        X = np.asarray(embeddings, dtype=np.float32)
        Y = np.asarray(Y, dtype=np.float64)
        decided = ~np.isnan(Y).all(axis=1)
        coded = decided & (np.nan_to_num(Y) > 0).any(axis=1)
        d = X.shape[1] if X.ndim == 2 else 0
        # the nearest coded segment stands in for the codes when the codebook has none; a
        # coded segment that is itself acknowledgement-like would vouch for its look-alikes
        self.X_coded_ = X[coded] if code_similarity is None else np.zeros((0, d), dtype=np.float32)
        if code_similarity is None and coded.any():
            words = word_counts([texts[i] for i in np.flatnonzero(coded)])
            self.X_coded_ = self.X_coded_[words > self.max_words]
        like = self._like(texts, X, code_similarity)
        n_ack, n_other = int((decided & like).sum()), int((decided & ~like).sum())
        self.n_decided_like_ = n_ack
        self.coded_other_ = ((self.prior_rows * self.prior_other + (coded & ~like).sum())
                             / (self.prior_rows + n_other))
        prior = self.prior_coded if self.dialogue else self.coded_other_  # alone: as often as the others
        self.coded_like_ = ((self.prior_rows * prior + (coded & like).sum())
                            / (self.prior_rows + n_ack))
        self.factor_ = float(min(1.0, self.coded_like_ / max(self.coded_other_, 1e-9)))
        return self

    def is_acknowledgement(self, texts: Sequence[str], *, embeddings: np.ndarray,
                           code_similarity: np.ndarray | None = None) -> np.ndarray:
        """Boolean per segment: short and nearer the acknowledgement prototypes than any code."""
        return self._like(list(texts), np.asarray(embeddings, dtype=np.float32), code_similarity)

    def factor(self, texts: Sequence[str], *, embeddings: np.ndarray,
               code_similarity: np.ndarray | None = None) -> np.ndarray:
        """Per segment: ``factor_`` where acknowledgement-like, else 1."""
        like = self.is_acknowledgement(texts, embeddings=embeddings, code_similarity=code_similarity)
        return np.where(like, self.factor_, 1.0)
