"""Compute the model outputs an exported Bundle may carry: fracture risk and a simulated course.

Kept apart from the mapping so that ``records.fhir`` needs neither the assessment nor the simulator
unless outputs are asked for (both are imported inside the functions).
"""

from __future__ import annotations

import datetime as dt

from osteotwin.records.fhir.outputs import ModelOutput, fracture_risk_output, trajectory_output
from osteotwin.records.patient import PatientRecord


def fracture_risk_outputs(record: PatientRecord, as_of: dt.date) -> list[ModelOutput]:
    """The assessment's fracture-risk estimates (one output per model that gave a number)."""
    from osteotwin.clinic import assess
    from osteotwin.clinic.render import to_document

    document = to_document(assess(record, as_of))
    outputs = []
    for estimate in document["fracture_risk"].get("estimates", []):
        output = fracture_risk_output(estimate, as_of=as_of)
        if output.predictions:
            outputs.append(output)
    return outputs


def simulation_output(record: PatientRecord, as_of: dt.date, years: float) -> ModelOutput:
    """The current course simulated over ``years``: estradiol (mean over the week before) and BMD
    change per site at 1, 2 and 5 years and the horizon, with 5-95 % ranges over parameter draws
    (the report's table: ``reports.whatif.SimulatedCourse``)."""
    import osteotwin
    from osteotwin.reports.whatif import default_simulator
    from osteotwin.simulate import Scenario
    from osteotwin.simulate.averaging import DAYS_PER_YEAR
    from osteotwin.simulate.what_if import BAND_DRAWS

    scenario = Scenario.from_record(record.model_copy(update={"as_of": as_of}), years=years)
    [course] = default_simulator()([scenario])
    meta = course.trajectory.meta
    return trajectory_output(
        [h * DAYS_PER_YEAR for h in course.table_years], course.table, years=course.table_years,
        model=f"osteotwin {osteotwin.__version__} ({meta.get('parameters', 'model parameters')})",
        bands=course.table_bands, as_of=as_of,
        note=f"Simulated current course; intervals are 5-95 % over {BAND_DRAWS} virtual people "
        "drawn around the model parameters (parameter uncertainty only). Decision support only.")


def model_outputs(record: PatientRecord, as_of: dt.date | None = None, *,
                  simulate_years: float | None = None) -> list[ModelOutput]:
    """Fracture risk (and the simulated current course when ``simulate_years`` is given)."""
    when = as_of or record.as_of or dt.date.today()
    outputs = fracture_risk_outputs(record, when)
    if simulate_years is not None:
        outputs.append(simulation_output(record, when, simulate_years))
    return outputs
