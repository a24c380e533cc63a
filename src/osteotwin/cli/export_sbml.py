"""``osteotwin export-sbml``: the model as SBML Level 3 (COPASI, tellurium, libroadrunner)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

#: Exported when no patient file is given: the product's core case, a postmenopausal woman
#: after breast cancer starting anastrozole 1 mg daily (typical adjuvant-AI trial population).
DEFAULT_DESCRIPTION = ("a 62-year-old postmenopausal woman (10 years since menopause, 70 kg) "
                       "after breast cancer, starting anastrozole 1 mg daily at t = 0")


#: ``osteotwin export-sbml --help`` (one line per paragraph: the help keeps later line breaks).
EXPORT_SBML_HELP = "\n\n".join((
    "Export the mechanistic model with one person's parameters, steady state and regimens.",
    "Rates are the model's own equations (rate rules). Doses the model takes as a continuous "
    "daily rate (a daily oral dose of an aromatase inhibitor or tamoxifen, gels and patches, oral "
    "estradiol, oral bisphosphonates, vitamin D3 and calcium) are inputs u_<name>: a constant, or "
    "an assignment rule piecewise in time where a regimen starts or stops; they are not events.",
    "Bolus doses (injections and implants: testosterone esters, denosumab, zoledronic acid, "
    "goserelin, hCG; and oral aromatase inhibitors or tamoxifen taken less often than daily) are "
    "events adding the dose to a depot state; doses at or before SBML time 0 are in the initial "
    "state.",
    "Time is in days; SBML time 0 is the start of the person's simulation (parameter "
    "start_offset_d gives it in days from t = 0).",
))


def register(app: typer.Typer) -> None:
    app.command("export-sbml", help=EXPORT_SBML_HELP)(export_sbml)


def export_sbml(
    output: Annotated[Path, typer.Option("-o", "--output", help="SBML file to write (.xml or .sbml).")],
    patient: Annotated[Path | None, typer.Argument(help="Patient file: export this person's model "
                                                   "(medications carried forward); without one, "
                                                   f"{DEFAULT_DESCRIPTION}.")] = None,
    years: Annotated[float, typer.Option(help="Horizon of the regimens in years.")] = 5.0,
) -> None:
    """Export the mechanistic model with one person's parameters, steady state and regimens
    (help: ``EXPORT_SBML_HELP``)."""
    from osteotwin.cli.common import write_output_file
    from osteotwin.sbml.export import export_scenario
    from osteotwin.simulate.scenario import Regimen, Scenario, Subject

    if patient is not None:
        from osteotwin.errors import UserInputError
        from osteotwin.records import load_patient_file

        try:
            scenario = Scenario.from_record(load_patient_file(patient), years)
        except UserInputError as err:
            raise err.with_source(str(patient)) from None
    else:
        scenario = Scenario(
            Subject(sex="female", age_y=62.0, weight_kg=70.0, years_since_menopause=10.0,
                    breast_cancer=True),
            (Regimen("anastrozole", dose_mg=1.0, every_d=1.0, start_d=0.0),), years=years,
            label="anastrozole 1 mg daily")
        scenario.validate()
    text, start = export_scenario(scenario)
    write_output_file(output, text.encode("utf-8"), allowed_suffixes=(".xml", ".sbml"))
    who = DEFAULT_DESCRIPTION if patient is None else f"the person in {patient}"
    typer.echo(f"wrote {output}: osteotwin model for {who}; SBML time 0 = day {start:g} "
               "(start_offset_d); time unit: day", err=True)
