"""Short acknowledgements on the hearing transcripts: which segments the engine takes for
acknowledgements, and the suggestions shown on them with the rule and without it.

    .venv/bin/python bench/acknowledgements.py [--model NAME] [--codebook FILE] [TRANSCRIPT ...]

Default: the four hearing transcripts of ../shared/data/transcripts with the GP
codebook, no decisions (the cold start a coder meets on importing them). See
:mod:`qualcode.pipeline.acknowledgements`.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
HEARINGS = ROOT.parent / "shared" / "data" / "transcripts"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("transcripts", nargs="*", default=sorted(str(p) for p in HEARINGS.glob("*.txt")))
    parser.add_argument("--codebook", default=str(ROOT / "codebooks" / "gp_commissioning.yaml"))
    parser.add_argument("--model", default=None)
    args = parser.parse_args(argv)

    import numpy as np
    from sklearn.base import clone

    from qualcode.cli.study_commands import make_study_embedder
    from qualcode.io.codebook import load_codebook
    from qualcode.io.transcripts import read_transcript
    from qualcode.pipeline.acknowledgements import PROTOTYPES, is_dialogue
    from qualcode.pipeline.prototypes import code_prototypes
    from qualcode.pipeline.suggest import CodeSuggester
    from qualcode.store import Study

    codebook = load_codebook(args.codebook)
    embedder = make_study_embedder(args.model)
    with tempfile.TemporaryDirectory() as tmp:
        study = Study.init(Path(tmp) / "study", codebook=codebook)
        study.import_transcripts([read_transcript(p) for p in args.transcripts])
        segments = study.segments(codeable_only=True)
        codes = study.codebook().ids()
        study.close()
    texts = [s.text for s in segments]
    X = embedder.encode(texts)
    proto, owners, _ = code_prototypes(codebook, codes)
    Y = np.full((len(texts), len(codes)), np.nan)
    with_rule = CodeSuggester(embedder.encode(proto), np.asarray(owners), acknowledgements=embedder.encode(list(PROTOTYPES)),
                              dialogue=is_dialogue(segments))
    without = clone(with_rule).set_params(acknowledgements=None)
    shown = {}
    for name, engine in (("with", with_rule), ("without", without)):
        engine.fit(texts, Y, embeddings=X)
        shown[name] = engine.shown(engine.predict_proba(texts, embeddings=X))
    like = with_rule.gate_.is_acknowledgement(texts, embeddings=X, code_similarity=with_rule._code_similarity(X))
    print(f"{len(texts)} codeable segments in {len(args.transcripts)} transcripts; model {embedder.model_id}")
    print(f"acknowledgement-like: {int(like.sum())} (factor {with_rule.gate_.factor_:.3f} before any decision)")
    print(f"shown suggestions: without the rule {int(shown['without'].sum())}, with it {int(shown['with'].sum())}; "
          f"on acknowledgement-like segments {int(shown['without'][like].sum())} → {int(shown['with'][like].sum())}")
    counts: dict[str, int] = {}
    for i in np.flatnonzero(like):
        counts[texts[i].strip()] = counts.get(texts[i].strip(), 0) + 1
    for text, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"  {n:>3} × “{text}”")
    short = [i for i in range(len(texts)) if len(texts[i].split()) <= 6 and not like[i]]
    print(f"short segments (≤ 6 words) not taken for acknowledgements: {len(short)}")
    for i in short[:15]:
        print(f"      “{texts[i].strip()}”  shown: {int(shown['with'][i].sum())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
