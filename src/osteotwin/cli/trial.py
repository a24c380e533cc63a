"""``osteotwin trial``: a virtual trial at scale, written to Parquet in resumable chunks."""

from __future__ import annotations

import math
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from osteotwin.scale.runner import RunResult


class Backend(StrEnum):
    cpu = "cpu"
    jax = "jax"
    dask = "dask"
    ray = "ray"


class TrialFormat(StrEnum):
    table = "table"
    json = "json"


#: ``osteotwin trial --help``: one line per paragraph (the help keeps line breaks after the first).
TRIAL_HELP = "\n\n".join((
    "Simulate every arm of TRIAL_FILE as a virtual population of N people; per-person endpoints "
    "go to Parquet (OUT/people/), the summary (mean, SD, percentiles, published value) to "
    "OUT/summary.json and OUT/summary.csv.",
    "Parquet columns, one row per virtual person: arm_index, arm_id, person (index within the "
    "arm), chunk, the person at study start (age_y, weight_kg, years_since_menopause, "
    "baseline_estradiol_pg_ml and baseline_total_testosterone_ng_dl as simulated, and "
    "baseline_SITE_bmd_g_cm2 or baseline_SITE_t_score where the trial publishes them), and one "
    "column per endpoint named QUANTITY@AT (e.g. lumbar_spine_bmd_change_pct@24 mo; \"from D d\" "
    "appended for a change from a later time), in the model's units, which need not be the trial "
    "file's: % for changes and incidences, the canonical unit for absolute lab levels (estradiol "
    "pg/mL, total testosterone ng/dL even where the file gives nmol/L, 25(OH)D ng/mL, ...). Each "
    "column's unit and description are in the Parquet field metadata and in OUT/manifest.json "
    "(`units`, `column_descriptions`). fracture_incidence_pct is each person's cumulative "
    "probability of a clinical fracture from the hazard model, a risk, not an event (its arm mean "
    "is the expected incidence; no event times are drawn).",
    "Hormone levels (estradiol, testosterone, free testosterone, LH) are read as `osteotwin "
    "simulate` reads them: the time-weighted mean over the dosing cycle of the arm's sex-hormone "
    "regimens in force at the endpoint's time (the longest interval: a week for weekly "
    "injections), so that \"3 mo\" and \"13 wk\" are one visit, not a peak and a trough. "
    "Within the first cycle after study start or after such a regimen starts or stops, and "
    "without intermittent dosing (gels, patches, nothing), the level at the time itself. Other "
    "labs and BMD and marker changes are read at the time.",
    "Each summary row gives that unit as `unit`: mean, SD, percentiles, interval and the "
    "published value (`published`) are in it; the published value and unit as the trial file "
    "gives them are `published_given` and `published_given_unit`. `pass` is the spec's pass "
    "rule, which is defined for at least 1,000 virtual people per arm: below that it is empty "
    "(null) and `pass_reason` says why. `se` is the Monte Carlo standard error of the mean (SD "
    "over the square root of n); `borderline` is true (yes?/no? in the table) where the mean plus "
    "or minus 2 SE straddles an edge of the interval, so that another seed may turn the verdict. "
    "A dose the trial file leaves out (`dose: null`) is simulated at the usual labelled "
    "dose, listed under `assumed_doses`. Background therapy a packaged trial's source left "
    "unnamed (the adjuvant inhibitor of ABCSG-18 and B-ABLE, the castrating agent of the "
    "castration study; by trial id) is printed under the table and listed under "
    "`background_therapy`; no other trial gets any. The model's known departures that apply to "
    "an arm's regimens (the caveats `osteotwin simulate` shows, judged on the arm's median "
    "person) are printed under the table and listed per arm under `caveats`.",
    "The manifest in OUT records the parameter set (a digest of the values used: "
    "OSTEOTWIN_PARAMETERS may name another file than the packaged fit), the osteotwin version and "
    "a digest of the model's code and packaged data; resuming a run with different ones is refused. summary.json "
    "names the parameter set (`parameter_set`, `parameters`).",
))


def register(app: typer.Typer) -> None:
    app.command("trial", help=TRIAL_HELP)(trial)


def trial(
    trial_file: Annotated[Path, typer.Argument(help="Trial file v1 (YAML or JSON), see spec/trial-file.md.")],
    n: Annotated[int, typer.Option("--n", help="Virtual people per arm.")],
    backend: Annotated[Backend, typer.Option(help="cpu: compiled solver on every core; jax: batched "
                                             "float64 solver (GPU if present, else CPU); dask: "
                                             "chunks as tasks on a Dask cluster; ray: chunks as "
                                             "Ray tasks (a local instance, or the cluster "
                                             "--scheduler names). The same seed gives the same "
                                             "people on every backend.")] = Backend.cpu,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed draws the same people on "
                                           "any backend (independent draws, chunk by chunk; "
                                           "`osteotwin validate` draws each arm as a Latin "
                                           "hypercube instead, so at small n the two means "
                                           "differ by sampling error).")] = 0,
    out: Annotated[Path | None, typer.Option(help="Run folder for Parquet chunks and summary; "
                                             "rerunning into it resumes (default: "
                                             "./trial-<id>-n<N>-seed<S>).")] = None,
    chunk_size: Annotated[int, typer.Option(help="People per chunk (a killed run loses at most "
                                            "the chunks in flight).")] = 2_000,
    scheduler: Annotated[str | None, typer.Option(help="Cluster address: a Dask scheduler "
                                                  "(tcp://host:8786, with --backend dask; default "
                                                  "a LocalCluster) or a Ray cluster "
                                                  "(ray://host:10001 or auto, with --backend ray; "
                                                  "default a local instance).")] = None,
    workers: Annotated[int | None, typer.Option(help="Worker processes (default: every core).")] = None,
    output_format: Annotated[TrialFormat, typer.Option("--format", help="table or json "
                                                       "(summary on stdout).")] = TrialFormat.table,
    quiet: Annotated[bool, typer.Option(help="No progress bar.")] = False,
) -> None:
    """Simulate every arm of TRIAL_FILE as a virtual population of N people (help: ``TRIAL_HELP``)."""
    from osteotwin.cli.common import emit_json
    from osteotwin.cli.validate import small_n_note
    from osteotwin.scale.runner import run_trial

    result = run_trial(trial_file, n=n, backend=backend.value, seed=seed, out=out,
                       chunk_size=chunk_size, scheduler=scheduler, workers=workers,
                       progress=not quiet)
    if output_format is TrialFormat.json:
        emit_json(result.to_json())
    else:
        _print_table(result)
    note = small_n_note(n)
    if note:
        typer.echo(note, err=True)


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return "—" if not math.isfinite(value) else f"{value:.3g}"
    return str(value)


#: Runs shorter than this are too short for a meaningful simulation rate (start-up dominates).
MIN_TIMED_S = 0.1


def rate_text(rate: float | None, seconds: float) -> str | None:
    """A simulation rate to three significant digits (``12,300``, ``4.56``, ``0.0123``), or None
    when nothing was simulated or the run was too short to time."""
    if rate is None or not math.isfinite(rate) or rate <= 0 or seconds < MIN_TIMED_S:
        return None
    rounded = float(f"{rate:.3g}")
    return f"{rounded:,.0f}" if rounded >= 1000 else f"{rounded:g}"


def _print_table(result: RunResult) -> None:
    from rich.console import Console
    from rich.table import Table

    from osteotwin.trials.caveats import caveat_lines
    from osteotwin.trials.endpoints import not_simulated_note
    from osteotwin.trials.pass_rule import BORDERLINE_SE

    console = Console()
    if not console.is_terminal:
        console = Console(width=160)
    table = Table(title=f"{result.trial_id}: {result.n:,} virtual people per arm "
                  f"(seed {result.seed}, {result.backend})")
    for name in ("arm / contrast", "endpoint", "unit", "mean", "SE", "SD", "2.5%", "50%",
                 "97.5%", "published", "interval", "pass"):
        table.add_column(name, justify="left" if name in ("arm / contrast", "endpoint", "unit")
                         else "right")
    for row in result.summary:
        who = row["arm"] if row["arm"] is not None else " − ".join(row["contrast"])
        interval = row["interval"]
        table.add_row(who, row["endpoint"], row["unit"], _fmt(row["mean"]), _fmt(row.get("se")),
                      _fmt(row["sd"]), _fmt(row["p2.5"]), _fmt(row["p50"]), _fmt(row["p97.5"]),
                      _published(row),
                      f"{interval[0]:.3g} to {interval[1]:.3g}" if interval else "—",
                      pass_text(row))
    console.print(table)
    if any(row.get("borderline") for row in result.summary):
        console.print(f"yes?/no?: borderline, the mean ± {BORDERLINE_SE:g} SE straddles an edge of "
                      "the interval (another seed may turn the verdict)", highlight=False)
    reasons = sorted({row["pass_reason"] for row in result.summary
                      if row["pass_reason"] and row["mean"] is not None})
    for reason in reasons:
        console.print(f"pass —: {reason}", highlight=False)
    for note in result.background:
        console.print(f"[yellow]every arm: {note}[/]", highlight=False)
    for arm, doses in result.assumed_doses.items():
        for dose in doses:
            console.print(f"[yellow]assumed dose, arm {arm}: {dose['note']}[/]", highlight=False)
    for line in caveat_lines(result.caveats):
        console.print(f"[yellow]caveat: {line}[/]", highlight=False)
    missing = [row["quantity"] for row in result.summary if row["mean"] is None]
    if missing:
        console.print(f"[yellow]{len(missing)} row(s) without a prediction; the model does not "
                      f"simulate: {not_simulated_note(missing)}[/]")
    rate = rate_text(result.person_years_per_s, result.seconds)
    console.print(f"{result.people_simulated:,} people simulated in {result.seconds:.1f} s"
                  + (f" ({rate} person-years/s)" if rate else "")
                  + f"; {result.chunks_total - result.chunks_run} of {result.chunks_total} chunks "
                  f"resumed from {result.out}. Backend: {result.backend_note or result.backend}.")
    params = result.parameters
    console.print(f"Parameter set: {params.get('label')} ({params.get('source')}; sha256 "
                  f"{str(params.get('sha256'))[:12]}); osteotwin {result.osteotwin_version}.",
                  highlight=False)
    console.print("Decision support: a virtual population from published summaries and a "
                  "mechanistic model; see assumptions in summary.json.")


def pass_text(row: dict[str, Any]) -> str:
    """A summary row's verdict: yes or no, with '?' when borderline; '—' without a verdict."""
    if row["pass"] is None:
        return "—"
    return ("yes" if row["pass"] else "no") + ("?" if row.get("borderline") else "")


def _published(row: dict[str, Any]) -> str:
    """The published value in the row's unit, and as the trial file gives it when that differs."""
    published = row.get("published")
    if published is None:
        return "—"
    text = _fmt(published)
    given_unit = row.get("published_given_unit")
    if given_unit not in (None, row.get("unit")):
        text += f" ({_fmt(row.get('published_given'))} {given_unit})"
    return text
