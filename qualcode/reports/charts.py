"""Charts for the report and the Themes page, drawn with matplotlib (Agg, no display).

Three charts, each from a :class:`~qualcode.reports.data.ReportData`:

* :func:`counts_figure`: participants with each theme (or code) by group, as horizontal
  bars, each group's bars as a share of its participants (so a group of 3 and a group of 12
  compare fairly) with the count "7/9" printed on the bar;
* :func:`heatmap_figure`: the co-occurrence of codes (Jaccard, the shared segments printed
  in each cell);
* :func:`saturation_figure`: the cumulative number of codes by interview, per group, with
  the band of random orders when computed.

Labels are wrapped (never cut) and the figure is saved with a tight bounding box.
:func:`png` turns a figure into PNG bytes for the HTML (base64) and the Word file.
Figures are built with ``matplotlib.figure.Figure``, not pyplot, so nothing global is
kept between requests of the app.
"""

from __future__ import annotations

import io
import textwrap
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from qualcode.reports.data import ReportData

WRAP = 26
MAX_HEATMAP_CODES = 24
_COLOURS = ["#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3", "#8c8c8c",
            "#ccb974", "#64b5cd"]


def _wrap(label: str, width: int = WRAP) -> str:
    return textwrap.fill(label, width) or label


def _figure(width: float, height: float) -> Figure:
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    return buf.getvalue()


def counts_figure(data: ReportData, level: str = "themes") -> Figure | None:
    """Participants with each theme/code per group (bar length: share of the group)."""
    rows = [s for s in data.summaries if (s.depth == 0) == (level == "themes") and s.segments]
    if not rows:
        return None
    groups = list(data.groups)
    n_bar = max(len(groups), 1)
    height = 1.2 + len(rows) * (0.16 * n_bar + 0.3)
    fig = _figure(8.0, min(height, 40.0))
    ax = fig.add_subplot()
    bar = 0.8 / n_bar
    for j, group in enumerate(groups):
        ys = [i + j * bar for i in range(len(rows))]
        shares = [s.by[group].participants / s.by[group].of if s.by[group].of else 0.0 for s in rows]
        colour = _COLOURS[j % len(_COLOURS)]
        ax.barh(ys, shares, height=bar * 0.95, color=colour, label=_wrap(f"{group} (n={data.people[group]})", 30))
        for y, s, share in zip(ys, rows, shares, strict=True):
            cell = s.by[group]
            if cell.participants:
                ax.text(share + 0.01, y, f"{cell.participants}/{cell.of}", va="center", fontsize=7)
    ax.set_yticks([i + (n_bar - 1) * bar / 2 for i in range(len(rows))],
                  [_wrap(s.code.name) for s in rows], fontsize=8)
    ax.set_ylim(len(rows) - 1 + (n_bar - 0.5) * bar + 0.1, -bar / 2 - 0.1)  # first code on top, no gap
    ax.set_xlim(0, 1.15)
    ax.set_xlabel(_wrap(f"share of participants in the group ({data.counted_short()})", 70), fontsize=8)
    ax.set_title(_wrap(f"{'Themes' if level == 'themes' else 'Codes'} by {data.by_words()}", 60), fontsize=10)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)  # never over a bar
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def heatmap_figure(data: ReportData) -> Figure | None:
    """Jaccard co-occurrence of the most frequent codes, shared segments in each cell."""
    if not any(p.both for p in data.pairs):
        return None
    used = [s for s in data.summaries if s.segments]
    used = sorted(used, key=lambda s: -s.segments)[:MAX_HEATMAP_CODES]
    order = [s.code.id for s in data.summaries if s in used]
    index = {c: i for i, c in enumerate(order)}
    n = len(order)
    values = [[float("nan")] * n for _ in range(n)]
    counts = [[0] * n for _ in range(n)]
    for p in data.pairs:
        if p.a in index and p.b in index:
            i, j = index[p.a], index[p.b]
            values[i][j] = values[j][i] = p.jaccard
            counts[i][j] = counts[j][i] = p.both
    size = max(4.0, 0.45 * n + 2.5)
    fig = _figure(size + 1.2, size)
    ax = fig.add_subplot()
    image = ax.imshow(values, cmap="Blues", vmin=0.0, vmax=1.0)
    labels = [_wrap(data.name(c), 22) for c in order]
    ax.set_xticks(range(n), labels, rotation=60, ha="right", rotation_mode="anchor", fontsize=7)
    ax.set_yticks(range(n), labels, fontsize=7)
    for i in range(n):
        for j in range(n):
            if counts[i][j]:
                ax.text(j, i, str(counts[i][j]), ha="center", va="center", fontsize=7,
                        color="white" if values[i][j] > 0.6 else "black")
    fig.colorbar(image, ax=ax, shrink=0.7, label="Jaccard (segments with both / with either)")
    ax.set_title(_wrap(f"Co-occurrence ({data.counted_short()}); cells: shared segments", 60), fontsize=9)
    return fig


def saturation_figure(data: ReportData) -> Figure | None:
    """Cumulative codes by interview for each group (and the random-order band)."""
    curves = [g for g in data.saturation if g.curve.total]
    if not curves:
        return None
    fig = _figure(7.0, 3.8)
    ax = fig.add_subplot()
    for k, g in enumerate(curves):
        xs = list(range(1, len(g.curve.cumulative) + 1))
        colour = _COLOURS[k % len(_COLOURS)]
        ax.plot(xs, g.curve.cumulative, marker="o", color=colour, label=_wrap(g.group, 30))
        if g.band is not None:
            ax.fill_between(xs, g.band.low, g.band.high, color=colour, alpha=0.15)
        if g.curve.point is not None:
            ax.axvline(g.curve.point, color=colour, linestyle=":", linewidth=1)
    from matplotlib.ticker import MaxNLocator

    ax.set_ylim(0, max(g.curve.total for g in curves) * 1.08)  # from zero: the curve's shape, not its top
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("interviews (in import order)", fontsize=8)
    ax.set_ylabel("codes found so far", fontsize=8)
    ax.set_title(_wrap(f"Saturation: dotted line = fewer than {curves[0].curve.threshold:.0%} of codes new "
                       f"afterwards", 70), fontsize=9)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def report_charts(data: ReportData) -> dict[str, tuple[str, bytes]]:
    """name → (caption, PNG) for every chart the report has data for: ``themes``,
    ``codes``, ``heatmap``, ``saturation``."""
    out = {}
    for name, caption, fig in (
        ("themes", f"Themes by {data.by_words()}: participants with each theme, as a share of their group.",
         counts_figure(data, "themes")),
        ("codes", f"Codes by {data.by_words()}: participants with each code, as a share of their group.",
         counts_figure(data, "codes")),
        ("heatmap", "Co-occurrence of codes: colour = Jaccard, number = segments coded with both.",
         heatmap_figure(data)),
        ("saturation", "Saturation: codes found by successive interview.", saturation_figure(data)),
    ):
        if fig is not None:
            out[name] = (caption, png(fig))
    return out
