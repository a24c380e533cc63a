"""``osteotwin simulate SCENARIO [--years N] [--format table|json|csv] [--plot FILE] [--what-if ...]``.

SCENARIO is a patient file; its medications and lifestyle are carried forward ("current course").
Each ``--what-if`` (e.g. ``"anastrozole=1mg/d"``, ``"anastrozole=none"``,
``"training=2xhigh,impact=2"``, ``"calcium=1000,vitamin_d=2000"``) adds a scenario changed from
today, shown side by side. Bands are 5-95 % over ``--draws`` virtual people (parameter draws);
hormone curves and their bands are means over the 7 days up to each time (dosing cycles), the
table's hormone values means over a whole dosing cycle before each summary time (the longest
interval of the sex-hormone regimens in force, at least 7 days: ``simulate.averaging``).
Heavy imports (numpy, numba, scipy, matplotlib) happen inside the command.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from osteotwin.simulate.bands import Projection
    from osteotwin.simulate.caveats import Egfr

#: ``--draws`` default as the help states it: ``simulate.what_if.BAND_DRAWS``, written out so that
#: the CLI starts without importing the simulator (a test holds the two equal).
DEFAULT_DRAWS = 12

SUMMARY_SERIES: tuple[tuple[str, str], ...] = (
    ("estradiol_pg_ml", "E2 pg/mL"),
    ("total_testosterone_ng_dl", "T ng/dL"),
    ("lumbar_spine_bmd_change_pct", "LS BMD %"),
    ("total_hip_bmd_change_pct", "TH BMD %"),
    ("femoral_neck_bmd_change_pct", "FN BMD %"),
    ("ctx_change_pct", "CTX %"),
    ("free_testosterone_pg_ml", "free T pg/mL"),
)
TABLE_SERIES = SUMMARY_SERIES[:5]  # CTX and free T are in the JSON/CSV; the table stays narrow
DISCLAIMER = ("Decision support, not a prescription: model predictions, uncertain (5-95 % bands "
              "over virtual people with --draws); discuss any change with the treating "
              "clinician.")


class SimulateFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


def register(app: typer.Typer) -> None:
    """Add the ``simulate`` command to the application."""
    app.command("simulate", help="Simulate one person forward in time (hormones, bone turnover, "
                "BMD) on their current course and on what-if alternatives.")(simulate_command)


def simulate_command(
    scenario: Annotated[Path, typer.Argument(help="Patient file (YAML or JSON, spec v1).")],
    years: Annotated[float, typer.Option(
        "--years", help="Horizon in years (more than 0, at most 30).")] = 5.0,
    output_format: Annotated[SimulateFormat, typer.Option(
        "--format", "-f", help="table (terminal), json (one document) or csv.",
        case_sensitive=False)] = SimulateFormat.table,
    plot: Annotated[Path | None, typer.Option(
        "--plot", help="Write a figure of estradiol and BMD with bands (.png or .html).")] = None,
    what_if: Annotated[list[str] | None, typer.Option(
        "--what-if", help="Alternative from today, e.g. 'anastrozole=0.5mg/3.5d', "
        "'anastrozole=none', 'training=2xhigh,impact=2', 'calcium=1000,vitamin_d=2000' "
        "(calcium= is supplemental calcium, replacing the supplements on file; dietary_calcium= "
        "the diet's). Repeat for more.")] = None,
    draws: Annotated[int | None, typer.Option(
        "--draws", show_default=False,
        help=f"Virtual people per scenario for the 5-95 % bands (0: none; else at least 10; default "
        f"{DEFAULT_DRAWS}, the web what-if's and the report's, so the three give the same bands; more "
        "gives a steadier band).")] = None,
    seed: Annotated[int, typer.Option("--seed", min=0, max=2**63 - 1, help="Seed of the parameter draws.")] = 20250601,
    workers: Annotated[int, typer.Option(
        "--workers", help="Processes for the virtual people (0: OSTEOTWIN_WORKERS, else one per "
        "usable CPU; results do not depend on it).")] = 0,
) -> None:
    """Simulate a patient file and optional what-if alternatives."""
    import math

    import numpy as np

    from osteotwin.errors import UserInputError
    from osteotwin.plan.exercise.beyond_screen import what_if_safety
    from osteotwin.records import load_patient_file
    from osteotwin.simulate.averaging import DAYS_PER_YEAR, summary_years
    from osteotwin.simulate.bands import project
    from osteotwin.simulate.scenario import MAX_YEARS, Scenario
    from osteotwin.simulate.what_if import BAND_DRAWS, MIN_BAND_DRAWS, apply_what_if, parse_what_if
    from osteotwin.workers import default_workers

    if not math.isfinite(years) or not 0 < years <= MAX_YEARS:
        raise UserInputError("--years", years, f"more than 0 and at most {MAX_YEARS:g}")
    if draws is None:
        draws = BAND_DRAWS  # == DEFAULT_DRAWS
    if not (draws == 0 or MIN_BAND_DRAWS <= draws <= 1000):
        raise UserInputError("--draws", draws, f"0 (no bands) or {MIN_BAND_DRAWS} to 1000 virtual people")
    if not 0 <= workers <= 256:
        raise UserInputError("--workers", workers, "0 (one per CPU) to 256")
    if plot is not None:  # before the simulation, which is the costly part
        from osteotwin.simulate.plot import check_plot_path

        check_plot_path(plot)
    record = load_patient_file(scenario)
    try:
        base = Scenario.from_record(record, years)
    except UserInputError as err:  # the file was read; a value the simulator cannot take
        raise err.with_source(str(scenario)) from None
    scenarios = [base]
    for text in what_if or []:
        scenarios.append(apply_what_if(base, parse_what_if(text)))
    safety = what_if_safety(record, scenarios)
    from osteotwin.simulate.caveats import recorded_egfr

    egfr = recorded_egfr(record, record.as_of or dt.date.today())  # label limits of bisphosphonates
    times = _output_times(years, scenarios)
    progress = None
    if output_format is SimulateFormat.table and draws > 0:
        from rich.console import Console

        console = Console(stderr=True)
        if console.is_terminal:

            def progress(done: int, total: int) -> None:
                if done == total or done % 10 == 0:
                    console.print(f"simulating virtual people: {done}/{total}", end="\r")

    projections = project(scenarios, times, draws=draws, seed=seed, progress=progress,
                          summary_times_d=[y * DAYS_PER_YEAR for y in summary_years(years)],
                          workers=workers or default_workers())
    if plot is not None:
        from osteotwin.simulate.plot import write_plot

        title = f"{record.patient.id or scenario.name}: current course and alternatives"
        write_plot(projections, plot, title)
    from osteotwin.simulate.lab_checks import course_testosterone_note

    notes = {"testosterone_note": course_testosterone_note(record, base.regimens,
                                                          projections[0].trajectory)}
    if output_format is SimulateFormat.json:
        from osteotwin.cli.common import emit_json

        emit_json({**_document(projections, years, safety, egfr), **notes})
    elif output_format is SimulateFormat.csv:
        typer.echo(_csv(projections), nl=False)
    else:
        _table(projections, years, safety, notes["testosterone_note"], egfr)
    del np


def _output_times(years: float, scenarios: list[Any]) -> Any:
    """A daily grid (resolves dosing cycles; the virtual people are simulated on it too, so their
    hormone means are not aliased) plus a dense window (every 6 h) over the longest dosing cycle
    of the ``scenarios`` before each summary time."""
    from osteotwin.simulate.averaging import (
        DAYS_PER_YEAR,
        summary_grid,
        summary_years,
        widest_windows,
    )

    at_years = summary_years(years)
    return summary_grid(years, at_years, 1.0, windows_d=widest_windows(
        [s.regimens for s in scenarios], [y * DAYS_PER_YEAR for y in at_years]))


def _value(projection: Projection, name: str, years: float, digits: int | None = 2
           ) -> dict[str, float | None]:
    """Value and band at ``years``, to ``digits`` decimals (None: unrounded, for the table, which
    rounds once for display); hormone levels are averaged over the course's dosing cycle before
    it (``Projection.summary_value``)."""
    from osteotwin.simulate.averaging import DAYS_PER_YEAR

    t = years * DAYS_PER_YEAR
    def rounded(x: float) -> float:
        return float(x) if digits is None else round(float(x), digits)

    value = projection.summary_value(name, t)
    cell: dict[str, float | None] = {
        "value": None if value is None else rounded(value), "p5": None, "p95": None}
    band = projection.summary_band(name, t)
    if band is not None:
        cell["p5"], cell["p95"] = rounded(band[0]), rounded(band[1])
    return cell


def _regimens(projection: Projection) -> list[dict[str, Any]]:
    return [{"drug": r.drug, "dose_mg": r.dose_mg, "dose_iu": r.dose_iu, "every_d": r.every_d,
             "start_d": r.start_d, "stop_d": r.stop_d} for r in projection.scenario.regimens]


def _document(projections: list[Projection], years: float,
              safety: dict[str, list[str]] | None = None, egfr: Egfr | None = None) -> dict[str, Any]:
    from osteotwin.simulate.averaging import DAYS_PER_YEAR, summary_years
    from osteotwin.simulate.bands import band_quantity
    from osteotwin.simulate.caveats import model_caveats
    from osteotwin.simulate.what_if import band_precision

    current = projections[0].trajectory.to_json()
    scenarios = []
    for projection in projections:
        body = projection.trajectory.to_json()
        body["regimens"] = _regimens(projection)
        body["bands"] = {name: {"quantity": band_quantity(name),
                                "central": _rounded(projection.central[name]),
                                "p5": _rounded(projection.low[name]),
                                "p95": _rounded(projection.high[name])}
                         for name in projection.low}
        body["assumed_doses"] = projection.trajectory.meta.get("assumed_doses", [])
        body["caveats"] = [c.to_json() for c in model_caveats(projection.scenario, egfr)]
        body["safety"] = (safety or {}).get(projection.trajectory.label, [])
        scenarios.append(body)
    summary = [{"scenario": p.trajectory.label, "at_years": y,
                "hormone_window_d": p.summary_window_d(y * DAYS_PER_YEAR),
                **{name: _value(p, name, y) for name, _ in SUMMARY_SERIES}}
               for p in projections for y in summary_years(years)]
    meta = projections[0].trajectory.meta  # the courses share the person's past
    return {"times_d": current["times_d"], "series": current["series"], "scenarios": scenarios,
            "summary": summary, "draws": projections[0].draws,
            "band_note": band_precision(projections[0].draws),
            "bmd_change_scan_to_t0_pct": meta.get("bmd_change_scan_to_t0_pct") or {},
            "estradiol_match": meta.get("estradiol_match"),
            "assumptions": list(projections[0].scenario.assumptions),
            "parameters": meta.get("parameters"), "note": DISCLAIMER}


def _rounded(values: Any) -> list[float]:
    return [round(float(x), 4) for x in values]


def _band_column(name: str) -> str:
    """CSV name of the quantity a band describes: ``estradiol_pg_ml_7d_mean`` for a hormone (the
    mean over the 7 days up to each time), the series name for the others."""
    from osteotwin.simulate.averaging import HORMONE_SERIES
    from osteotwin.simulate.bands import MEAN_WINDOW_D

    return f"{name}_{MEAN_WINDOW_D:g}d_mean" if name in HORMONE_SERIES else name


def _csv(projections: list[Projection]) -> str:
    """One row per scenario and time: the series (hormones: the level at that time), each
    hormone's 7-day mean (``*_7d_mean``) and the band of each banded quantity (``*_p5``,
    ``*_p95``)."""
    import csv
    import io

    names = list(projections[0].trajectory.series)
    means = [n for n in projections[0].central if _band_column(n) != n]
    band_names = list(projections[0].low)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["scenario", "time_d", *names, *[_band_column(n) for n in means],
                     *[f"{_band_column(n)}_p5" for n in band_names],
                     *[f"{_band_column(n)}_p95" for n in band_names]])
    for projection in projections:
        trajectory = projection.trajectory
        for i, t in enumerate(trajectory.times_d):
            writer.writerow([trajectory.label, f"{t:.2f}",
                             *[f"{trajectory.series[n][i]:.4g}" if n in trajectory.series else ""
                               for n in names],
                             *[f"{projection.central[n][i]:.4g}" for n in means],
                             *[f"{projection.low[n][i]:.4g}" for n in band_names],
                             *[f"{projection.high[n][i]:.4g}" for n in band_names]])
    return out.getvalue()


def _table(projections: list[Projection], years: float,
           safety: dict[str, list[str]] | None = None, testosterone: str | None = None,
           egfr: Egfr | None = None) -> None:
    from rich.console import Console
    from rich.table import Table

    from osteotwin.simulate.averaging import DAYS_PER_YEAR, describe_windows, summary_years
    from osteotwin.simulate.display import simulated_value

    console = Console()
    for projection in projections:
        label = projection.trajectory.label
        heading = "value [5-95 % band]" if projection.summary_low else "value"
        table = Table(title=f"{label}: {heading}", title_justify="left")
        table.add_column("year", justify="right")
        for _, header in TABLE_SERIES:
            table.add_column(header, justify="right")
        t_sites = [site for site in ("lumbar_spine", "total_hip", "femoral_neck")
                   if f"{site}_t_score" in projection.trajectory.series]
        for site in t_sites:
            table.add_column(f"{_SITE_SHORT[site]} T-score", justify="right")
        for y in summary_years(years):
            cells = []
            for name, _ in TABLE_SERIES:
                cell = _value(projection, name, y, digits=None)
                text = "-" if cell["value"] is None else simulated_value(name, cell["value"])
                if cell["p5"] is not None and cell["p95"] is not None:
                    text += (f" [{simulated_value(name, cell['p5'])}, "
                             f"{simulated_value(name, cell['p95'])}]")
                cells.append(text)
            cells += [f"{projection.trajectory.at(f'{site}_t_score', y * DAYS_PER_YEAR):.1f}"
                      for site in t_sites]
            table.add_row(f"{y:g}", *cells)
        console.print(table)
    carried = projections[0].trajectory.meta.get("bmd_change_scan_to_t0_pct") or {}
    scored = any(f"{site}_t_score" in projections[0].trajectory.series for site in _SITE_SHORT)
    if carried and scored:  # the courses share the past, so one carry serves all
        console.print("T-scores start from the last scan, carried to today along the simulated "
                      "course since: " + ", ".join(
                          f"{site.replace('_', ' ')} {simulated_value(f'{site}_bmd_change_pct', change)} %"
                          for site, change in carried.items()), highlight=False)
    from osteotwin.simulate.single import unmatched_estradiol_note

    unmatched = unmatched_estradiol_note(projections[0].trajectory.meta)
    if unmatched:
        console.print(unmatched, highlight=False)
    if testosterone:
        console.print(testosterone, highlight=False)
    assumed = sorted({d for p in projections for d in p.trajectory.meta.get("assumed_doses", [])})
    if assumed:
        console.print(f"Doses not on file, labelled doses assumed: {', '.join(assumed)}")
    if projections[0].scenario.assumptions:  # the record's, shared by every course
        console.print("Assumed where the record is silent: "
                      + "; ".join(projections[0].scenario.assumptions) + ".", highlight=False)
    from osteotwin.simulate.caveats import caveats_by_course, model_caveats

    for caveat, labels in caveats_by_course((p.scenario.label, model_caveats(p.scenario, egfr))
                                            for p in projections):
        kind = "Model caveat" if caveat.departure else "Label limit"
        console.print(f"{kind} ({', '.join(labels)}): {caveat.message} [dim]Source: "
                      f"{caveat.source}.[/dim]", highlight=False)
    for label, notes in (safety or {}).items():
        console.print(f"Safety ({label}): " + "; ".join(notes) + ". The prediction shows what the "
                      "model expects of that training, not advice to do it: see `osteotwin plan` "
                      "for the program this person's screen allows.", highlight=False)
    from osteotwin.simulate.what_if import band_precision

    draws = projections[0].draws
    band = (f"Value: the person with the central model parameters; band: 5-95 % of {draws} "
            "virtual people with the same characteristics and parameters drawn from their "
            "population distributions (skewed draws can leave the central value near or outside "
            f"its band). {band_precision(draws)} " if draws > 0 else "")
    at_years = summary_years(years)
    windows = describe_windows([(p.trajectory.label, [p.summary_window_d(y * DAYS_PER_YEAR)
                                                      for y in at_years]) for p in projections],
                               at_years)
    console.print(f"[dim]{band}{windows} {DISCLAIMER} Parameters: "
                  f"{projections[0].trajectory.meta.get('parameters')}.[/dim]")


_SITE_SHORT = {"lumbar_spine": "LS", "total_hip": "TH", "femoral_neck": "FN"}
