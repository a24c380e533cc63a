"""Figures of compared scenarios: estradiol and BMD trajectories with 5-95 % bands.

Each line and its band show the same quantity (``Projection.central``, ``bands.band_quantity``):
estradiol as the mean over the 7 days up to each time, BMD changes as they are. PNG via matplotlib
(Agg backend), interactive HTML via Plotly (self-contained file). Heavy imports stay inside the
functions.
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


def check_plot_path(path: Path) -> None:
    """Raise ``UserInputError`` unless a figure can be written to ``path``: a .png or .html name,
    not a folder, in an existing folder that accepts the file (tried by opening it for appending;
    a file that was not there is removed again)."""
    if path.suffix.lower() not in SUFFIXES:
        raise UserInputError("--plot", str(path), "a file name ending in .png or .html",
                             problem="unsupported plot type")
    if not path.parent.exists():
        raise UserInputError("--plot", str(path), "a path in an existing folder",
                             problem="folder does not exist")
    if path.is_dir():
        raise UserInputError("--plot", str(path), "a file path, not a folder",
                             problem="is a folder")
    existed = path.exists()
    try:
        with path.open("ab"):
            pass
        if not existed:
            path.unlink()
    except OSError as err:
        raise UserInputError("--plot", str(path), "a file path in a folder you may write to",
                             problem=f"cannot write the file ({err.strerror or err})") from err


def plain_text(text: str) -> str:
    """``text`` shown as typed in a matplotlib title or label (``$`` escaped: no mathtext)."""
    return text.replace("$", r"\$")


def write_plot(projections: Sequence[Projection], path: Path, title: str) -> None:
    """Write a PNG or HTML figure to ``path`` (suffix decides); a path that cannot be written is a
    ``UserInputError``."""
    check_plot_path(path)
    try:
        if path.suffix.lower() == ".png":
            _png(projections, path, title)
        else:
            _html(projections, path, title)
    except OSError as err:
        raise UserInputError("--plot", str(path), "a file path in a folder you may write to",
                             problem=f"cannot write the file ({err.strerror or err})") from err


def _central(projection: Projection, name: str) -> NDArray[np.float64]:
    """The line of ``name``: the quantity its band describes (hormones: 7-day trailing mean)."""
    if name in projection.central:
        return projection.central[name]
    return projection.trajectory.series[name]


def _png(projections: Sequence[Projection], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(PANELS), figsize=(5.2 * len(PANELS), 4.2))
    for ax, (name, label) in zip(axes, PANELS, strict=True):
        for i, projection in enumerate(projections):
            colour = COLOURS[i % len(COLOURS)]
            years = projection.trajectory.times_d / 365.25
            if name in projection.low:
                ax.fill_between(years, projection.low[name], projection.high[name], color=colour,
                                alpha=0.15, linewidth=0)
            ax.plot(years, _central(projection, name), color=colour,
                    label=plain_text(projection.trajectory.label))
        ax.set_xlabel("Years from today")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    draws = projections[0].draws if projections else 0
    banded = any(p.low for p in projections)
    fig.suptitle(f"{plain_text(title)}\nLines: model prediction" + (
        f"; bands: 5-95 % over {draws} virtual people (model uncertainty, not a guarantee)"
        if banded else ""), fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _html(projections: Sequence[Projection], path: Path, title: str) -> None:
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=1, cols=len(PANELS), subplot_titles=[label for _, label in PANELS])
    for i, projection in enumerate(projections):
        colour = COLOURS[i % len(COLOURS)]
        years = list(projection.trajectory.times_d / 365.25)
        for col, (name, _label) in enumerate(PANELS, start=1):
            if name in projection.low:
                high = list(projection.high[name])
                low = list(projection.low[name])
                fig.add_scatter(x=years + years[::-1], y=high + low[::-1],
                                fill="toself", fillcolor=colour, opacity=0.15, line={"width": 0},
                                hoverinfo="skip", showlegend=False, row=1, col=col)
            fig.add_scatter(x=years, y=list(_central(projection, name)),
                            line={"color": colour}, name=projection.trajectory.label,
                            legendgroup=projection.trajectory.label, showlegend=col == 1,
                            row=1, col=col)
    fig.update_layout(title=f"{title} (bands: 5-95 % over virtual people)", height=450)
    fig.update_xaxes(title_text="Years from today")
    fig.write_html(str(path), include_plotlyjs=True, full_html=True)
