"""FHIR R4 Bundle -> PatientRecord.

Each resource is first checked against the fhir.resources R4B models (R4B keeps R4's structure for
every resource read here; docs/fhir.md "FHIR version"), JSON types strictly (a number written as a
string is invalid FHIR, not a number); the bundle is then mapped to a
patient file v1 document and read by the ordinary patient-file reader, so an imported record passes
exactly the checks a file does (units, plausible ranges, known drugs). Errors name the bundle entry
and resource as well as the patient-file field. Bundles from other systems are read through their
standard codes (LOINC, RxNorm, SNOMED CT smoking status); resources with no place in the patient
file are listed in ``ImportResult.skipped`` rather than silently dropped. Data about another person
(a ``subject`` that is not the bundle's Patient) and dose timings that cannot be read exactly are
refused, never attributed or guessed.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from osteotwin.errors import UserInputError
from osteotwin.records.fhir import codes as c
from osteotwin.records.fhir import versions
from osteotwin.records.fhir.outputs import ModelOutput, model_output_from_resource
from osteotwin.records.patient import PatientRecord
from osteotwin.records.patient_file import parse_patient_document

_SKIP_STATUSES = {"entered-in-error", "cancelled", "not-taken"}
#: Condition.verificationStatus codes that do not confirm the condition (R4: a modifier element).
#: Public: the assessment's free-text readings (``clinic.history_text.is_unconfirmed``) read the
#: qualifier built from these words, so a condition the import marks unconfirmed is never counted.
UNCONFIRMED_VERIFICATION = ("unconfirmed", "provisional", "differential")
#: MedicationStatement statuses saying the medicine is not taken now (R4: status is a modifier).
_NOT_TAKEN_NOW = ("stopped", "completed", "on-hold")
#: Observation statuses imported; the others (preliminary, registered, unknown ...) are listed.
_OBSERVATION_STATUSES = ("final", "amended", "corrected")
#: Resources whose ``subject`` (or ``patient``) must be the bundle's Patient.
_PATIENT_DATA = ("Observation", "MedicationStatement", "Condition", "RiskAssessment")
_LIFESTYLE_QUANTITIES = ("dietary_calcium", "protein")
_LIFESTYLE_NUMBERS = ("resistance_sessions_per_week", "impact_sessions_per_week",
                      "weight_bearing_aerobic_minutes_per_week", "sleep_hours")
_LIFESTYLE_CHOICES = ("resistance_intensity", "diet_pattern", "training_setting")


def unconfirmed_qualifier(verification: str) -> str:
    """What is appended to a free-text condition that is not confirmed ("Hip fracture
    (verification status: provisional)"), so that the text says it is not a diagnosis."""
    return f"(verification status: {verification})"


@dataclass(frozen=True)
class ImportResult:
    """The record read from a bundle, what was left out (one line each) and any model outputs."""

    record: PatientRecord
    skipped: tuple[str, ...] = ()
    model_outputs: tuple[ModelOutput, ...] = ()


@dataclass
class _Resource:
    label: str  # "entry[3] Observation/abc"
    kind: str
    data: dict[str, Any]
    full_url: str | None


def bundle_to_record(bundle: Any) -> PatientRecord:
    """Read a FHIR R4 Bundle (parsed JSON) into a PatientRecord; see ``import_bundle``."""
    return import_bundle(bundle).record


def import_bundle(bundle: Any, *, source: str = "FHIR bundle") -> ImportResult:
    """Read a FHIR R4 Bundle; raise ``UserInputError`` naming the entry, resource and field."""
    notes: list[str] = []
    resources = validated_resources(bundle, source=source, notes=notes)
    reader = _Reader(resources, notes)
    try:
        document = reader.document()
    except UserInputError as err:
        raise err.with_source(source) from None
    try:
        record = parse_patient_document(document, source=source)
    except UserInputError as err:
        raise UserInputError(f"{reader.origin_of(err.field)}: {err.field}", err.value,
                             err.accepted, source=source, problem=err.problem) from None
    return ImportResult(record=record, skipped=tuple(reader.skipped),
                        model_outputs=tuple(reader.outputs))


def validated_resources(bundle: Any, *, source: str = "FHIR bundle",
                        notes: list[str] | None = None) -> list[_Resource]:
    """Check the bundle shell and every resource against the R4B models; JSON forms in order.

    Entries with a request or response but no resource (a transaction's DELETE, a batch's GET) carry
    no patient data: they are listed in ``notes`` (when given) and left out. Only the current
    version of each resource is returned (``versions.current``: superseded versions, repeated
    entries and, in a ``history`` bundle, deleted resources are left out and noted)."""
    from fhir.resources.R4B import get_fhir_model_class
    from pydantic import ValidationError

    if not isinstance(bundle, Mapping):
        raise UserInputError("Bundle", type(bundle).__name__, "a FHIR R4 Bundle (a JSON object)",
                             source=source, problem="not a Bundle")
    if bundle.get("resourceType") != "Bundle":
        raise UserInputError("resourceType", bundle.get("resourceType"), "Bundle", source=source,
                             problem="not a Bundle")
    entries = bundle.get("entry") or []
    if not isinstance(entries, list):
        raise UserInputError("Bundle.entry", type(entries).__name__, "a list of entries",
                             source=source, problem="not a list")
    shell = {key: value for key, value in bundle.items() if key != "entry"}
    try:  # Bundle.type (1..1) and the other Bundle elements; entries are checked one by one below
        parsed_shell = get_fhir_model_class("Bundle").model_validate(shell)
    except (ValidationError, ValueError, TypeError) as exc:
        raise _validation_error(exc, "Bundle", source) from None
    _refuse_coerced(shell, json.loads(parsed_shell.model_dump_json(exclude_none=True)), "Bundle",
                    source)
    history = bundle.get("type") == "history"
    out: dict[int, _Resource] = {}
    seen: list[versions.Entry] = []
    found: list[str] = []
    for i, entry in enumerate(entries):
        where = f"Bundle.entry[{i}]"
        resource = entry.get("resource") if isinstance(entry, Mapping) else None
        if resource is None and isinstance(entry, Mapping) \
                and isinstance(entry.get("request") or entry.get("response"), Mapping):
            deleted = _deleted(entry) if history else None
            if deleted is not None:
                seen.append(versions.Entry(i, f"{where} DELETE {deleted}", deleted,
                                           *versions.entry_version(None, entry), None))
            else:
                found.append(f"{where}: {_request_text(entry)} without a resource (a request, "
                             "not patient data)")
            continue
        if not isinstance(resource, Mapping):
            raise UserInputError(f"{where}.resource", None, "a FHIR resource (a JSON object)",
                                 source=source, problem="missing resource")
        kind = resource.get("resourceType")
        try:
            model_class = get_fhir_model_class(str(kind))
        except (KeyError, ValueError, AttributeError) as exc:
            raise UserInputError(f"{where}.resource.resourceType", kind,
                                 "an R4 resource type such as Patient, Observation",
                                 source=source, problem="unknown resource type") from exc
        try:
            model = model_class.model_validate(resource)
        except (ValidationError, ValueError, TypeError) as exc:
            raise _validation_error(exc, f"{where} {kind}", source) from None
        data: dict[str, Any] = json.loads(model.model_dump_json(exclude_none=True))
        _refuse_coerced(resource, data, f"{where} {kind}", source)
        label = f"{where} {kind}/{data.get('id', '?')}"
        full_url = entry.get("fullUrl")
        out[i] = _Resource(label, str(kind), data, str(full_url) if full_url else None)
        key = f"{kind}/{data['id']}" if history and "id" in data else full_url
        seen.append(versions.Entry(i, label, None if key is None else str(key),
                                   *versions.entry_version(data, entry), data))
    current, left_out = versions.current(seen, history=history, source=source)
    if notes is not None:
        notes.extend([*found, *left_out])
    return [out[e.index] for e in current if e.resource is not None]


def _deleted(entry: Mapping[str, Any]) -> str | None:
    """``Type/id`` a history bundle's DELETE entry deletes, or None."""
    request = entry.get("request")
    if not isinstance(request, Mapping) or request.get("method") != "DELETE":
        return None
    return _local_reference(str(request.get("url") or "")) or None


def _coerced(raw: Any, parsed: Any, path: str) -> tuple[str, Any, str] | None:
    """The first value the R4B models accepted only by converting its JSON type (``"20"`` for the
    number 20, ``"true"`` or ``1`` for true): where, the value, and what FHIR JSON requires."""
    if isinstance(raw, Mapping) and isinstance(parsed, Mapping):
        for key, value in raw.items():
            if key in parsed:
                found = _coerced(value, parsed[key], f"{path}.{key}")
                if found is not None:
                    return found
    elif isinstance(raw, list) and isinstance(parsed, list) and len(raw) == len(parsed):
        for i, (value, read) in enumerate(zip(raw, parsed, strict=True)):
            found = _coerced(value, read, f"{path}[{i}]")
            if found is not None:
                return found
    elif isinstance(parsed, bool) and not isinstance(raw, bool):
        return path, raw, "a JSON boolean (true or false, not in quotes)"
    elif isinstance(parsed, int | float) and isinstance(raw, str):
        return path, raw, "a JSON number (not in quotes)"
    return None


def _refuse_coerced(raw: Any, parsed: Any, where: str, source: str) -> None:
    """FHIR JSON types are strict: a number or boolean written as a string is invalid FHIR, not
    something to read as the number (the models would accept it)."""
    found = _coerced(raw, parsed, where)
    if found is not None:
        path, value, accepted = found
        raise UserInputError(path, value, accepted, source=source, problem="invalid FHIR")


def _request_text(entry: Mapping[str, Any]) -> str:
    request = entry.get("request")
    if isinstance(request, Mapping):
        return f"request {request.get('method', '?')} {request.get('url', '?')}"
    response = entry.get("response")
    status = response.get("status", "?") if isinstance(response, Mapping) else "?"
    return f"response {status}"


def _validation_error(exc: Exception, where: str, source: str) -> UserInputError:
    errors = exc.errors() if hasattr(exc, "errors") else []
    if errors:
        first = errors[0]
        loc = ".".join(str(part) for part in first.get("loc", ()))
        message = " ".join(str(first.get("msg", "")).split())
        return UserInputError(f"{where}.{loc}" if loc else where, first.get("input"),
                              message or "a value valid for FHIR R4", source=source,
                              problem="invalid FHIR")
    return UserInputError(where, str(exc)[:80], "a valid FHIR R4 resource", source=source,
                          problem="invalid FHIR")


# --------------------------------------------------------------------------------------------------
# Reading JSON-form resources
# --------------------------------------------------------------------------------------------------


def _text_of(element: Mapping[str, Any] | None, key: str) -> str | None:
    """A string element (also one written as the text-as-json extension), or None."""
    if not element:
        return None
    if key in element:
        return str(element[key])
    primitive = element.get(f"_{key}") or {}
    escaped = next((e for e in primitive.get("extension", ()) if e.get("url") == c.EXT_TEXT_JSON),
                   None)
    if escaped is None:
        return None
    try:
        text = json.loads(str(escaped.get("valueString")))
    except json.JSONDecodeError:
        text = None
    if not isinstance(text, str):
        raise UserInputError(f"_{key}.extension", escaped.get("valueString"),
                             "a JSON string literal", problem="malformed escaped text")
    return text


def _extension(resource: Mapping[str, Any], url: str) -> Mapping[str, Any] | None:
    return next((e for e in resource.get("extension", ()) if e.get("url") == url), None)


def _code_in(concept: Mapping[str, Any] | None, system: str) -> str | None:
    for coding in (concept or {}).get("coding", ()):
        if coding.get("system") == system and coding.get("code") is not None:
            return str(coding["code"])
    return None


def _concept_key(concept: Mapping[str, Any] | None) -> str | None:
    """osteotwin concept of a CodeableConcept: our own coding first, else a known standard code."""
    own = _code_in(concept, c.CS_CONCEPT)
    if own is not None:
        return own
    known = c.concept_by_standard_code()
    for coding in (concept or {}).get("coding", ()):
        key = known.get((str(coding.get("system")), str(coding.get("code"))))
        if key is not None:
            return key
    return None


def _describe(concept: Mapping[str, Any] | None) -> str:
    concept = concept or {}
    codings = [f"{x.get('system', '?')}|{x.get('code', '?')} {x.get('display', '')}".strip()
               for x in concept.get("coding", ())]
    return concept.get("text") or ", ".join(codings) or "no code"


def _day(value: Any) -> Any:
    """The date part of a FHIR date or dateTime (partial dates pass through to be refused)."""
    if isinstance(value, str) and len(value) >= 10 and value[4] == "-" and value[7] == "-":
        return value[:10]
    return value


def _when(data: Mapping[str, Any]) -> Any:
    """An observation's date: effective[x] (dateTime, instant or period start), else issued."""
    period = data.get("effectivePeriod") or {}
    for value in (data.get("effectiveDateTime"), data.get("effectiveInstant"), period.get("start"),
                  data.get("issued")):
        if value is not None:
            return _day(value)
    return None


def _exact(element: Mapping[str, Any], key: str) -> Any:
    """A decimal element; the exact value from osteotwin's ``exact-decimal`` extension where the
    written one is it rounded to 12 significant digits (an edited value wins over a stale one)."""
    value = element.get(key)
    primitive = element.get(f"_{key}")
    if not isinstance(primitive, Mapping) or isinstance(value, bool) \
            or not isinstance(value, int | float):
        return value
    extension = next((e for e in primitive.get("extension", ())
                      if isinstance(e, Mapping) and e.get("url") == c.EXT_EXACT_DECIMAL), None)
    try:
        exact = float(str((extension or {}).get("valueString")))
    except ValueError:
        return value
    if math.isfinite(exact) and math.isclose(exact, value, rel_tol=1e-11):
        return exact
    return value


def _units_disagree(code_unit: str, text_unit: str) -> bool:
    """True if a Quantity's unit text names a different unit than its code (``pg/mL`` for the
    code ``pmol/L``); text that is not a unit osteotwin can parse is not judged."""
    from pint.errors import DimensionalityError

    from osteotwin.units import convert

    text_unit = c.UNIT_OF_UCUM.get(text_unit, text_unit)
    if text_unit.replace(" ", "").lower() == code_unit.replace(" ", "").lower():
        return False
    try:
        return not math.isclose(convert(1.0, text_unit, code_unit), 1.0, rel_tol=1e-9)
    except DimensionalityError:
        return True
    except Exception:  # unit text pint cannot read (e.g. "tablet"): not judged
        return False


def _quantity_doc(q: Mapping[str, Any] | None, where: str = "Quantity") -> dict[str, Any] | None:
    """A patient-file quantity {value, unit} from a FHIR Quantity (UCUM code read back).

    A code from another unit system cannot be checked and is refused; a unit text that names
    another unit than the code (``"unit": "pg/mL", "code": "pmol/L"``) is refused too."""
    if q is None:
        return None
    code, system, text = q.get("code"), q.get("system"), q.get("unit")
    if code is not None and system is not None and system != c.UCUM:
        raise UserInputError(f"{where}.system", system, f"UCUM units (system {c.UCUM}, code e.g. "
                             "pg/mL, nmol/L, mg, kg)", problem="unit code not from UCUM")
    unit = c.UNIT_OF_UCUM.get(str(code)) if code is not None else None
    if code is not None and text is not None and _units_disagree(unit or str(code), str(text)):
        raise UserInputError(f"{where}.unit", f"unit '{text}', code '{code}'",
                             "unit and code naming the same unit (the code is read)",
                             problem="unit and code disagree")
    return {"value": _exact(q, "value"), "unit": unit or text or code}


def _value_code(resource: Mapping[str, Any]) -> Any:
    """Enumerated value: our own code, else a known standard code's value, else the text."""
    concept = resource.get("valueCodeableConcept")
    if concept is None:
        return resource.get("valueString")
    own = _code_in(concept, c.CS_VALUE)
    if own is not None:
        return own
    key = _concept_key(concept)
    if key is not None and "." in key:
        return key.split(".", 1)[1]
    return concept.get("text")


def _number(resource: Mapping[str, Any]) -> Any:
    if "valueInteger" in resource:
        return resource["valueInteger"]
    if "valueQuantity" in resource:
        return _exact(resource["valueQuantity"], "value")
    return resource.get("valueDecimal")


def _ucum_list(units: Sequence[str]) -> str:
    return ", ".join(c.UCUM_OF.get(unit, unit) for unit in units)


def _stop_of(period: Mapping[str, Any]) -> Any:
    """The patient file's ``stop`` (first day without the drug) from a FHIR Period: its inclusive
    ``end`` plus one day, or osteotwin's ``regimen-stop`` extension (a stop on the start day)."""
    primitive = period.get("_end")
    if isinstance(primitive, Mapping):
        marker = next((e for e in primitive.get("extension", ())
                       if isinstance(e, Mapping) and e.get("url") == c.EXT_REGIMEN_STOP), None)
        if marker is not None and marker.get("valueDate") is not None:
            return marker["valueDate"]
    end = period.get("end")
    if end is None:
        return None
    day = _day(end)
    try:
        return (date.fromisoformat(str(day)) + timedelta(days=1)).isoformat()
    except (TypeError, ValueError, OverflowError):
        return day  # a partial date: refused by the patient-file reader, by name


def _value_quantity(resource: _Resource, path: str) -> Mapping[str, Any] | None:
    """The Observation's valueQuantity; a value of another type (valueString "20 pg/mL") is refused
    by name rather than read as missing."""
    data = resource.data
    if "valueQuantity" in data:
        quantity: Mapping[str, Any] = data["valueQuantity"]
        return quantity
    other = next((key for key in data if key.startswith("value")), None)
    if other is not None:
        raise UserInputError(f"{resource.label}: {path}", data[other],
                             "valueQuantity with a number and a UCUM unit, e.g. {\"value\": 20, "
                             "\"unit\": \"pg/mL\", \"system\": \"http://unitsofmeasure.org\", "
                             "\"code\": \"pg/mL\"}",
                             problem=f"a quantity is needed, {other} given")
    return None


_HISTORY_SUFFIX = re.compile(r"/_history/[^/]*$")


def _local_reference(reference: str) -> str:
    """``Type/id`` of a relative or absolute RESTful reference (version dropped), else as given."""
    plain = _HISTORY_SUFFIX.sub("", reference)
    match = re.search(r"(?:^|/)([A-Z][A-Za-z]+/[A-Za-z0-9\-.]{1,64})$", plain)
    return match.group(1) if match else plain


_FEMORAL_NECK_WORDS = re.compile(r"\bfemoral\s+neck\b|\bneck\s+of\s+(?:the\s+)?(?:left\s+|right\s+)?"
                                 r"femur\b", re.IGNORECASE)
_HIP_WORDS = re.compile(r"\bhips?\b", re.IGNORECASE)


def _body_site(concept: Mapping[str, Any] | None) -> str | None:
    """The DXA site a bodySite names in words (its text, else a coding's display: "Left total
    hip", "Neck of femur"): ``femoral_neck`` or ``total_hip`` (a hip without "neck"), else None.
    SNOMED CT codes are read through their display text."""
    concept = concept or {}
    texts = [concept.get("text"), *(x.get("display") for x in concept.get("coding", ()))]
    for text in (str(t) for t in texts if t):
        if _FEMORAL_NECK_WORDS.search(text):
            return "femoral_neck"
        if _HIP_WORDS.search(text) and "neck" not in text.lower():
            return "total_hip"
    return None


def _hand_over(a: dict[str, Any], b: dict[str, Any]) -> None:
    """A dosage whose inclusive FHIR end is the day the next one starts (``end`` 2023-06-01, next
    ``start`` 2023-06-01, a common way to write a dose change) hands that day over: its stop (end +
    1 day) becomes the next start, so the two do not overlap."""
    try:
        handover = date.fromisoformat(str(b.get("start"))) + timedelta(days=1)
    except (TypeError, ValueError, OverflowError):
        return
    if a.get("stop") == handover.isoformat() \
            and (a.get("start") is None or str(a["start"]) < str(b["start"])):
        a["stop"] = str(b["start"])


@dataclass
class _Scan:
    date: Any
    site: Any
    device: str | None
    values: dict[str, Any] = field(default_factory=dict)


class _Reader:
    """Builds a patient file v1 document from JSON-form resources, remembering each field's origin."""

    def __init__(self, resources: list[_Resource], notes: list[str] | None = None) -> None:
        self.resources = resources
        self.skipped: list[str] = list(notes or ())
        self.outputs: list[ModelOutput] = []
        self.origins: dict[str, str] = {}
        self.doc: dict[str, Any] = {"version": 1}
        self.patient: dict[str, Any] = {}
        self.history: dict[str, Any] = {}
        self.lifestyle: dict[str, Any] = {}
        self.medications: list[dict[str, Any]] = []
        self.labs: list[dict[str, Any]] = []
        self.scans: list[_Scan] = []
        self.vitals: dict[str, tuple[str, str, dict[str, Any] | None]] = {}
        self.by_url = {r.full_url: r for r in resources if r.full_url}
        self.by_url.update({f"{r.kind}/{r.data['id']}": r for r in resources if "id" in r.data})
        self.patient_refs: set[str] = set()
        self.patient_ids: set[tuple[str, str]] = set()

    def _lookup(self, reference: Any) -> _Resource | None:
        """The bundle resource a reference points to (fullUrl, ``Type/id`` or an absolute URL)."""
        if not isinstance(reference, str):
            return None
        return self.by_url.get(reference) or self.by_url.get(_local_reference(reference))
    def origin_of(self, field_path: str) -> str:
        """The bundle entry a patient-file field came from (longest matching prefix)."""
        best = ""
        for prefix in self.origins:
            if (field_path == prefix or field_path.startswith((prefix + ".", prefix + "["))) \
                    and len(prefix) > len(best):
                best = prefix
        return self.origins.get(best, "Bundle")

    def reference_day(self) -> str:
        """The day the record is read on (ISO): its ``as_of`` (osteotwin's extension), else today."""
        return str(self.doc.get("as_of") or date.today().isoformat())

    def _note(self, path: str, resource: _Resource) -> None:
        self.origins[path] = resource.label

    def document(self) -> dict[str, Any]:
        patients = [r for r in self.resources if r.kind == "Patient"]
        if len(patients) != 1:
            raise UserInputError("Bundle.entry", f"{len(patients)} Patient resources",
                                 "exactly one Patient resource", problem="no single patient")
        self._patient(patients[0])
        members = self._panel_members()
        used = self._referenced_medications()
        handlers = {"Observation": self._observation, "MedicationStatement": self._medication,
                    "Condition": self._condition, "RiskAssessment": self._risk}
        for resource in self.resources:
            if resource.kind in _PATIENT_DATA:
                self._check_subject(resource)
            if resource.kind == "Patient" or resource.label in members | used:
                continue
            if resource.data.get("status") in _SKIP_STATUSES:
                self.skipped.append(f"{resource.label}: status {resource.data['status']}")
                continue
            if resource.kind == "Observation" and not self._final(resource):
                continue
            handler = handlers.get(resource.kind)
            if handler is None:
                self.skipped.append(f"{resource.label}: no place in the patient file")
            else:
                handler(resource)
        for name, (_, label, value) in self.vitals.items():
            self.patient[name] = value
            self.origins[f"patient.{name}"] = label
        self.doc["patient"] = self.patient
        self.doc["history"] = self.history
        self.doc["medications"] = self.medications
        self.doc["labs"] = self.labs
        self.doc["dxa"] = [self._scan_doc(scan) for scan in self.scans]
        self.doc["lifestyle"] = self.lifestyle
        return self.doc

    # -- Whose data, and how sure --------------------------------------------------------------

    def _refers_to_patient(self, ref: Mapping[str, Any]) -> bool | None:
        """True/False if a Reference does/does not point to the bundle's Patient; None if it says
        neither (no reference, no identifier)."""
        reference = ref.get("reference")
        if isinstance(reference, str):
            return reference in self.patient_refs \
                or _local_reference(reference) in self.patient_refs
        identifier = ref.get("identifier")
        if isinstance(identifier, Mapping) and identifier.get("value") is not None:
            key = (str(identifier.get("system", "")), str(identifier["value"]))
            return key in self.patient_ids
        return None

    def _check_subject(self, resource: _Resource) -> None:
        """Refuse data about another person: never attribute it to this bundle's patient."""
        for key in ("subject", "patient"):
            ref = resource.data.get(key)
            if isinstance(ref, Mapping) and self._refers_to_patient(ref) is False:
                shown = ref.get("reference") or ref.get("identifier")
                ours = ", ".join(sorted(self.patient_refs)) or "the Patient has no id or fullUrl"
                raise UserInputError(
                    f"{resource.label}.{key}", shown,
                    f"a reference to this bundle's Patient ({ours}); a bundle holds one person's "
                    "data", problem="refers to another patient")

    def _final(self, resource: _Resource) -> bool:
        """Only final results are imported; preliminary, registered etc. are listed."""
        status = resource.data.get("status")
        if status in _OBSERVATION_STATUSES:
            return True
        self.skipped.append(f"{resource.label}: status {status} (only "
                            f"{', '.join(_OBSERVATION_STATUSES)} results are imported)")
        return False

    # -- Patient ---------------------------------------------------------------------------------

    def _patient(self, resource: _Resource) -> None:
        data = resource.data
        for path in ("patient", "version", "as_of", "extra"):
            self._note(path, resource)
        if resource.full_url:
            self.patient_refs.update({resource.full_url, _local_reference(resource.full_url)})
        if data.get("id") is not None:
            self.patient_refs.add(f"Patient/{data['id']}")
        for identifier in data.get("identifier", ()):
            if identifier.get("value") is not None:
                self.patient_ids.add((str(identifier.get("system", "")), str(identifier["value"])))
        self.patient["sex"] = data.get("gender")
        self.patient["birth_date"] = data.get("birthDate")
        version = _extension(data, c.EXT_RECORD_VERSION)
        if version is not None:
            self.doc["version"] = version.get("valueInteger")
        as_of = _extension(data, c.EXT_AS_OF)
        if as_of is not None:
            self.doc["as_of"] = as_of.get("valueDate")
        extra = _extension(data, c.EXT_EXTRA)
        if extra is not None:
            try:
                self.doc["extra"] = json.loads(str(extra.get("valueString")))
            except json.JSONDecodeError as exc:
                raise UserInputError(f"{resource.label}.extension({c.EXT_EXTRA})",
                                     extra.get("valueString"), "a JSON object",
                                     problem="malformed JSON") from exc
        identifiers = data.get("identifier", [])
        ours = next((i for i in identifiers if i.get("system") == c.CS_PATIENT_ID), None)
        if ours is not None:
            self.patient["id"] = _text_of(ours, "value")
        elif version is None:  # written by another system
            self._foreign_identifiers(resource, identifiers)

    def _foreign_identifiers(self, resource: _Resource, identifiers: list[Any]) -> None:
        """Another system's Patient: its identifiers are kept with their systems (``extra``,
        ``c.IDENTIFIERS_KEY``; exported again as they were), except national ones (``c.sensitive``:
        a social-security or passport number is not osteotwin's to keep), which are noted by
        system only. ``patient.id`` is the medical record number (type MR), else the first other
        identifier kept, else the resource id; a note says which."""
        kept = [i for i in identifiers if i.get("value") and not c.sensitive_identifier(i)]
        for identifier in identifiers:
            if identifier.get("value") and c.sensitive_identifier(identifier):
                self.skipped.append(
                    f"{resource.label}.identifier: a national identifier "
                    f"({identifier.get('system') or c.identifier_type(identifier)}) is not kept "
                    "and not used as the record's id")
        chosen = next((i for i in kept if c.identifier_type(i) == "MR"), kept[0] if kept else None)
        if kept:
            documented = self.doc.setdefault("extra", {})
            if isinstance(documented, dict):
                documented[c.IDENTIFIERS_KEY] = [c.identifier_doc(i) for i in kept]
        if chosen is not None:
            self.patient["id"] = chosen["value"]
            self.skipped.append(f"{resource.label}: patient.id is the identifier "
                                f"{chosen.get('system') or '(no system)'}|{chosen['value']}; all "
                                f"{len(kept)} kept with their systems under extra.{c.IDENTIFIERS_KEY}")
        else:
            self.patient["id"] = resource.data.get("id")
            if identifiers and self.patient["id"] is not None:
                self.skipped.append(f"{resource.label}: patient.id is the Patient resource id "
                                    f"{self.patient['id']!r} (no identifier osteotwin keeps)")

    # -- Observations ----------------------------------------------------------------------------

    def _panel_members(self) -> set[str]:
        members = set()
        for resource in self.resources:
            if resource.kind == "Observation" and _concept_key(resource.data.get("code")) == "dxa.scan":
                for ref in resource.data.get("hasMember", ()):
                    target = self._lookup(ref.get("reference"))
                    if target is not None:
                        members.add(target.label)
        return members

    def _observation(self, resource: _Resource) -> None:
        data = resource.data
        key = _concept_key(data.get("code"))
        if key is None:
            self.skipped.append(f"{resource.label}: observation not recognised "
                                f"({_describe(data.get('code'))})")
            return
        group, _, name = key.partition(".")
        if "dataAbsentReason" in data and not any(k.startswith("value") for k in data) \
                and key != "dxa.scan":
            reason = _describe(data["dataAbsentReason"])
            self.skipped.append(f"{resource.label}: {key} has no value ({reason})")
            return
        if key in ("patient.height", "patient.weight"):
            self._vital(name, resource)
        elif key == "patient.menopausal_status":
            self._note("patient.menopausal_status", resource)
            self.patient["menopausal_status"] = _value_code(data)
        elif key == "history.smoking":
            smoking = self._smoking(resource)
            if smoking is not None:
                self._note("history.smoking", resource)
                self.history["smoking"] = smoking
        elif group == "history":
            if self._bound(resource, key):
                return
            self._note(f"history.{name}", resource)
            self.history[name] = _number(data)
        elif group == "lab":
            self._lab(name, resource)
        elif key == "dxa.scan":
            self._panel(resource)
        elif group == "dxa":
            self._standalone_measure(key, resource)
        elif group == "lifestyle":
            self._lifestyle(name, resource)
        else:
            self.skipped.append(f"{resource.label}: observation {key} has no place in the file")

    def _smoking(self, resource: _Resource) -> str | None:
        """history.smoking from osteotwin's value code, a US Core SNOMED CT code, or text naming
        never/former/current; "unknown if ever smoked" and anything else are listed, not set."""
        from osteotwin.records.patient import SMOKING

        data = resource.data
        concept = data.get("valueCodeableConcept")
        if concept is None:
            text = data.get("valueString")
            concept = {"text": text} if isinstance(text, str) else {}
        own = _code_in(concept, c.CS_VALUE)
        if own is not None:
            return own
        for coding in concept.get("coding", ()):
            if coding.get("system") == c.SNOMED and str(coding.get("code")) in c.SMOKING_OF_SNOMED:
                return c.SMOKING_OF_SNOMED[str(coding["code"])]
        known = _code_in(concept, c.SNOMED) in c.SMOKING_UNKNOWN_SNOMED
        text = str(concept.get("text") or "").strip().lower()
        if text in SMOKING and not known:
            return text
        why = "unknown if ever smoked" if known else (
            "not a smoking status osteotwin knows (US Core SNOMED CT codes, or never, former, "
            "current)")
        self.skipped.append(f"{resource.label}: history.smoking {_describe(concept)!r}: {why}; "
                            "left unset")
        return None

    def _measured(self, resource: _Resource, value_path: str, unit_path: str | None,
                  units: Sequence[str]) -> dict[str, Any]:
        """The Observation's valueQuantity as {value, unit}; a missing value or unit is refused
        naming the FHIR element and the units accepted (``units``, osteotwin spelling)."""
        accepted = _ucum_list(units)
        q = _value_quantity(resource, value_path)
        if q is None:
            raise UserInputError(f"{resource.label}.valueQuantity: {value_path}", None,
                                 f"valueQuantity with a value and a UCUM unit code ({accepted})",
                                 problem="no result value")
        doc = _quantity_doc(q, f"{resource.label}.valueQuantity") or {}
        if doc.get("value") is None:
            raise UserInputError(f"{resource.label}.valueQuantity.value: {value_path}", None,
                                 "a number", problem="no result value")
        if unit_path is not None and doc.get("unit") is None:
            raise UserInputError(f"{resource.label}.valueQuantity.code: {unit_path}", None,
                                 f"a UCUM unit code (system {c.UCUM}): {accepted}",
                                 problem="no unit")
        return doc

    def _dated(self, resource: _Resource, path: str) -> Any:
        when = _when(resource.data)
        if when is None:
            raise UserInputError(f"{resource.label}.effectiveDateTime: {path}", None,
                                 "effectiveDateTime, effectiveInstant, effectivePeriod.start or "
                                 "issued: a full date (YYYY-MM-DD)", problem="no result date")
        return when

    def _vital(self, name: str, resource: _Resource) -> None:
        """Height and weight: the latest observation wins (other systems may send several)."""
        if self._bound(resource, name):
            return
        when = str(_when(resource.data) or "")
        previous = self.vitals.get(name)
        if previous is not None and when < previous[0]:
            self.skipped.append(f"{resource.label}: {name} superseded by a later one")
            return
        if previous is not None:
            self.skipped.append(f"{previous[1]}: {name} superseded by a later one")
        units = ("cm", "m", "[in_i]") if name == "height" else ("kg", "g", "[lb_av]")
        self.vitals[name] = (when, resource.label, self._measured(
            resource, f"patient.{name}", f"patient.{name}", units))

    def _lab(self, test: str, resource: _Resource) -> None:
        from osteotwin.units import LAB_SPECS

        data = resource.data
        if self._bound(resource, test):
            return
        path = f"labs[{len(self.labs)}]"
        self._note(path, resource)
        spec = LAB_SPECS.get(test)
        q = self._measured(resource, f"{path}.value", f"{path}.unit",
                           spec.units if spec is not None else ())
        reported = _extension(data, c.EXT_REPORTED_QUANTITY)
        if reported is not None and isinstance(reported.get("valueQuantity"), Mapping):
            q = self._reported(test, resource, q, reported["valueQuantity"], path)
        lab: dict[str, Any] = {"test": test, "value": q.get("value"), "unit": q.get("unit"),
                               "date": self._dated(resource, f"{path}.date")}
        method = _text_of(data.get("method"), "text")
        if method is None and data.get("method"):
            method = _describe(data.get("method"))
        if method is not None:
            lab["method"] = method
        twin = next((i for i, other in enumerate(self.labs) if other == lab), None)
        if twin is not None and _code_in(data.get("code"), c.CS_CONCEPT) is None:
            # another system's repeat (osteotwin's own bundles keep a file's repeats as they are)
            del self.origins[path]
            self.skipped.append(f"{resource.label}: repeats {self.origins[f'labs[{twin}]']} "
                                f"({test} {lab['value']} {lab['unit']} on {lab['date']}); left out")
            return
        self.labs.append(lab)

    def _bound(self, resource: _Resource, what: str) -> bool:
        """Whether the Observation's valueQuantity has a comparator (an R4 modifier element):
        ``<5 pg/mL`` is a bound, not the value 5, and no field of the patient file holds a bound,
        so it is noted and not imported."""
        quantity = resource.data.get("valueQuantity") or {}
        comparator = quantity.get("comparator")
        if comparator is None:
            return False
        unit = str(quantity.get("code") or quantity.get("unit") or "")
        unit = "" if unit == "1" else unit  # a score has no unit
        self.skipped.append(f"{resource.label}: {what} {comparator}{quantity.get('value')} "
                            f"{unit}".rstrip() + " is a bound, not a value; not imported")
        return True

    def _reported(self, test: str, resource: _Resource, converted: dict[str, Any],
                  reported: Mapping[str, Any], path: str) -> dict[str, Any]:
        """The result as reported (osteotwin's ``reported-quantity``: valueQuantity holds it
        converted to a unit with a standard code); refused if the two disagree."""
        from osteotwin.units import convert_lab

        where = f"{resource.label}.extension({c.EXT_REPORTED_QUANTITY})"
        doc = _quantity_doc(reported, f"{where}.valueQuantity") or {}
        try:
            a = convert_lab(test, float(doc["value"]), str(doc["unit"]), field=path)
            b = convert_lab(test, float(converted["value"]), str(converted["unit"]), field=path)
        except (TypeError, ValueError) as exc:
            if isinstance(exc, UserInputError):
                raise UserInputError(f"{where}: {exc.field}", exc.value, exc.accepted,
                                     problem=exc.problem) from None
            raise UserInputError(where, reported, "a value and unit as reported",
                                 problem="malformed reported result") from None
        if not math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-12):
            raise UserInputError(
                where, f"{doc['value']} {doc['unit']} reported, {converted['value']} "
                f"{converted['unit']} in valueQuantity", "the reported result and valueQuantity "
                "giving the same amount", problem="reported result and value disagree")
        return doc

    def _site(self, resource: _Resource, key: str | None) -> str | None:
        """The DXA site of an Observation: osteotwin's site coding on bodySite, else the site of
        its code. LOINC has no femoral-neck code: the DXA Femur codes (24701-5, 38263-0, 80934-3)
        name the site only with a bodySite (``_body_site``); None, and a note, where it
        names none."""
        data = resource.data
        own = _code_in(data.get("bodySite"), c.CS_SITE)
        if own is not None or key is None or key.count(".") != 2:
            return own
        if key.split(".")[1] != "femoral_neck" or _code_in(data.get("code"), c.CS_CONCEPT):
            return key.split(".")[1]
        site = _body_site(data.get("bodySite"))
        if site is None:
            shown = _describe(data["bodySite"]) if data.get("bodySite") else "no bodySite"
            self.skipped.append(
                f"{resource.label}: a DXA Femur code ({_describe(data.get('code'))}) with "
                f"{shown!r}: which site (femoral neck or total hip) is not said; not imported (a "
                "bodySite naming the femoral neck or the total hip is needed)")
        return site

    def _panel(self, resource: _Resource) -> None:
        data = resource.data
        index = len(self.scans)
        self._note(f"dxa[{index}]", resource)
        scan = _Scan(self._dated(resource, f"dxa[{index}].date"),
                     self._site(resource, None), _text_of(data.get("device"), "display"))
        left_out = False
        for ref in data.get("hasMember", ()):
            member = self._lookup(ref.get("reference"))
            if member is None:
                raise UserInputError(f"{resource.label}.hasMember", ref.get("reference"),
                                     "a reference to an Observation in this bundle",
                                     problem="unresolved reference")
            self._check_subject(member)
            key = _concept_key(member.data.get("code"))
            if key is None or key.count(".") != 2:
                self.skipped.append(f"{member.label}: DXA member not recognised")
                continue
            site = scan.site
            if not self._final(member) or self._bound(member, key) \
                    or (site is None and (site := self._site(member, key)) is None):
                left_out = True
                continue
            scan.site = site
            measure = key.split(".")[2]
            scan.values[measure] = self._dxa_value(member, index, measure)
        if left_out and not scan.values:
            del self.origins[f"dxa[{index}]"]
            self.skipped.append(f"{resource.label}: DXA scan with none of its results imported; "
                                "left out")
            return
        self.scans.append(scan)

    def _dxa_value(self, resource: _Resource, index: int, measure: str) -> dict[str, Any]:
        path = f"dxa[{index}].{measure}"
        if measure == "bmd":
            return self._measured(resource, path, path, ("g/cm2", "mg/cm2"))
        return self._measured(resource, path, None, ("1",))

    def _standalone_measure(self, key: str, resource: _Resource) -> None:
        """DXA results sent one per Observation (no panel): grouped by date, site and device; a
        result repeating one already read (same site, date, device, measure and value) is noted
        and left out."""
        data = resource.data
        measure = key.split(".")[2]
        site = None if self._bound(resource, key) else self._site(resource, key)
        if site is None:
            return
        when = self._dated(resource, f"dxa[{len(self.scans)}].date")
        device = _text_of(data.get("device"), "display")
        same = [i for i, s in enumerate(self.scans)
                if (s.date, s.site, s.device) == (when, site, device)]
        value = self._dxa_value(resource, same[0] if same else len(self.scans), measure)
        twin = next((i for i in same if self.scans[i].values.get(measure) == value), None)
        if twin is not None:
            self.skipped.append(f"{resource.label}: repeats the {measure.replace('_', '-')} of "
                                f"{self.origins[f'dxa[{twin}]']} ({site}, {when}); left out")
            return
        index = next((i for i in same if measure not in self.scans[i].values), len(self.scans))
        if index == len(self.scans):
            self._note(f"dxa[{index}]", resource)
            self.scans.append(_Scan(when, site, device))
        self.scans[index].values[measure] = value

    @staticmethod
    def _scan_doc(scan: _Scan) -> dict[str, Any]:
        doc: dict[str, Any] = {"date": scan.date, "site": scan.site}
        for measure, q in scan.values.items():
            if measure == "bmd":
                doc["bmd"] = q
            else:
                doc[measure] = q.get("value") if q else None
        if scan.device is not None:
            doc["device"] = scan.device
        return doc

    def _lifestyle(self, name: str, resource: _Resource) -> None:
        data = resource.data
        if name == "food_exclusion":
            exclusions = self.lifestyle.setdefault("food_exclusions", [])
            self._note(f"lifestyle.food_exclusions[{len(exclusions)}]", resource)
            exclusions.append(_value_code(data))
            return
        if self._bound(resource, f"lifestyle.{name}"):
            return
        self._note(f"lifestyle.{name}", resource)
        if name in _LIFESTYLE_QUANTITIES:
            self.lifestyle[name] = _quantity_doc(_value_quantity(resource, f"lifestyle.{name}"),
                                                 f"{resource.label}.valueQuantity")
        elif name in _LIFESTYLE_NUMBERS:
            self.lifestyle[name] = _number(data)
        elif name in _LIFESTYLE_CHOICES:
            self.lifestyle[name] = _value_code(data)
        else:
            self.skipped.append(f"{resource.label}: lifestyle.{name} has no place in the file")

    # -- Medications, conditions, risk -----------------------------------------------------------

    def _referenced_medications(self) -> set[str]:
        """Medication resources read through a MedicationStatement's medicationReference."""
        used = set()
        for resource in self.resources:
            if resource.kind == "MedicationStatement":
                ref = resource.data.get("medicationReference") or {}
                target = self._lookup(ref.get("reference"))
                if target is not None and target.kind == "Medication":
                    used.add(target.label)
        return used

    def _medication_code(self, resource: _Resource) -> tuple[Mapping[str, Any] | None, str]:
        """The medicine's CodeableConcept (inline, or the referenced Medication's code, in the
        bundle or contained) and where it came from; (None, why) if the reference is unresolved."""
        data = resource.data
        if "medicationCodeableConcept" in data:
            concept: Mapping[str, Any] = data["medicationCodeableConcept"]
            return concept, ""
        ref = data.get("medicationReference") or {}
        reference = ref.get("reference")
        if isinstance(reference, str) and reference.startswith("#"):
            target = next((r for r in data.get("contained", ())
                           if r.get("resourceType") == "Medication"
                           and r.get("id") == reference[1:]), None)
            if target is not None:
                return target.get("code") or {}, f" from contained Medication {reference}"
        else:
            found = self._lookup(reference)
            if found is not None and found.kind == "Medication":
                return found.data.get("code") or {}, f" from {found.label}"
        shown = reference or ref.get("display") or "no reference"
        return None, (f"medicationReference '{shown}' does not resolve to a Medication in this "
                      "bundle (or contained), so the medicine is unknown")

    @staticmethod
    def _drug(concept: Mapping[str, Any], origin: str) -> tuple[str | None, str | None]:
        """osteotwin's drug for a medicine's CodeableConcept and, when it was read from an RxNorm
        product code or by name, how (for the import notes): osteotwin's drug code, a known
        ingredient code, a known RxNorm product (SCD) code, else an RxNorm concept whose display or
        text names exactly one drug of the list (combinations are not matched)."""
        drug = _code_in(concept, c.CS_DRUG)
        if drug is not None:
            return drug, None
        key = _concept_key(concept)
        if key is not None and key.startswith("drug."):
            return key.split(".", 1)[1], None
        rxnorm = [coding for coding in concept.get("coding", ())
                  if coding.get("system") == c.RXNORM and coding.get("code") is not None]
        for coding in rxnorm:
            product = c.RXNORM_PRODUCTS.get(str(coding["code"]))
            if product is not None:
                return product[0], (f"RxNorm product {coding['code']} ({product[1]}) read as "
                                    f"{product[0]}")
        if not rxnorm:
            return None, None
        names = [str(text) for text in (*(x.get("display") for x in rxnorm), concept.get("text"))
                 if text]
        if any(re.search(c.COMBINATION_NAME, name.lower()) for name in names):
            return None, None  # a combination product under any of its names: never one drug
        found = {drug for name in names
                 for drug, pattern in c.DRUG_NAME_PATTERNS if re.search(pattern, name.lower())}
        if len(found) != 1:
            return None, None
        [drug] = found
        codes = ", ".join(str(x["code"]) for x in rxnorm)
        shown = next(name for name in names
                     if any(re.search(p, name.lower()) for d, p in c.DRUG_NAME_PATTERNS if d == drug))
        return drug, (f"medicine matched by name: '{shown}' read as {drug} (RxNorm {codes} is not a "
                      f"code osteotwin knows{origin}); check it")

    def _medication(self, resource: _Resource) -> None:
        data = resource.data
        concept, origin = self._medication_code(resource)
        if concept is None:
            self.skipped.append(f"{resource.label}: {origin}")
            return
        drug, how = self._drug(concept, origin)
        if drug is None:
            self.skipped.append(f"{resource.label}: medication not in osteotwin's drug list "
                                f"({_describe(concept)}{origin})")
            return
        dosages = data.get("dosage") or [{}]
        status = data.get("status")
        if _code_in(data.get("category"), c.CS_MEDICATION_KIND) == "supplement":
            if status in (*_NOT_TAKEN_NOW, "intended"):
                self.skipped.append(f"{resource.label}: supplement with status {status}: not taken "
                                    "now, and lifestyle.supplements holds what is taken; not imported")
                return
            supplements = self.lifestyle.setdefault("supplements", [])
            self._note(f"lifestyle.supplements[{len(supplements)}]", resource)
            supplements.append({"name": drug, "dose": _quantity_doc(
                self._dose_quantity(resource, dosages[0], 0),
                f"{resource.label}.dosage[0].doseAndRate[0]")})
            for i in range(1, len(dosages)):
                self.skipped.append(f"{resource.label}.dosage[{i}]: a supplement has one daily "
                                    "dose; only dosage[0] is imported")
            return
        regimens = [self._regimen(resource, drug, dosage, i, len(dosages))
                    for i, dosage in enumerate(dosages)]
        self._check_dosages_apart(resource, dosages, regimens)
        if how is not None:
            undosed = "" if all("dose" in med for med in regimens) else \
                "; no dose stated, and the strength in the product name is not taken as the dose"
            self.skipped.append(f"{resource.label}: {how}{undosed}")
        # osteotwin's own statements (its category coding): status is derived from the dates on
        # the export date, so the dates say it all
        stated = None if _code_in(data.get("category"), c.CS_MEDICATION_KIND) else status
        for i, med in enumerate(regimens):
            label = resource.label if len(dosages) == 1 else f"{resource.label}.dosage[{i}]"
            if not self._taken_as_stated(label, stated, _day(data.get("dateAsserted")), med):
                continue
            self.origins[f"medications[{len(self.medications)}]"] = label
            self.medications.append(med)

    def _taken_as_stated(self, label: str, status: Any, asserted: Any, med: dict[str, Any]) -> bool:
        """Whether a regimen is imported, as MedicationStatement.status (an R4 modifier element)
        says it is taken; ``med`` may be given its stop. ``stopped``, ``completed`` and
        ``on-hold`` are not taken now: a regimen without an end date by ``dateAsserted`` (else
        the record's date) is recorded as stopped on ``dateAsserted`` (the latest it can have
        stopped), and without one it is not imported, as its stop is unknown. ``intended`` is
        planned: imported only with a start after the record's date, else not. Each case is
        noted."""
        if status == "intended":
            start, day = med.get("start"), self.reference_day()
            if start is not None and str(start) > day:
                return True
            when = "no start date" if start is None else f"a start on {start}, not after {day}"
            self.skipped.append(f"{label}: status intended (planned, not yet taken) with {when}: "
                                "not a current medicine; not imported (add it once it starts)")
            return False
        if status == "unknown":
            self.skipped.append(f"{label}: status unknown: imported as its dates say; check that "
                                "it is taken")
        if status not in _NOT_TAKEN_NOW:
            return True
        stop = med.get("stop")
        if stop is not None and str(stop) <= str(asserted or self.reference_day()):
            return True  # its end date says when it stopped
        if asserted is None:
            ends = "no end date" if stop is None else f"an end after {self.reference_day()}"
            self.skipped.append(f"{label}: status {status} (not taken now) with {ends} and no "
                                "dateAsserted: when it stopped is unknown; not imported (add it "
                                "with its stop date)")
            return False
        start = med.get("start")
        if start is not None and str(start) >= str(asserted):
            self.skipped.append(f"{label}: status {status} on {asserted} (dateAsserted), not after "
                                f"its start on {start}: never taken; not imported")
            return False
        med["stop"] = asserted
        self.skipped.append(f"{label}: status {status} without an end date by {asserted}: recorded "
                            f"as stopped on {asserted} (dateAsserted, the latest day it can have "
                            "stopped); check the actual stop date")
        return True

    def _dose_quantity(self, resource: _Resource, dosage: Mapping[str, Any], i: int
                       ) -> Mapping[str, Any] | None:
        """doseAndRate[0]'s doseQuantity or rateQuantity; other forms and further entries listed."""
        rates = dosage.get("doseAndRate") or [{}]
        where = f"{resource.label}.dosage[{i}].doseAndRate"
        for j in range(1, len(rates)):
            self.skipped.append(f"{where}[{j}]: only the first dose of a dosage is imported")
        first = rates[0]
        quantity: Mapping[str, Any] | None = first.get("doseQuantity") or first.get("rateQuantity")
        if quantity is None:
            other = [key for key in ("doseRange", "rateRatio", "rateRange") if key in first]
            if other:
                self.skipped.append(f"{where}[0].{other[0]}: a range or ratio is not a dose the "
                                    "patient file can hold; dose left unknown")
        return quantity

    def _interval(self, resource: _Resource, dosage: Mapping[str, Any], i: int
                  ) -> dict[str, Any] | None:
        """The patient file's ``every`` from Timing (repeat.frequency/period, else Timing.code, else
        several times of day), or None for once a day / not stated (the dose is then per day).

        What could halve or double the dose is refused by name: doses taken as needed, ranges of
        frequency or period (frequencyMax, periodMax), event times, days of the week or times of
        day that do not say how many doses a period has (``period 1 wk, dayOfWeek [mon, thu]``:
        one dose or two?)."""
        where = f"{resource.label}.dosage[{i}]"
        for key in ("asNeededBoolean", "asNeededCodeableConcept"):
            if dosage.get(key) not in (None, False):
                raise UserInputError(
                    f"{where}.{key}", dosage[key], "a regular schedule (timing.repeat or "
                    "timing.code) without asNeeded: osteotwin needs the dose actually taken",
                    problem="dose taken as needed (how much is taken is unknown)")
        timing = dosage.get("timing") or {}
        repeat = timing.get("repeat") or {}
        accepted_codes = ", ".join(c.TIMING_CODE_INTERVAL)
        if timing.get("event"):
            raise UserInputError(f"{where}.timing.event", timing["event"],
                                 "timing.repeat with frequency, period and periodUnit (e.g. period "
                                 f"1, periodUnit a for a yearly infusion) or timing.code "
                                 f"({accepted_codes})", problem="dose times given as events, not "
                                 "a schedule")
        for key in ("frequencyMax", "periodMax"):
            if key in repeat:
                single = key.removesuffix("Max")
                raise UserInputError(f"{where}.timing.repeat.{key}", repeat[key],
                                     f"one {single} (timing.repeat.{single} without {key})",
                                     problem=f"dose {single} given as a range (the dose could "
                                     "differ up to that factor)")
        days = list(repeat.get("dayOfWeek") or ())
        times_key = "timeOfDay" if repeat.get("timeOfDay") else "when"
        times = len(repeat.get(times_key) or ())
        if repeat.get("period") is not None:
            frequency = repeat.get("frequency", 1)
            period = _exact(repeat, "period")
            unit = repeat.get("periodUnit")
            if str(unit) not in c.PERIOD_UNIT:
                raise UserInputError(f"{where}.timing.repeat.periodUnit", unit,
                                     ", ".join(c.PERIOD_UNIT), problem="dose period unit not "
                                     "supported" if unit is not None else "dose period without "
                                     "a unit")
            if days and (unit != "wk" or period != 1 or frequency != len(days)):
                raise UserInputError(
                    f"{where}.timing.repeat.dayOfWeek", days,
                    "days of the week with period 1, periodUnit wk and frequency equal to the "
                    "number of days (frequency 2 for mon, thu), or frequency/period without "
                    "dayOfWeek", problem="doses per week unclear (one dose on one of the days, "
                    "or one each day?)")
            if times > 1 and (unit != "d" or period != 1 or frequency != times):
                raise UserInputError(
                    f"{where}.timing.repeat.{times_key}", repeat[times_key],
                    f"several {times_key} entries with period 1, periodUnit d and frequency equal "
                    f"to their number (frequency {times} for {times}), or without a period",
                    problem="doses per day unclear (frequency and times of day disagree)")
            if len(days) > 1:
                self.skipped.append(
                    f"{where}.timing.repeat.dayOfWeek: {', '.join(map(str, days))} not kept; read "
                    f"as {len(days)} doses a week, every {7 / len(days):g} d on average")
            value = period if frequency == 1 else period / frequency
            return {"value": value, "unit": c.PERIOD_UNIT[str(unit)]}
        code = timing.get("code")
        if code is not None:
            for coding in code.get("coding", ()):
                if coding.get("system") in (*c.GTS_ABBREVIATION, None) \
                        and str(coding.get("code")) in c.TIMING_CODE_INTERVAL:
                    value, unit = c.TIMING_CODE_INTERVAL[str(coding["code"])]
                    return {"value": value, "unit": unit}
            raise UserInputError(f"{where}.timing.code", _describe(code),
                                 f"an HL7 GTSAbbreviation code ({accepted_codes}) or "
                                 "timing.repeat with frequency, period and periodUnit",
                                 problem="dose frequency not understood")
        if days or repeat.get("frequency", 1) != 1:
            raise UserInputError(f"{where}.timing.repeat", repeat,
                                 "frequency with period and periodUnit (e.g. frequency 2, period "
                                 f"1, periodUnit wk), or timing.code ({accepted_codes})",
                                 problem="dose frequency without a period")
        if times > 1:  # times of day without a period: that many doses a day
            return {"value": 24 / times, "unit": "h"}
        return None

    def _regimen(self, resource: _Resource, drug: str, dosage: Mapping[str, Any], i: int,
                 count: int) -> dict[str, Any]:
        data = resource.data
        where = f"{resource.label}.dosage[{i}]"
        med: dict[str, Any] = {"drug": drug}
        timing = dosage.get("timing") or {}
        repeat = timing.get("repeat") or {}
        every = self._interval(resource, dosage, i)
        dose_q = self._dose_quantity(resource, dosage, i)
        if dose_q is not None:
            med["dose"] = _quantity_doc(dose_q, f"{where}.doseAndRate[0]")
            unit = med["dose"].get("unit")
            if every is None and isinstance(unit, str) and unit.endswith("/d"):
                # Without an interval a dose is per day either way (Medication.every_d None); the
                # per-administration reading keeps its wider plausible range (e.g. IU boluses).
                med["dose"]["unit"] = unit.removesuffix("/d")
        route = self._route(dosage.get("route"), where)
        if route is not None:
            med["route"] = route
        if every is not None:
            med["every"] = every
        for key in ("count", "countMax"):
            if key in repeat:
                self.skipped.append(f"{where}.timing.repeat.{key}: {repeat[key]} doses in all is "
                                    "not imported (the regimen runs to its end date, if any)")
        for key in ("boundsDuration", "boundsRange"):
            if key in repeat:
                raise UserInputError(f"{where}.timing.repeat.{key}", repeat[key],
                                     "timing.repeat.boundsPeriod (start and end dates)",
                                     problem="dosage period not as dates")
        period_of_use = data.get("effectivePeriod") or {}
        bounds = repeat.get("boundsPeriod") or {}
        start = bounds.get("start") or period_of_use.get("start") or data.get("effectiveDateTime")
        stop = _stop_of(bounds) if "end" in bounds or "_end" in bounds else _stop_of(period_of_use)
        if start is not None:
            med["start"] = _day(start)
        if stop is not None:
            med["stop"] = stop
        return med

    def _route(self, route: Mapping[str, Any] | None, where: str) -> str | None:
        """osteotwin's route code, a SNOMED CT route, or text naming a route; others listed."""
        if route is None:
            return None
        from osteotwin.records.drugs import ROUTES

        own = _code_in(route, c.CS_ROUTE)
        if own is not None:
            return own
        snomed = _code_in(route, c.SNOMED)
        if snomed in c.ROUTE_OF_SNOMED:
            return c.ROUTE_OF_SNOMED[snomed]
        text = _text_of(route, "text")
        if text is not None and text.strip().lower() in ROUTES:
            return text.strip().lower()
        self.skipped.append(f"{where}.route: {_describe(route)} is not a route osteotwin knows "
                            f"({', '.join(ROUTES)}); the drug's usual route is assumed")
        return None

    def _check_dosages_apart(self, resource: _Resource, dosages: list[Any],
                             regimens: list[dict[str, Any]]) -> None:
        """Several dosages are imported as regimens one after another (a dose change, dated by
        timing.repeat.boundsPeriod) or, with the same Dosage.sequence, taken together; dosages
        that overlap in time without saying which are refused rather than added up or dropped."""
        for j in range(len(regimens)):
            for i in range(len(regimens)):
                if i != j:
                    _hand_over(regimens[i], regimens[j])
        for j in range(1, len(regimens)):
            for i in range(j):
                a, b = regimens[i], regimens[j]
                overlap = (a.get("start") is None or b.get("stop") is None
                           or str(a["start"]) < str(b["stop"])) and \
                          (b.get("start") is None or a.get("stop") is None
                           or str(b["start"]) < str(a["stop"]))
                together = dosages[i].get("sequence") is not None \
                    and dosages[i].get("sequence") == dosages[j].get("sequence")
                if overlap and not together:
                    spans = [f"dosage[{k}] {r.get('start') or '...'} to {r.get('stop') or '...'}"
                             for k, r in ((i, a), (j, b))]
                    raise UserInputError(
                        f"{resource.label}.dosage[{j}]", "; ".join(spans),
                        "dosages one after another with timing.repeat.boundsPeriod that do not "
                        "overlap (a dose change), or the same Dosage.sequence for doses taken "
                        "together", problem="dosages overlap in time (taken together, or one "
                        "replacing the other?)")

    def _condition(self, resource: _Resource) -> None:
        data = resource.data
        kind = None
        for category in data.get("category", ()):
            kind = kind or _code_in(category, c.CS_CONDITION_KIND)
        verification = _code_in(data.get("verificationStatus"), c.CONDITION_VERIFICATION)
        if verification == "entered-in-error":
            self.skipped.append(f"{resource.label}: verificationStatus entered-in-error")
            return
        unsure = verification in UNCONFIRMED_VERIFICATION
        key = _concept_key(data.get("code"))
        if key is not None and key.startswith("history."):
            if unsure:
                self.skipped.append(f"{resource.label}: {key} with verificationStatus "
                                    f"{verification}: not confirmed, so not recorded as true or "
                                    "false; not imported (only confirmed or refuted flags are)")
                return
            self._note(key, resource)
            self.history[key.split(".", 1)[1]] = verification != "refuted"
            return
        if verification == "refuted":
            self.skipped.append(f"{resource.label}: refuted condition")
            return
        conditions = self.history.setdefault("conditions", [])
        self._note(f"history.conditions[{len(conditions)}]", resource)
        text = _text_of(data.get("code"), "text")
        text = text if text is not None or kind == "free-text" else _describe(data.get("code"))
        if verification in UNCONFIRMED_VERIFICATION:
            text = f"{text} {unconfirmed_qualifier(str(verification))}"
            self.skipped.append(f"{resource.label}: verificationStatus {verification}: imported "
                                f"as the text {text!r}, not as a confirmed condition")
        conditions.append(text)

    def _risk(self, resource: _Resource) -> None:
        data = resource.data
        source = _code_in(data.get("method"), c.CS_RISK_SOURCE)
        if source == "model-output":
            try:
                self.outputs.append(model_output_from_resource(data))
            except UserInputError as err:
                raise UserInputError(f"{resource.label}.{err.field}", err.value, err.accepted,
                                     problem=err.problem) from None
            return
        if source != "external" or "fracture_risk_external" in self.doc:
            self.skipped.append(f"{resource.label}: risk assessment not recognised")
            return
        self._note("fracture_risk_external", resource)
        risk: dict[str, Any] = {"tool": _text_of(data.get("method"), "text")}
        for prediction in data.get("prediction", ()):
            outcome = _code_in(prediction.get("outcome"), c.CS_RISK_OUTCOME)
            name = {"major_osteoporotic_fracture": "major_osteoporotic_10y_pct",
                    "hip_fracture": "hip_10y_pct"}.get(str(outcome))
            if name is not None:
                risk[name] = prediction.get("probabilityDecimal")
        if data.get("occurrenceDateTime") is not None:
            risk["date"] = _day(data["occurrenceDateTime"])
        bmd = _extension(data, c.EXT_BMD_INCLUDED)
        if bmd is not None:
            risk["bmd_included"] = bmd.get("valueBoolean")
        country = _extension(data, c.EXT_COUNTRY)
        if country is not None:
            risk["country"] = _text_of(country, "valueString")
            if risk["country"] is None:  # nested text-as-json extension
                risk["country"] = _text_of({"_valueString": country}, "valueString")
        self.doc["fracture_risk_external"] = risk
