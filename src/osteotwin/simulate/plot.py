"""Figures of compared scenarios: estradiol and BMD trajectories with 5-95 % bands.

PNG via matplotlib (Agg backend), interactive HTML via Plotly (self-contained file). Heavy imports
stay inside the functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from osteotwin.errors import UserInputError
from osteotwin.simulate.bands import Projection

PANELS: tuple[tuple[str, str], ...] = (
    ("estradiol_pg_ml", "Estradiol (pg/mL, 7-day mean)"),
    ("lumbar_spine_bmd_change_pct", "Lumbar spine BMD change (%)"),
    ("total_hip_bmd_change_pct", "Total hip BMD change (%)"),
)
COLOURS = ("#1f5fa8", "#c0392b", "#2e8b57", "#8e44ad", "#d68910", "#5d6d7e")
SUFFIXES = (".png", ".html")
SMOOTHED = ("estradiol_pg_ml",)  # fluctuates within dosing cycles: drawn as a 7-day running mean
WINDOW_D = 7.0


def _curve(times: NDArray[np.float64], values: NDArray[np.float64],
           name: str) -> NDArray[np.float64]:
    """The values to draw: hormone levels as a trailing 7-day mean (trapezoid), others as is."""
    if name not in SMOOTHED:
        return values
    out = np.empty_like(values)
    cumulative = np.concatenate([[0.0], np.cumsum(np.diff(times) * (values[1:] + values[:-1]) / 2)])
    for i, t in enumerate(times):
        start = max(t - WINDOW_D, times[0])
        if t - start < 1e-9:
            out[i] = values[i]
            continue
        area = cumulative[i] - np.interp(start, times, cumulative)
        out[i] = area / (t - start)
    return out


def write_plot(projections: Sequence[Projection], path: Path, title: str) -> None:
    """Write a PNG or HTML figure to ``path`` (suffix decides)."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise UserInputError("--plot", str(path), "a file name ending in .png or .html",
                             problem="unsupported plot type")
    if not path.parent.exists():
        raise UserInputError("--plot", str(path), "a path in an existing folder",
                             problem="folder does not exist")
    if suffix == ".png":
        _png(projections, path, title)
    else:
        _html(projections, path, title)


def _png(projections: Sequence[Projection], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(PANELS), figsize=(5.2 * len(PANELS), 4.2))
    for ax, (name, label) in zip(axes, PANELS, strict=True):
        for i, projection in enumerate(projections):
            colour = COLOURS[i % len(COLOURS)]
            times = projection.trajectory.times_d
            years = times / 365.25
            if name in projection.low:
                ax.fill_between(years, _curve(times, projection.low[name], name),
                                _curve(times, projection.high[name], name), color=colour,
                                alpha=0.15, linewidth=0)
            ax.plot(years, _curve(times, projection.trajectory.series[name], name), color=colour,
                    label=projection.trajectory.label)
        ax.set_xlabel("Years from today")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    draws = projections[0].draws if projections else 0
    fig.suptitle(f"{title}\nLines: model prediction; bands: 5-95 % over {draws} virtual people "
                 "(model uncertainty, not a guarantee)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _html(projections: Sequence[Projection], path: Path, title: str) -> None:
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=1, cols=len(PANELS), subplot_titles=[label for _, label in PANELS])
    for i, projection in enumerate(projections):
        colour = COLOURS[i % len(COLOURS)]
        times = projection.trajectory.times_d
        years = list(times / 365.25)
        for col, (name, _label) in enumerate(PANELS, start=1):
            if name in projection.low:
                high = list(_curve(times, projection.high[name], name))
                low = list(_curve(times, projection.low[name], name))
                fig.add_scatter(x=years + years[::-1], y=high + low[::-1],
                                fill="toself", fillcolor=colour, opacity=0.15, line={"width": 0},
                                hoverinfo="skip", showlegend=False, row=1, col=col)
            fig.add_scatter(x=years, y=list(_curve(times, projection.trajectory.series[name], name)),
                            line={"color": colour}, name=projection.trajectory.label,
                            legendgroup=projection.trajectory.label, showlegend=col == 1,
                            row=1, col=col)
    fig.update_layout(title=f"{title} (bands: 5-95 % over virtual people)", height=450)
    fig.update_xaxes(title_text="Years from today")
    fig.write_html(str(path), include_plotlyjs=True, full_html=True)
