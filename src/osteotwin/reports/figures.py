"""Report figures: matplotlib (Agg, no display) PNGs embedded as ``data:`` URIs.

Measured history (hormones and 25(OH)D, BMD by site) comes straight from the record; what-if
trajectories come from the simulator (lines are the median, shaded bands the 5-95 % range of the
virtual population when given).
"""

from __future__ import annotations

import base64
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure as MplFigure

    from osteotwin.records.patient import PatientRecord

#: Labs plotted in the measured-history figure: (test, label, unit shown = canonical unit).
HISTORY_LABS = (("estradiol", "Estradiol", "pg/mL"),
                ("total_testosterone", "Total testosterone", "ng/dL"),
                ("vitamin_d_25oh", "25(OH)D", "ng/mL"))
SITE_LABELS = {"lumbar_spine": "Lumbar spine", "total_hip": "Total hip",
               "femoral_neck": "Femoral neck"}
_COLOURS = ("#1f4e79", "#b03a2e", "#1e8449", "#7d3c98", "#b9770e")


@dataclass(frozen=True)
class Figure:
    """One figure: title, PNG as a data URI, caption and a text alternative for screen readers."""

    title: str
    data_uri: str
    caption: str
    alt: str


@dataclass(frozen=True)
class Curve:
    """One scenario's series over time, with an optional (low, high) band on the same times."""

    label: str
    years: Sequence[float]
    values: Sequence[float]
    band: tuple[Sequence[float], Sequence[float]] | None = None


def _new_figure(rows: int, cols: int = 1, *, height: float = 2.4) -> tuple[MplFigure, Any]:
    """A figure of ``rows`` x ``cols`` panels, 7 inches wide (A4 text width), drawn off-screen."""
    from matplotlib.figure import Figure as MplFigure  # object API: no pyplot, no display

    fig = MplFigure(figsize=(7.0, height * rows), dpi=110)
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    return fig, axes


def _date_axis(ax: Any, dates: Sequence[dt.date]) -> None:
    """Concise date ticks; a lone date gets six months either side so it is not squeezed."""
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

    locator = AutoDateLocator(minticks=3, maxticks=7)  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
    if dates and min(dates) == max(dates):
        ax.set_xlim(min(dates) - dt.timedelta(days=183), max(dates) + dt.timedelta(days=183))


def _to_uri(fig: MplFigure, *, tight: bool = True) -> str:
    buffer = io.BytesIO()
    if tight:
        fig.tight_layout()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def lab_history_figure(record: PatientRecord, as_of: dt.date) -> Figure | None:
    """Measured estradiol, testosterone and 25(OH)D over time (canonical units); None if no data."""
    panels = [(label, unit, record.labs_for(test, on_or_before=as_of))
              for test, label, unit in HISTORY_LABS]
    panels = [p for p in panels if p[2]]
    if not panels:
        return None
    fig, axes = _new_figure(1, len(panels), height=2.3)
    starts = [(m.drug, m.start) for m in record.medications if m.start is not None
              and m.start <= as_of]
    alt = []
    for ax, (label, unit, labs) in zip(axes, panels, strict=True):
        ax.plot([lab.date for lab in labs], [lab.value for lab in labs], "o-", color=_COLOURS[0])
        ax.set_title(f"{label} ({unit})", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
        _date_axis(ax, [lab.date for lab in labs])
        for drug, start in starts:
            if labs[0].date <= start <= labs[-1].date:
                ax.axvline(start, color="#888888", linestyle=":", linewidth=1)
                ax.annotate(drug.replace("_", " "), (start, 1.0), xycoords=("data", "axes fraction"),
                            fontsize=6, rotation=90, va="top", ha="right", color="#555555")
        alt.append(f"{label}: " + ", ".join(f"{lab.value:.3g} {unit} on {lab.date}"
                                            for lab in labs))
    return Figure("Measured hormones and vitamin D", _to_uri(fig),
                  "Results on file, converted to one unit per test; dotted lines mark medicine "
                  "starts.", "; ".join(alt))


def bmd_history_figure(record: PatientRecord, as_of: dt.date) -> Figure | None:
    """Measured BMD (g/cm²) per DXA site over time; T-scores where no BMD was reported."""
    scans = [s for s in record.dxa if s.date <= as_of]
    with_bmd = [s for s in scans if s.bmd_g_cm2 is not None]
    use_bmd = bool(with_bmd)
    if not (with_bmd or any(s.t_score is not None for s in scans)):
        return None
    fig, axes = _new_figure(1, 1, height=2.6)
    ax = axes[0]
    alt = []
    dates: list[dt.date] = []
    for colour, site in zip(_COLOURS, SITE_LABELS, strict=False):
        points = sorted((s.date, s.bmd_g_cm2 if use_bmd else s.t_score) for s in scans
                        if s.site == site and (s.bmd_g_cm2 if use_bmd else s.t_score) is not None)
        if not points:
            continue
        ax.plot([p[0] for p in points], [p[1] for p in points], "o-", color=colour,
                label=SITE_LABELS[site])
        dates.extend(p[0] for p in points)
        alt.append(f"{SITE_LABELS[site]}: " + ", ".join(f"{v:.3f} on {d}" for d, v in points))
    ax.set_ylabel("BMD (g/cm²)" if use_bmd else "T-score", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    _date_axis(ax, dates)
    return Figure("Measured bone density by site", _to_uri(fig),
                  "DXA results on file" + ("" if use_bmd else " (T-scores: no BMD reported)") + ".",
                  "; ".join(alt))


def what_if_figure(panels: Sequence[tuple[str, str, Sequence[Curve]]], *, title: str,
                   caption: str) -> Figure:
    """Simulated trajectories: one panel per series (title, y label), one line per scenario; up to
    three panels side by side, more two to a row (the page is 7 inches wide)."""
    cols = len(panels) if len(panels) <= 3 else 2
    rows = -(-len(panels) // cols)
    fig, axes = _new_figure(rows, cols, height=2.8 if rows == 1 else 2.3)
    for unused in axes[len(panels):]:
        unused.set_visible(False)
    alt = []
    for ax, (panel_title, ylabel, curves) in zip(axes, panels, strict=True):
        for colour, curve in zip(_COLOURS, curves, strict=False):
            ax.plot(curve.years, curve.values, color=colour, label=curve.label, linewidth=1.6)
            if curve.band is not None:
                ax.fill_between(curve.years, curve.band[0], curve.band[1], color=colour, alpha=0.15,
                                linewidth=0)
            alt.append(f"{panel_title}, {curve.label}: {curve.values[-1]:.3g} at "
                       f"{curve.years[-1]:g} years")
        ax.set_title(f"{panel_title} ({ylabel})", fontsize=8)
        ax.set_xlabel("years from report date", fontsize=7)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(3, len(labels)), fontsize=7,
               frameon=False)
    fig.tight_layout(rect=(0, 0.1 / rows, 1, 1))
    return Figure(title, _to_uri(fig, tight=False), caption, "; ".join(alt))
