"""How discovered clusters spread over participant groups, and which belong to one group.

For every cluster × group: the segments (and participants) of the group in the cluster,
the group's share of its own segments that fall in the cluster against the other groups'
share, and Fisher's exact test (one-sided: more often in this group) on the 2 × 2 table
(in the cluster or not × in the group or not), its p-values corrected over all
cluster × group cells with Benjamini–Hochberg. A cluster is *specific* to a group when the
corrected q < ``alpha`` (5 % false discoveries among the cells called specific).

How sure that is: the test counts segments, and one talkative participant's segments are not
independent of each other, so the table also says how many participants the cell has; a
cluster "specific" to one group but voiced by one participant is one person's theme.
Outliers (label -1) are not in any cluster and are left out of the tables.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from qualcode.records import GroupCell

ALPHA = 0.05


def benjamini_hochberg(p: Sequence[float]) -> np.ndarray:
    """BH-adjusted p-values (q-values), monotone, capped at 1."""
    p = np.asarray(p, dtype=float)
    if not len(p):
        return p
    order = np.argsort(p, kind="stable")
    ranked = p[order] * len(p) / np.arange(1, len(p) + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty_like(q)
    out[order] = np.minimum(q, 1.0)
    return out


def group_table(labels: Sequence[int], groups: Sequence[str], authors: Sequence[str],
                alpha: float = ALPHA) -> list[GroupCell]:
    """One cell per cluster × group, clusters in label order, groups sorted."""
    from scipy.stats import fisher_exact

    labels = np.asarray(labels)
    keep = labels >= 0
    labels, groups = labels[keep], np.asarray(groups, dtype=object)[keep]
    authors = np.asarray(authors, dtype=object)[keep]
    names = sorted({str(g) for g in groups})
    clusters = sorted({int(c) for c in labels})
    cells, ps = [], []
    for c in clusters:
        in_c = labels == c
        for g in names:
            in_g = groups == g
            a, b = int((in_c & in_g).sum()), int((~in_c & in_g).sum())
            cc, d = int((in_c & ~in_g).sum()), int((~in_c & ~in_g).sum())
            p = float(fisher_exact([[a, b], [cc, d]], alternative="greater")[1]) if len(names) > 1 else 1.0
            cells.append((c, g, a, len(set(authors[in_c & in_g])), a / max(a + b, 1), cc / max(cc + d, 1)))
            ps.append(p)
    q = benjamini_hochberg(ps)
    return [GroupCell(c, g, a, np_, round(s_in, 4), round(s_out, 4), round(p, 6), round(float(qq), 6),
                      bool(qq < alpha and s_in > s_out))
            for (c, g, a, np_, s_in, s_out), p, qq in zip(cells, ps, q, strict=True)]
