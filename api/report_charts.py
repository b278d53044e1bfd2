"""The charts of the HR reports: matplotlib figures as SVG, embedded in the page as
`data:image/svg+xml;base64,...` images, so the report still loads nothing and keeps its
strict Content-Security-Policy (img-src data: only).

One function per chart. Each takes plain values, drops what cannot be drawn (missing or
non-finite numbers, unknown tiers) and returns a `Chart`: its SVG, or no SVG and the
sentence the report shows instead. Figures are built without pyplot, whose global state is
not safe across the threads of a gunicorn worker.

The SVG of the same data is the same bytes: element ids are hashed from a fixed salt
rather than a random one, the metadata carries no date, and text is drawn as paths (the
fonts matplotlib ships), so no font of the viewer's machine changes the picture.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import matplotlib
import numpy as np

# Agg: no display and no GUI toolkit on a server; chosen before anything draws.
matplotlib.use("Agg")

from matplotlib.figure import Figure

matplotlib.rcParams["svg.hashsalt"] = "epa-reports"
matplotlib.rcParams["svg.fonttype"] = "path"
matplotlib.rcParams["font.size"] = 9

TIERS = ("Low", "Medium", "High")
# Okabe-Ito colours, told apart with colour blindness too; Low is also hatched. Each chart
# has a colour of its own, so a look at a page (or its screenshot) tells which ones drew.
TIER_COLOURS = {"High": "#0072B2", "Medium": "#E69F00", "Low": "#D55E00"}
TIER_HATCHES = {"High": "", "Medium": "", "Low": "//"}
TREND_COLOUR = "#56B4E9"
KPI_COLOUR = "#009E73"
EFFECT_COLOUR = "#CC79A7"
# Two charts side by side fill a 1280-pixel screen; one fills a printed page.
WIDTH_INCHES = 6.4
SCORE_BINS = list(range(0, 101, 10))


@dataclass(frozen=True)
class Chart:
    """A chart of a report: `svg` to show with `caption` and `alt`, or `empty`, the
    sentence shown instead when there is nothing to draw."""

    caption: str
    alt: str
    svg: str | None = None
    empty: str = ""

    @property
    def src(self) -> str:
        """The image as a data: URI (empty without a chart)."""
        if self.svg is None:
            return ""
        return "data:image/svg+xml;base64," + base64.b64encode(self.svg.encode()).decode()


@dataclass(frozen=True)
class KpiGroup:
    """One scorecard's bars: its title and the mean points of each of its KPIs."""

    title: str
    points: Sequence[tuple[str, float | None]]


@dataclass(frozen=True)
class EffectInterval:
    """A program's effect on the score with its 95% interval."""

    label: str
    effect: float | None
    low: float | None
    high: float | None


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _svg(figure: Figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


def score_bands(scores: Sequence[tuple[float | None, str | None]]) -> dict[str, list[int]]:
    """Per tier, how many of `scores` fall in each band of 10 points (SCORE_BINS; the last
    band holds 100); scores outside 0-100 count in the outermost bands, and what cannot be
    drawn (no finite score, no known tier) in none."""
    kept = [(min(max(s, 0.0), 100.0), t) for s, t in scores if _finite(s) and t in TIERS]
    return {
        tier: [int(n) for n in np.histogram([s for s, t in kept if t == tier], SCORE_BINS)[0]]
        for tier in TIERS
    }


def tier_distribution(scores: Sequence[tuple[float | None, str | None]], subject: str) -> Chart:
    """A histogram of scores in bands of 10 points, stacked by tier."""
    return tier_histogram(score_bands(scores), subject)


def tier_histogram(bands: Mapping[str, Sequence[int]], subject: str) -> Chart:
    """The histogram of tier_distribution from its counts per tier and band (score_bands),
    which a store can count without reading anyone's row."""
    caption = f"Scores of {subject} by tier, in bands of 10 points"
    people = {tier: sum(bands.get(tier) or ()) for tier in TIERS}
    if not sum(people.values()):
        return Chart(caption, "", empty=f"No scores to show: nobody in {subject} has a tier.")
    centres = [low + 5 for low in SCORE_BINS[:-1]]
    figure = Figure(figsize=(WIDTH_INCHES, 2.8), layout="constrained")
    axes = figure.add_subplot()
    axes.hist(
        [centres for _ in TIERS],
        bins=SCORE_BINS,
        weights=[list(bands.get(t) or [0] * len(centres)) for t in TIERS],
        stacked=True,
        color=[TIER_COLOURS[t] for t in TIERS],
        hatch=[TIER_HATCHES[t] for t in TIERS],
        edgecolor="white",
        label=[f"{t} tier" for t in TIERS],
    )
    axes.set_xlim(0, 100)
    axes.set_xticks(SCORE_BINS)
    axes.set_xlabel("Score (0–100)")
    axes.set_ylabel("People")
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.spines[["top", "right"]].set_visible(False)
    handles, labels = axes.get_legend_handles_labels()
    # Above the bars, which a legend inside the axes could hide.
    axes.legend(
        handles[::-1], labels[::-1], frameon=False, ncols=3, loc="lower left", bbox_to_anchor=(0, 1)
    )
    counts = ", ".join(f"{people[t]} {t}" for t in reversed(TIERS))
    alt = f"Histogram of the scores of {sum(people.values())} people in {subject}: {counts}."
    return Chart(caption, alt, _svg(figure))


def score_trend(
    points: Sequence[tuple[str, float | None]],
    caption: str,
    empty: str,
    value_label: str = "Average score",
) -> Chart:
    """The (average) score at each labelled point, oldest first, on a 0-100 scale so that
    a small change does not look like a large one."""
    kept = [(label, value) for label, value in points if _finite(value)]
    if len(kept) < 2:
        return Chart(caption, "", empty=empty)
    labels, values = [label for label, _ in kept], [value for _, value in kept]
    figure = Figure(figsize=(WIDTH_INCHES, 2.6), layout="constrained")
    axes = figure.add_subplot()
    axes.plot(range(len(values)), values, marker="o", markersize=8, color=TREND_COLOUR)
    for x, value in enumerate(values):
        axes.annotate(
            f"{value:.1f}", (x, value), textcoords="offset points", xytext=(0, 7), ha="center"
        )
    axes.set_xticks(range(len(labels)), labels)
    axes.set_xlim(-0.5, len(values) - 0.5)
    axes.set_ylim(0, 100)
    axes.set_ylabel(value_label)
    axes.grid(axis="y", color="#dddddd")
    axes.spines[["top", "right"]].set_visible(False)
    said = ", ".join(f"{' '.join(label.split())} {value:.1f}" for label, value in kept)
    return Chart(caption, f"{caption}: {said}.", _svg(figure))


def kpi_breakdown(
    groups: Sequence[KpiGroup], caption: str, value_label: str = "Points of the score (mean)"
) -> Chart:
    """Horizontal bars of the points each KPI adds to the score, one panel per scorecard."""
    panels = [
        KpiGroup(g.title, [(k, p) for k, p in g.points if _finite(p)]) for g in groups if g.points
    ]
    panels = [p for p in panels if p.points]
    if not panels:
        return Chart(caption, "", empty="No score breakdown is stored for this run.")
    rows = [len(p.points) for p in panels]
    figure = Figure(figsize=(WIDTH_INCHES, 0.6 + sum(0.35 * r + 0.5 for r in rows)))
    grid = figure.add_gridspec(len(panels), 1, height_ratios=rows)
    figure.set_layout_engine("constrained")
    widest = max(abs(p) for panel in panels for _, p in panel.points) or 1.0
    for index, panel in enumerate(panels):
        axes = figure.add_subplot(grid[index])
        names = [k for k, _ in panel.points][::-1]
        values = [p for _, p in panel.points][::-1]
        axes.barh(names, values, color=KPI_COLOUR)
        for y, value in enumerate(values):
            axes.annotate(
                f"{value:.1f}", (value, y), textcoords="offset points", xytext=(4, 0), va="center"
            )
        axes.set_xlim(min(0.0, min(values) * 1.15), widest * 1.15)
        axes.set_title(panel.title, loc="left", fontsize=9)
        axes.spines[["top", "right"]].set_visible(False)
    axes.set_xlabel(value_label)
    alt = (
        f"{caption}. "
        + " ".join(
            f"{p.title}: " + ", ".join(f"{k} {v:.1f}" for k, v in p.points) + "." for p in panels
        )
    ).strip()
    return Chart(caption, alt, _svg(figure))


def training_effects(effects: Sequence[EffectInterval], caption: str) -> Chart:
    """Each program's effect on the score as a point with its 95% interval, around zero."""
    kept = [e for e in effects if _finite(e.effect) and _finite(e.low) and _finite(e.high)]
    if not kept:
        return Chart(
            caption,
            "",
            empty="No program has enough participants yet to show an effect with its interval.",
        )
    kept = kept[::-1]  # the first program on top
    figure = Figure(figsize=(WIDTH_INCHES, 0.9 + 0.4 * len(kept)), layout="constrained")
    axes = figure.add_subplot()
    effect = [e.effect for e in kept]
    below = [e.effect - e.low for e in kept]
    above = [e.high - e.effect for e in kept]
    axes.errorbar(
        effect,
        range(len(kept)),
        xerr=[below, above],
        fmt="o",
        markersize=8,
        color=EFFECT_COLOUR,
        capsize=4,
    )
    axes.axvline(0, color="#555555", linewidth=0.8)
    axes.set_yticks(range(len(kept)), [e.label for e in kept])
    axes.set_ylim(-0.6, len(kept) - 0.4)
    axes.set_xlabel("Change in score against comparable colleagues (points)")
    axes.grid(axis="x", color="#dddddd")
    axes.spines[["top", "right"]].set_visible(False)
    alt = (
        f"{caption}: "
        + "; ".join(
            f"{e.label} {e.effect:+.1f} points (from {e.low:+.1f} to {e.high:+.1f})"
            for e in kept[::-1]
        )
        + "."
    )
    return Chart(caption, alt, _svg(figure))
