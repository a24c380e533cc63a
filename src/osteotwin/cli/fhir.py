"""``osteotwin fhir export PATIENT -o bundle.json`` and ``osteotwin fhir import BUNDLE -o patient.yaml``.

Export writes a FHIR R4 Bundle (JSON); import reads one back into a patient file v1 (YAML or JSON).
A round trip loses nothing the patient file holds. Resources with no place in the patient file are
named on stderr, one line each. Heavy imports (fhir.resources) happen inside the commands.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from osteotwin.errors import UserInputError

fhir_app = typer.Typer(
    name="fhir",
    help="FHIR R4 interchange: export a patient file as a Bundle, import a Bundle as a patient file.",
    no_args_is_help=True,
)


def read_bundle_file(path: Path) -> object:
    """A bundle file's JSON; errors name the file (and line/column for malformed JSON)."""
    from osteotwin.records import read_document

    return read_document(path, what="FHIR Bundle file", suffixes=".json")


@fhir_app.command("export")
def export_command(
    patient: Annotated[Path, typer.Argument(metavar="PATIENT",
                                            help="Patient file v1 (.yaml, .yml or .json).")],
    output: Annotated[Path | None, typer.Option(
        "-o", "--output", help="Bundle file to write (.json); default: stdout.")] = None,
    with_risk: Annotated[bool, typer.Option(
        "--with-risk", help="Add the assessment's fracture-risk estimates as RiskAssessment.")] = False,
    bundle_type: Annotated[str, typer.Option(
        "--type", help="Bundle type: collection (a document to exchange) or transaction (PUT "
        "requests for a FHIR server; ids from the patient and each entry's content, so "
        "re-uploading updates; needs patient.id).")] = "collection",
    id_namespace: Annotated[str | None, typer.Option(
        "--id-namespace", help="Your site's name or URL, mixed into transaction ids so two sites "
        "using the same patient ids never write to each other's resources.")] = None,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", metavar="YYYY-MM-DD", help="The date the Bundle speaks for (medication status, "
        "undated height and weight, risk estimates); default: the file's as_of, else today.")] = None,
    simulate_years: Annotated[float | None, typer.Option(
        "--simulate-years", help="Add the simulated current course (estradiol, BMD change at 1, 2 "
        "and 5 years, 5-95 % ranges) over this many years (1-30) as RiskAssessment.")] = None,
) -> None:
    """Write the patient file as a FHIR R4 Bundle.

    Resources: Patient, Observation (LOINC, UCUM), MedicationStatement, Condition, RiskAssessment.
    """
    from osteotwin.cli.common import write_output_file
    from osteotwin.records import load_patient_file
    from osteotwin.records.fhir import ModelOutput, record_to_bundle

    if simulate_years is not None and not 1.0 <= simulate_years <= 30.0:
        raise UserInputError("--simulate-years", simulate_years, "1 to 30 years",
                             problem="out of range")
    if bundle_type not in ("collection", "transaction"):
        raise UserInputError("--type", bundle_type, "collection or transaction",
                             problem="unsupported Bundle type")
    import datetime as dt

    try:
        date = None if as_of is None else dt.date.fromisoformat(as_of.strip())
    except ValueError:
        raise UserInputError("--as-of", as_of, "a date as YYYY-MM-DD", problem="not a date") from None
    if id_namespace is not None:
        id_namespace = id_namespace.strip()  # "site" and "site " are one namespace
        if not id_namespace:
            raise UserInputError("--id-namespace", id_namespace, "non-empty text", problem="empty")
    record = load_patient_file(patient)
    when = date or record.as_of or dt.date.today()
    outputs: list[ModelOutput] = []
    if with_risk or simulate_years is not None:
        from osteotwin.records.fhir.compute import fracture_risk_outputs, simulation_output

        if with_risk:
            outputs.extend(fracture_risk_outputs(record, when))
        if simulate_years is not None:
            outputs.append(simulation_output(record, when, simulate_years))
    bundle = record_to_bundle(record, model_outputs=outputs, bundle_type=bundle_type, as_of=when,
                              id_namespace=id_namespace)
    text = json.dumps(bundle, indent=2, ensure_ascii=False) + "\n"
    if output is None:
        typer.echo(text, nl=False)
        return
    write_output_file(output, text.encode("utf-8"), allowed_suffixes=(".json",))
    typer.echo(f"wrote {output}", err=True)


@fhir_app.command("import")
def import_command(
    bundle: Annotated[Path, typer.Argument(metavar="BUNDLE", help="FHIR R4 Bundle file (.json).")],
    output: Annotated[Path | None, typer.Option(
        "-o", "--output", help="Patient file to write (.yaml, .yml or .json); default: YAML on "
        "stdout.")] = None,
) -> None:
    """Read a FHIR R4 Bundle into a patient file v1."""
    from osteotwin.cli.common import write_output_file
    from osteotwin.records import dump_patient_json, dump_patient_yaml
    from osteotwin.records.fhir import import_bundle

    result = import_bundle(read_bundle_file(bundle), source=str(bundle))
    for line in result.skipped:  # what was not imported, or read only in part (each says which)
        typer.echo(f"osteotwin: import note: {line}", err=True)
    as_json = output is not None and output.suffix.lower() == ".json"
    text = dump_patient_json(result.record) + "\n" if as_json else dump_patient_yaml(result.record)
    if output is None:
        typer.echo(text, nl=False)
        return
    write_output_file(output, text.encode("utf-8"), allowed_suffixes=(".yaml", ".yml", ".json"))
    typer.echo(f"wrote {output}", err=True)


def register(app: typer.Typer) -> None:
    app.add_typer(fhir_app, name="fhir")
