"""Scale benchmarks of osteotwin, all measured in one run on one machine (issue 6).

Usage: ``.venv/bin/python benchmarks/run.py --quick|--full [--json FILE]``
(default JSON: ``benchmarks/results/scale.json``).

Measures:
1. one person, 5 years (postmenopausal woman starting anastrozole): reference path (scipy Radau)
   vs fast path (``osteotwin.simulate.simulate``);
2. population throughput (person-years per second of the 5-year horizon) of ``osteotwin trial``
   end to end (people drawn, steady states, solve, endpoints, Parquet) for each backend at
   N = 10^3, 10^4, 10^5 (``--quick`` runs the smaller sizes);
3. the same people in libroadrunner on our exported SBML (same model, same N): one document per
   arm, each person's parameters, start and steady state set before their run;
4. our core against the CC0 BIOMD0000000613 model (Peterson & Riggs 2010) in libroadrunner on the
   same scenario: an untreated person for 5 years.

Person-years count the 5-year horizon only; women are also simulated through their menopause
transition before t = 0 (up to 20 years of history), which both sides of every comparison do.
Output: ``{"machine": {...}, "metrics": {name: value}, "ratios": {name: value}}``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from osteotwin.scale.cpu_backend import HISTORY_FACTOR, RTOL

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "scale.json"
YEARS = 5.0

#: The benchmark trial: one arm of postmenopausal women after breast cancer on anastrozole 1 mg
#: daily for 5 years (the product's core population; characteristics typical of ATAC).
BENCH_TRIAL: dict[str, Any] = {
    "version": 1,
    "id": "bench_ai_5y",
    "citation": "benchmark population (ATAC-like characteristics)",
    "population": {"sex": "female", "menopausal_status": "postmenopausal",
                   "age": {"mean": 64, "sd": 9, "min": 45, "max": 85},
                   "weight": {"mean": 72, "sd": 13, "unit": "kg"}, "breast_cancer": True},
    "arms": [{"id": "anastrozole", "n": None, "regimens": [
        {"drug": "anastrozole", "dose": "1 mg", "route": "oral", "every": "1 d", "start": "0 d",
         "stop": "5 y"}]}],
    "endpoints": [
        {"arm": "anastrozole", "quantity": "lumbar_spine_bmd_change_pct", "at": "5 y",
         "value": -6.0},
        {"arm": "anastrozole", "quantity": "total_hip_bmd_change_pct", "at": "5 y",
         "value": -7.0},
        {"arm": "anastrozole", "quantity": "estradiol", "at": "1 y", "value": 2.0,
         "unit": "pg/mL"},
    ],
}

SIZES = {"quick": {"cpu": (1_000, 10_000), "jax": (100,), "dask": (1_000,), "roadrunner": 100},
         "full": {"cpu": (1_000, 10_000, 100_000), "jax": (100,), "dask": (10_000,),
                  "roadrunner": 1_000}}


def machine() -> dict[str, Any]:
    import numba
    import roadrunner

    info: dict[str, Any] = {
        "platform": platform.platform(), "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(), "python": sys.version.split()[0],
        "numpy": np.__version__, "numba": numba.__version__,
        "roadrunner": roadrunner.__version__, "date": dt.datetime.now(dt.UTC).isoformat(),
        "load_average_start": list(os.getloadavg()),
    }
    try:
        import jax

        info["jax"] = jax.__version__
        info["jax_devices"] = [str(d) for d in jax.devices()]
    except ImportError:  # pragma: no cover - optional
        info["jax"] = None
    cpu_model = Path("/proc/cpuinfo")
    if cpu_model.exists():
        for line in cpu_model.read_text().splitlines():
            if line.startswith("model name"):
                info["cpu_model"] = line.split(":", 1)[1].strip()
                break
    return info


def timed(fn: Callable[[], Any], repeats: int) -> float:
    """Median wall time of ``repeats`` calls after one warm-up call."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def one_person() -> Any:
    from osteotwin.simulate.scenario import Regimen, Scenario, Subject

    return Scenario(Subject(sex="female", age_y=64.0, weight_kg=72.0, years_since_menopause=13.0,
                            breast_cancer=True),
                    (Regimen("anastrozole", dose_mg=1.0, every_d=1.0, start_d=0.0),), years=YEARS)


def bench_single(metrics: dict[str, float]) -> None:
    from osteotwin.simulate import simulate

    scenario = one_person()
    metrics["single_5y_fast_s"] = timed(lambda: simulate(scenario, method="fast"), 5)
    metrics["single_5y_reference_s"] = timed(lambda: simulate(scenario, method="reference"), 2)


def bench_population(metrics: dict[str, float], backend: str, sizes: tuple[int, ...],
                     trial: Path, work: Path) -> None:
    from osteotwin.scale.runner import run_trial

    warm = sizes[0] if backend == "jax" else min(50, sizes[0])  # JAX compiles per batch shape
    run_trial(trial, n=warm, backend=backend, out=work / f"warm-{backend}",
              chunk_size=min(warm, 2_000), progress=False)  # compile / start-up outside the timing
    for n in sizes:
        cpu_start = time.process_time()
        result = run_trial(trial, n=n, backend=backend, out=work / f"{backend}-{n}",
                           chunk_size=min(n, 2_000), progress=False)
        if backend == "cpu":  # CPU time of this process, all threads: insensitive to others' load
            metrics[f"{backend}_n{n}_cpu_ms_per_person"] = round(
                (time.process_time() - cpu_start) * 1e3 / n, 3)
        metrics[f"{backend}_n{n}_seconds"] = round(result.seconds, 3)
        metrics[f"{backend}_n{n}_person_years_per_s"] = round(n * YEARS / result.seconds, 2)
        print(f"  {backend} N={n}: {result.seconds:.1f} s, "
              f"{n * YEARS / result.seconds:,.0f} person-years/s ({result.backend_note})",
              flush=True)


#: How each side ran (filled in by the benchmarks; written to the JSON as ``settings``).
SETTINGS: dict[str, Any] = {}


def bench_roadrunner_population(metrics: dict[str, float], n: int) -> None:
    """Our exported model in libroadrunner for the same N people as the CPU backend's first size.

    libroadrunner runs in this process, one person after another (one thread), with its default
    integrator (CVODE, BDF with Newton and a dense Jacobian, LLVM-compiled model) at our
    tolerances: rtol ``RTOL`` and per-state absolute floors ``RTOL × error_scale``, as our
    solver. Its settings are recorded in the JSON (``settings.roadrunner``)."""
    from osteotwin.physiology import states as S
    from osteotwin.physiology.parameters import NAMES
    from osteotwin.sbml.export import configure_roadrunner, export_sbml, schedule_of
    from osteotwin.sbml.reference import load_roadrunner
    from osteotwin.scale.chunk import RunSpec, draw_chunk
    from osteotwin.scale.cpu_backend import solve_states
    from osteotwin.scale.endpoints import endpoint_columns, output_times
    from osteotwin.scale.people import prepare_batch
    from osteotwin.scale.plan import plan_chunks
    from osteotwin.trials.reader import parse_trial_document

    trial = parse_trial_document(BENCH_TRIAL)
    columns = endpoint_columns(trial)
    times = output_times(columns)
    spec = RunSpec(trial=trial, columns=columns, times_d=times, seed=0)
    task = plan_chunks(("anastrozole",), n, n, 0)[0]
    people, params = draw_chunk(spec, task)
    scenarios = list(people.scenarios)
    batch = prepare_batch(scenarios, params, times)  # steady states given to libroadrunner free
    text = export_sbml(batch.p[0], batch.y0[0], schedule_of(batch, 0), male=False,
                       start_d=float(batch.t_out[0, 0]))
    rr = configure_roadrunner(load_roadrunner(text), rtol=RTOL)  # same tolerance as ours
    rr.timeCourseSelections = ["time", *S.STATE_NAMES]
    integrator = rr.integrator
    SETTINGS["roadrunner"] = {
        "integrator": integrator.getName(), "threads": 1,
        **{k: integrator.getValue(k) for k in integrator.getSettings()
           if k != "absolute_tolerance"},
        "absolute_tolerance": "per state: rtol x error_scale (as ours)"}
    SETTINGS["ours"] = {"solver": "ROS34PW2 (Rosenbrock-W), block-triangular Jacobian",
                        "relative_tolerance": RTOL,
                        "absolute_tolerance": "per state: rtol x error_scale",
                        "tolerance_factor_before_t0": HISTORY_FACTOR,
                        "threads": int(os.cpu_count() or 1)}
    ids = list(rr.model.getGlobalParameterIds())
    # per person: parameters, start, steady state and the inputs that are constant in time
    constant_inputs = [i for i in range(S.N_INPUTS)
                       if np.all(batch.seg_u[:, :, i] == batch.seg_u[:, :1, i])]
    names = [*NAMES, "start_offset_d", *S.STATE_NAMES,
             *(f"u_{S.INPUT_NAMES[i]}" for i in constant_inputs)]
    index = [ids.index(name) for name in names if name in ids]
    keep = [k for k, name in enumerate(names) if name in ids]
    states = np.empty((n, times.size, S.N_STATES))
    start = time.perf_counter()
    cpu_start = time.process_time()
    for i in range(n):
        values = np.concatenate([batch.p[i], [batch.t_out[i, 0]], batch.y0[i],
                                 batch.seg_u[i, 0, constant_inputs]])[keep]
        rr.reset()
        rr.model.setGlobalParameterValues(index, values)
        grid = np.unique(np.concatenate([[0.0], times - batch.t_out[i, 0]]))
        result = np.asarray(rr.simulate(times=list(grid)))
        states[i] = result[np.searchsorted(grid, times - batch.t_out[i, 0]), 1:]
    seconds = time.perf_counter() - start
    metrics[f"roadrunner_n{n}_cpu_ms_per_person"] = round(
        (time.process_time() - cpu_start) * 1e3 / n, 3)
    ours_start = time.perf_counter()
    _, ours, _ = solve_states(scenarios, params, times)
    ours_seconds = time.perf_counter() - ours_start
    scale = S.error_scale()
    later = times > 0
    error = np.abs(states[:, later] - ours[:, 1:][:, later]) / np.maximum(
        np.abs(ours[:, 1:][:, later]), scale)
    metrics[f"roadrunner_n{n}_seconds"] = round(seconds, 3)
    metrics[f"roadrunner_n{n}_person_years_per_s"] = round(n * YEARS / seconds, 2)
    metrics[f"cpu_solver_only_n{n}_seconds"] = round(ours_seconds, 3)
    metrics[f"roadrunner_vs_cpu_max_relative_state_difference_n{n}"] = float(
        np.quantile(error.max(axis=(1, 2)), 0.99))
    if os.environ.get("BENCH_DEBUG"):
        worst = error.max(axis=(0, 1))
        print({S.STATE_NAMES[j]: float(worst[j]) for j in np.argsort(worst)[-5:]},
              error.max(axis=(1, 2)))
    print(f"  libroadrunner N={n}: {seconds:.1f} s ({n * YEARS / seconds:,.0f} person-years/s); "
          f"our CPU solver on the same people: {ours_seconds:.1f} s", flush=True)


def bench_biomd613(metrics: dict[str, float]) -> None:
    """Same scenario on our core and BIOMD0000000613: an untreated person for 5 years."""
    from osteotwin.physiology.parameters import current_parameters
    from osteotwin.sbml.reference import (
        load_roadrunner,
        reference_model_path,
        simulate_reference,
        untreated,
    )
    from osteotwin.scale.cpu_backend import CpuSimulator
    from osteotwin.simulate import simulate
    from osteotwin.simulate.scenario import Scenario, Subject

    rr = untreated(load_roadrunner(reference_model_path()))
    metrics["biomd613_roadrunner_5y_s"] = timed(lambda: simulate_reference(rr, YEARS), 20)
    ref = simulate_reference(rr, YEARS)
    scenario = Scenario(Subject(sex="male", age_y=60.0, weight_kg=80.0), (), years=YEARS)
    metrics["core_single_fast_untreated_5y_s"] = timed(lambda: simulate(scenario), 5)
    people = [scenario] * 1_000
    params = np.repeat(current_parameters().values[None, :], len(people), axis=0)
    times = np.linspace(0.0, YEARS * 365.25, 61)
    simulator = CpuSimulator()
    simulator.simulate(people[:10], params[:10], times)
    start = time.perf_counter()
    series = simulator.simulate(people, params, times)
    metrics["core_batch_untreated_5y_s_per_person"] = (time.perf_counter() - start) / len(people)
    # baseline agreement (Peterson & Riggs 2010 core): plasma calcium (mM) and PTH (pM)
    metrics["biomd613_plasma_calcium_mM"] = float(ref.series["C1"][-1])
    metrics["core_plasma_calcium_mM"] = float(series["serum_calcium_mg_dl"][0, -1] / 4.008)
    metrics["biomd613_pth_pM"] = float(ref.series["C4"][-1])
    metrics["core_pth_pM"] = float(series["pth_pg_ml"][0, -1] / 9.425)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="smaller sizes (a few minutes)")
    mode.add_argument("--full", action="store_true", help="N up to 10^5 (CPU backend)")
    parser.add_argument("--json", type=Path, default=RESULTS, help="where to write the results")
    parser.add_argument("--backends", default="cpu,jax,dask", help="comma-separated backends")
    args = parser.parse_args(argv)
    kind = "full" if args.full else "quick"
    sizes = SIZES[kind]
    metrics: dict[str, float] = {}
    info = machine()
    print(f"osteotwin scale benchmark ({kind}) on {info.get('cpu_model', info['processor'])}, "
          f"{info['cpu_count']} cores", flush=True)
    with tempfile.TemporaryDirectory(prefix="osteotwin-bench-") as tmp:
        work = Path(tmp)
        trial = work / "bench_trial.yaml"
        trial.write_text(yaml.safe_dump(BENCH_TRIAL), encoding="utf-8")
        print("single person, 5 years ...", flush=True)
        bench_single(metrics)
        print("our core vs BIOMD0000000613 (untreated, 5 years) ...", flush=True)
        bench_biomd613(metrics)
        for backend in args.backends.split(","):
            print(f"population, backend {backend} ...", flush=True)
            bench_population(metrics, backend, sizes[backend], trial, work)
        print("libroadrunner on the exported SBML ...", flush=True)
        bench_roadrunner_population(metrics, int(sizes["roadrunner"]))
    info["load_average_end"] = list(os.getloadavg())
    rr_n = int(sizes["roadrunner"])
    cpu_rate_key = f"cpu_n{sizes['cpu'][0]}_person_years_per_s"
    same_n_ours = rr_n * YEARS / metrics[f"cpu_solver_only_n{rr_n}_seconds"]
    ratios = {
        "single_fast_vs_reference": metrics["single_5y_reference_s"] / metrics["single_5y_fast_s"],
        "population_throughput_vs_libroadrunner":
            metrics[cpu_rate_key] / metrics[f"roadrunner_n{rr_n}_person_years_per_s"],
        "population_solver_throughput_vs_libroadrunner_same_people":
            same_n_ours / metrics[f"roadrunner_n{rr_n}_person_years_per_s"],
        # CPU time per person (all our threads against libroadrunner's one): the ratio per core
        "population_cpu_time_vs_libroadrunner_per_person":
            metrics[f"roadrunner_n{rr_n}_cpu_ms_per_person"]
            / metrics[f"cpu_n{sizes['cpu'][0]}_cpu_ms_per_person"],
        "core_batch_vs_biomd613_roadrunner_per_person":
            metrics["biomd613_roadrunner_5y_s"] / metrics["core_batch_untreated_5y_s_per_person"],
        "core_single_fast_vs_biomd613_roadrunner":
            metrics["biomd613_roadrunner_5y_s"] / metrics["core_single_fast_untreated_5y_s"],
    }
    largest = max(sizes["cpu"])
    metrics[f"cpu_n{largest}_minutes_projected_for_100000"] = round(
        100_000 / largest * metrics[f"cpu_n{largest}_seconds"] / 60.0, 2)
    document = {"machine": info, "mode": kind, "settings": SETTINGS, "metrics": metrics,
                "ratios": {k: round(v, 2) for k, v in ratios.items()}}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(document["ratios"], indent=2))
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
