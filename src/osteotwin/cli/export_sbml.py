"""``osteotwin export-sbml``: the model as SBML Level 3 (COPASI, tellurium, libroadrunner)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from osteotwin.sbml.export import Provenance

#: Exported when no patient file is given: the product's core case, a postmenopausal woman
#: after breast cancer starting anastrozole 1 mg daily (typical adjuvant-AI trial population).
DEFAULT_DESCRIPTION = ("a 62-year-old postmenopausal woman (10 years since menopause, 70 kg) "
                       "after breast cancer, starting anastrozole 1 mg daily at t = 0")


#: The solver settings an exported model needs, as ``--help`` states them (checked by
#: ``tests/sbml/test_export.py`` on the spec's example patient over 5 years: libroadrunner 2.10
#: at its defaults stopped at SBML time 2093-2104 d, start_offset_d being -2191.5 d).
TOLERANCE_HELP = (
    "Solver settings: relative tolerance 1e-6 and, per state, an absolute tolerance of 1e-6 "
    "times the state's typical magnitude (magnitudes span 1e-4 to 1e6, and drug states sit at "
    "exactly 0 between courses); the file holds them in its model annotation (namespace "
    "urn:osteotwin:sbml:solver:1; osteotwin.sbml.export.read_tolerances reads them and "
    "configure_roadrunner applies them to libroadrunner). At libroadrunner's default settings "
    "(one absolute tolerance for every state) CVODE can stop with CV_CONV_FAILURE on a course "
    "with many doses (the spec's example patient stops some 90 days before t = 0); set the "
    "per-state tolerances before simulating (COPASI and tellurium alike).")

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
    "The person is the one `osteotwin simulate` runs: an estradiol measured on treatment (with no "
    "untreated one) is matched as simulate matches it, by scaling the person's own estradiol "
    "production, and the file's notes give the factor; where the match does not reach the "
    "measured value a warning says so.",
    "Parameters, states, inputs and the two hormone outputs carry units (unit definitions in the "
    "file; international units as dimensionless counts). The model's notes give its provenance: "
    "osteotwin version, parameter set (label, sha256, source), patient file name, export date "
    "and the model papers.",
    TOLERANCE_HELP,
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
    from osteotwin.sbml.export import export_person
    from osteotwin.simulate.scenario import Regimen, Scenario, Subject
    from osteotwin.simulate.single import unmatched_estradiol_note

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
    who = DEFAULT_DESCRIPTION if patient is None else f"the person in {patient.name}"
    exported = export_person(scenario, provenance=export_provenance(who, patient))
    write_output_file(output, exported.text.encode("utf-8"), allowed_suffixes=(".xml", ".sbml"))
    typer.echo(f"wrote {output}: osteotwin model for {who}; SBML time 0 = day "
               f"{exported.start_d:g} (start_offset_d); time unit: day", err=True)
    match = exported.match.get("estradiol_match")
    if match:
        typer.echo(f"estradiol matched as in osteotwin simulate: {match['measured_pg_ml']:g} pg/mL "
                   f"on day {match['day']:g} (own production x"
                   f"{float(exported.match['aromatization_factor']):.3g})", err=True)
    note = unmatched_estradiol_note(exported.match)
    if note:
        typer.echo(f"warning: {note}", err=True)


def export_provenance(person: str, patient: Path | None) -> Provenance:
    """The notes' provenance of an export made now: osteotwin version, the parameter set in use
    (label, sha256, source; ``scale.provenance.current_parameter_set``), today's date (UTC) and
    the patient file's name (not its folder)."""
    from datetime import UTC, datetime

    from osteotwin.sbml.export import Provenance
    from osteotwin.scale.provenance import current_parameter_set, osteotwin_version

    params = current_parameter_set()
    return Provenance(osteotwin_version=osteotwin_version(), parameter_set_label=params.label,
                      parameter_set_sha256=params.sha256, parameter_set_source=params.source,
                      exported_on=datetime.now(UTC).date().isoformat(), person=person,
                      source_file=None if patient is None else patient.name)
