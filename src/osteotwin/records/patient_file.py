"""Patient file v1 (spec/patient-file.md): strict YAML/JSON reader and writer.

Unknown fields are refused (except under ``extra``); every quantity needs a unit that fits; values
outside plausible ranges are refused. Errors are ``UserInputError`` naming the field path, the value
and what is accepted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from osteotwin.errors import UserInputError
from osteotwin.records.drugs import (
    DAILY_AVERAGE_LIMITS,
    DOSE_LIMITS,
    ROUTES,
    SUPPLEMENT_UNITS,
    daily_average_problem,
    interval_problem,
    route_problem,
)
from osteotwin.records.fields import (
    boolean,
    choice,
    describe,
    finite_numbers,
    iso_date,
    json_data,
    not_after_as_of,
    not_after_today,
    number,
    optional,
    optional_list,
    plain_text,
    require_mapping,
)
from osteotwin.records.patient import (
    DIET_PATTERNS,
    FOOD_EXCLUSIONS,
    INTENSITIES,
    MENOPAUSAL_STATUSES,
    SEXES,
    SITES,
    SMOKING,
    TRAINING_SETTINGS,
    DxaScan,
    ExternalFractureRisk,
    History,
    LabResult,
    Lifestyle,
    Medication,
    Patient,
    PatientRecord,
    Supplement,
    whole_multiple,
)
from osteotwin.units import (
    DAYS_PER_MONTH,
    DAYS_PER_YEAR,
    LAB_SPECS,
    convert_lab,
    lab_in,
    parse_quantity,
    split_quantity,
)
from osteotwin.vocabulary import drug_names
from osteotwin.yamlio import SafeLoader

MINIMUM_AGE_Y = 18.0  # osteotwin covers adults (AI therapy and TRT are adult treatments)

#: The longest text each free-text field takes: the length of the column it is stored in
#: (``records.storage.models``; a longer value would fail only at the database), or a generous
#: limit for text kept inside a JSON document (history, external fracture risk).
TEXT_LENGTHS: dict[str, int] = {
    "patient.id": 100,  # patients.external_id
    "labs.unit": 32,  # labs.reported_unit
    "labs.method": 64,  # labs.method
    "dxa.device": 64,  # dxa_scans.device
    "history.conditions": 500,  # JSON
    "fracture_risk_external.tool": 500,  # JSON
    "fracture_risk_external.country": 500,  # JSON
}

_TOP = (
    "version",
    "as_of",
    "patient",
    "history",
    "medications",
    "labs",
    "dxa",
    "lifestyle",
    "fracture_risk_external",
    "extra",
)
_PATIENT = ("id", "sex", "birth_date", "height", "weight", "menopausal_status")
_HISTORY_COUNTS = ("prior_fragility_fractures", "falls_last_12_months")
#: ``history.prior_fragility_fractures`` counts fractures after this age (spec/patient-file.md)
FRACTURE_COUNT_FROM_AGE_Y = 50.0
_HISTORY_FLAGS = (
    "glucocorticoids",
    "rheumatoid_arthritis",
    "parent_hip_fracture",
    "vertebral_fracture",
    "breast_cancer",
    "prostate_cancer",
    "hypogonadism",
)
_HISTORY = (*_HISTORY_COUNTS, "smoking", "alcohol_units_per_week", *_HISTORY_FLAGS, "conditions")
_MEDICATION = ("drug", "dose", "route", "every", "start", "stop")
_LAB = ("test", "value", "unit", "date", "method")
_DXA = ("date", "site", "bmd", "t_score", "z_score", "device")
_LIFESTYLE = (
    "dietary_calcium",
    "protein",
    "supplements",
    "resistance_sessions_per_week",
    "resistance_intensity",
    "impact_sessions_per_week",
    "weight_bearing_aerobic_minutes_per_week",
    "sleep_hours",
    "diet_pattern",
    "food_exclusions",
    "training_setting",
)
_FRAX = ("tool", "major_osteoporotic_10y_pct", "hip_10y_pct", "date", "bmd_included", "country")


class _NoDatesLoader(SafeLoader):
    """SafeLoader that keeps ISO dates as strings so that date errors name their field."""


_NoDatesLoader.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in SafeLoader.yaml_implicit_resolvers.items()
}


def read_document(path: str | Path, *, what: str, suffixes: str = ".yaml, .yml or .json") -> Any:
    """Read and parse a YAML or JSON file (strict JSON for ``.json``); errors name the file.

    ``what`` names the document for messages ("patient file", "trial file", "FHIR Bundle file").
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise UserInputError(
            "", str(path), f"an existing {what} ({suffixes})", problem="file not found"
        ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise UserInputError(
            "",
            str(path),
            "a readable UTF-8 YAML or JSON file",
            problem=f"cannot read file ({exc.__class__.__name__})",
        ) from exc
    return parse_text(text, source=str(path), json_only=path.suffix.lower() == ".json")


def load_patient_file(path: str | Path) -> PatientRecord:
    """Read a patient file (YAML or JSON) into a ``PatientRecord``; errors name the file and field.
    A FHIR resource or a virtual-trial file given instead is refused with the command it is for."""
    document = read_document(path, what="patient file")
    other = _other_format(document)
    if other is not None:
        field, value, hint = other
        raise UserInputError(field, value, f"a patient file (spec v1: version, patient, ...); {hint}",
                             problem="not a patient file").with_source(str(path))
    return parse_patient_document(document, source=str(path))


def _other_format(document: Any) -> tuple[str, str, str] | None:
    """(field, value, hint) where ``document`` is recognisably another format: a FHIR resource
    (``resourceType``) or a virtual-trial file (``arms`` and ``endpoints``); None otherwise."""
    if not isinstance(document, Mapping) or "patient" in document:
        return None
    if "resourceType" in document:
        return ("resourceType", str(document["resourceType"]),
                "a FHIR Bundle becomes one with `osteotwin fhir import FILE -o patient.yaml`")
    if "arms" in document and "endpoints" in document:
        return ("arms", "a trial's arms", "a virtual-trial file runs with `osteotwin trial FILE` or "
                "`osteotwin validate FILE`")
    return None


#: Largest parsed document (values counted as they are reached, an alias's each time) and deepest
#: nesting accepted from a user's file: a full record has a few thousand values and depth 5; a
#: few hundred bytes of nested YAML aliases ("billion laughs") reach billions of values.
MAX_DOCUMENT_VALUES = 200_000
MAX_DOCUMENT_DEPTH = 20
#: The free ``extra`` block is kept with the record as it is: at most this many values and depth.
MAX_EXTRA_VALUES = 5_000
MAX_EXTRA_DEPTH = 8
#: ... and each of its texts (keys and values) at most this many characters.
MAX_EXTRA_TEXT = 10_000


def check_size(value: Any, field: str, max_values: int, max_depth: int,
               max_text: int | None = None) -> None:
    """Refuse ``value`` when it holds more than ``max_values`` values or nests deeper than
    ``max_depth`` (or, given ``max_text``, a key or text longer than that), counting shared (aliased)
    parts each time they are reached, and stopping as soon as a limit is passed (so an alias bomb is
    refused without being expanded)."""
    count = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        count += 1
        if count > max_values or depth > max_depth:
            raise UserInputError(
                field, "a nested document" if depth > max_depth else f"more than {max_values:,} values",
                f"at most {max_values:,} values nested at most {max_depth} deep",
                problem="document too large or too deeply nested")
        if max_text is not None:
            long = next((t for t in (item, *(item if isinstance(item, Mapping) else ()))
                         if isinstance(t, str) and len(t) > max_text), None)
            if long is not None:
                raise UserInputError(field, long, f"texts of at most {max_text:,} characters",
                                     problem=f"text of {len(long):,} characters")
        if isinstance(item, Mapping):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list | tuple):
            stack.extend((v, depth + 1) for v in item)


def parse_text(text: str, *, source: str, json_only: bool = False) -> Any:
    """Parse YAML (a superset of JSON) or strict JSON, with a one-line error on syntax problems
    and on documents too large or deep to be a record (``check_size``)."""
    try:
        parsed = json.loads(text) if json_only else yaml.load(text, Loader=_NoDatesLoader)
    except json.JSONDecodeError as exc:
        raise UserInputError(
            f"line {exc.lineno} column {exc.colno}",
            exc.msg,
            "valid JSON",
            source=source,
            problem="malformed JSON",
        ) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1} column {mark.column + 1}" if mark else "document"
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise UserInputError(
            where, problem, "valid YAML", source=source, problem="malformed YAML"
        ) from exc
    except RecursionError:  # a self-referencing or absurdly nested document
        raise UserInputError("document", "nested too deeply", "a patient, trial or FHIR document",
                             source=source, problem="document too deeply nested") from None
    try:
        check_size(parsed, "document", MAX_DOCUMENT_VALUES, MAX_DOCUMENT_DEPTH)
    except UserInputError as err:
        raise err.with_source(source) from None
    return parsed


def parse_patient_document(document: Any, *, source: str = "patient file", stored: bool = False,
                           today: date | None = None) -> PatientRecord:
    """Validate a parsed document (dict) against patient file v1 and convert to canonical units.

    Dates: ``as_of`` may not be after ``today`` (default: the machine's date; no tolerance), and
    lab results and DXA scans may not be after ``as_of`` (else today), since the assessment reads
    only what is dated by then. ``stored``: a record the web app keeps, to which entries are added
    after its ``as_of`` (the app then assesses it on today): results only up to today. NaN and
    infinities are refused wherever they are (``finite_numbers``)."""
    try:
        # ``extra`` is checked as JSON data, non-finite numbers included (``json_data``)
        finite_numbers({k: v for k, v in document.items() if k != "extra"}
                       if isinstance(document, Mapping) else document)
        return _Parser(today or date.today(), stored=stored).record(document)
    except UserInputError as err:
        raise err.with_source(source) from None


# --------------------------------------------------------------------------------------------------


class _Parser:
    """Walks a document, converting each field; ``self.birth`` and ``self.weight`` aid later checks."""

    def __init__(self, today: date, *, stored: bool = False) -> None:
        self.today = today
        self.stored = stored
        self.as_of: date | None = None
        self.birth: date | None = None
        self.weight_kg: float | None = None

    def record(self, doc: Any) -> PatientRecord:
        doc = require_mapping(doc, "", _TOP, unknown_hint=" (or put it under extra:)")
        if "version" not in doc:
            raise UserInputError("version", None, "1", problem="missing field")
        if doc["version"] != 1 or isinstance(doc["version"], bool):
            raise UserInputError("version", doc["version"], "1", problem="unsupported version")
        if "patient" not in doc:
            raise UserInputError(
                "patient", None, "a patient block with sex and birth_date", problem="missing field"
            )
        as_of = optional(doc, "as_of", self._as_of)
        self.as_of = as_of
        patient = self.patient(doc["patient"], as_of)
        extra = doc.get("extra") or {}
        if not isinstance(extra, Mapping):
            raise UserInputError("extra", describe(extra), "a mapping", problem="not a mapping")
        check_size(extra, "extra", MAX_EXTRA_VALUES, MAX_EXTRA_DEPTH, MAX_EXTRA_TEXT)
        json_data(extra, "extra")
        return PatientRecord(
            version=1,
            as_of=as_of,
            patient=patient,
            history=self.history(doc.get("history") or {}, patient.age_on(as_of or self.today)),
            medications=tuple(
                self.medication(m, f"medications[{i}]")
                for i, m in enumerate(optional_list(doc.get("medications"), "medications"))
            ),
            labs=tuple(
                self.lab(x, f"labs[{i}]")
                for i, x in enumerate(optional_list(doc.get("labs"), "labs"))
            ),
            dxa=tuple(
                self.dxa(x, f"dxa[{i}]") for i, x in enumerate(optional_list(doc.get("dxa"), "dxa"))
            ),
            lifestyle=self.lifestyle(doc.get("lifestyle") or {}),
            fracture_risk_external=optional(doc, "fracture_risk_external", self.frax),
            extra=dict(extra),
        )

    def patient(self, raw: Any, as_of: date | None) -> Patient:
        raw = require_mapping(raw, "patient", _PATIENT)
        for key in ("sex", "birth_date"):
            if raw.get(key) is None:
                raise UserInputError(
                    f"patient.{key}",
                    None,
                    "male | female" if key == "sex" else "an ISO date",
                    problem="missing field",
                )
        sex = choice(raw["sex"], "patient.sex", SEXES)
        birth = iso_date(raw["birth_date"], "patient.birth_date")
        reference = as_of or self.today
        if birth >= reference:
            raise UserInputError(
                "patient.birth_date",
                str(birth),
                f"a date before {reference.isoformat()} (as_of or today)",
                problem="birth date not in the past",
            )
        age = (reference - birth).days / 365.25
        if age < MINIMUM_AGE_Y or age > 115:
            raise UserInputError(
                "patient.birth_date",
                str(birth),
                f"an adult aged {MINIMUM_AGE_Y:g} to 115 on {reference}",
                problem="age out of range",
            )
        self.birth = birth
        status = optional(
            raw,
            "menopausal_status",
            lambda v: choice(v, "patient.menopausal_status", MENOPAUSAL_STATUSES),
        )
        if status is not None and sex == "male":
            raise UserInputError(
                "patient.menopausal_status",
                status,
                "null for men",
                problem="menopausal status given for a man",
            )
        self.weight_kg = optional(
            raw, "weight", lambda v: parse_quantity(v, "weight", "patient.weight")
        )
        return Patient(
            id=optional(
                raw, "id", lambda v: plain_text(
                    v, "patient.id", allow_empty=True, max_length=TEXT_LENGTHS["patient.id"],
                    single_line=True,
                )
            ),
            sex=sex,
            birth_date=birth,
            height_cm=optional(
                raw, "height", lambda v: parse_quantity(v, "height", "patient.height")
            ),
            weight_kg=self.weight_kg,
            menopausal_status=status,
        )

    def history(self, raw: Any, age_y: float) -> History:
        raw = require_mapping(raw, "history", _HISTORY)
        values: dict[str, Any] = {}
        for key in _HISTORY_COUNTS:
            count = raw.get(key)
            values[key] = (
                None if count is None else int(number(count, f"history.{key}", 0, 50, integer=True))
            )
        fractures = values["prior_fragility_fractures"]
        if fractures and age_y < FRACTURE_COUNT_FROM_AGE_Y:
            raise UserInputError(
                "history.prior_fragility_fractures",
                fractures,
                f"0 or none at age {age_y:.0f}: the count is of fractures after age "
                f"{FRACTURE_COUNT_FROM_AGE_Y:g} (spec/patient-file.md); an earlier fracture goes in "
                "history.conditions, a vertebral one under history.vertebral_fracture",
                problem="fractures after 50 counted for a person under 50",
            )
        for key in _HISTORY_FLAGS:
            flag = raw.get(key)
            values[key] = None if flag is None else boolean(flag, f"history.{key}")
        values["smoking"] = optional(
            raw, "smoking", lambda v: choice(v, "history.smoking", SMOKING)
        )
        values["alcohol_units_per_week"] = optional(
            raw,
            "alcohol_units_per_week",
            lambda v: number(v, "history.alcohol_units_per_week", 0, 300),
        )
        conditions = optional_list(raw.get("conditions"), "history.conditions")
        values["conditions"] = tuple(
            plain_text(
                c, f"history.conditions[{i}]", allow_empty=True,
                max_length=TEXT_LENGTHS["history.conditions"],
            )
            for i, c in enumerate(conditions)
        )
        return History(**values)

    def _as_of(self, raw: Any) -> date:
        """``as_of``: a date not after today (an assessment is of what has happened; a date years
        ahead is a typo, and would age the patient and count results as missing)."""
        when = iso_date(raw, "as_of")
        if when > self.today:
            raise UserInputError("as_of", when.isoformat(), f"a date on or before today "
                                 f"({self.today.isoformat()}), or no as_of (assessed on today)",
                                 problem="as_of in the future")
        return when

    def _result_date(self, raw: Any, field: str, what: str) -> date:
        """A lab result's or scan's date: not before birth, not after the file's as_of (else
        today; a stored record's: today)."""
        when = iso_date(raw, field)
        self._check_not_before_birth(when, field)
        if self.as_of is not None and not self.stored:
            return not_after_as_of(when, self.as_of, field, what)
        return not_after_today(when, field, what, self.today)

    def _check_not_before_birth(self, when: date, field: str) -> None:
        if self.birth is not None and when < self.birth:
            raise UserInputError(
                field,
                when.isoformat(),
                f"a date on or after the birth date {self.birth.isoformat()}",
                problem="date before birth",
            )

    def medication(self, raw: Any, field: str) -> Medication:
        raw = require_mapping(raw, field, _MEDICATION)
        drugs = drug_names()
        if raw.get("drug") is None:
            raise UserInputError(f"{field}.drug", None, ", ".join(drugs), problem="missing field")
        drug = choice(raw["drug"], f"{field}.drug", tuple(drugs))
        route = optional(raw, "route", lambda v: choice(v, f"{field}.route", ROUTES))
        wrong_route = None if route is None else route_problem(drug, route)
        if wrong_route is not None:
            raise UserInputError(f"{field}.route", route, wrong_route, problem="not a route this drug is given by")
        every = optional(raw, "every", lambda v: parse_quantity(v, "interval", f"{field}.every"))
        if every is not None and every <= 0:
            raise UserInputError(
                f"{field}.every",
                raw["every"],
                "a positive interval such as '7 d'",
                problem="interval must be positive",
            )
        dose_mg, dose_iu, per_day = (None, None, False)
        if raw.get("dose") is not None:
            dose_mg, dose_iu, per_day = self._dose(drug, raw["dose"], f"{field}.dose")
        if per_day and every is not None:
            raise UserInputError(
                f"{field}.every",
                raw["every"],
                "no 'every' when the dose is per day (e.g. '50 mg/d')",
                problem="dose per day given together with an interval",
            )
        start = optional(raw, "start", lambda v: iso_date(v, f"{field}.start"))
        stop = optional(raw, "stop", lambda v: iso_date(v, f"{field}.stop"))
        if every is not None:  # before the daily average: a unit mix-up is the likelier slip
            typed_value, typed_unit = split_quantity(raw["every"], f"{field}.every", "1 d")
            too_short = interval_problem(drug, every, typed_value, typed_unit)
            if too_short is not None:
                raise UserInputError(f"{field}.every", raw["every"], too_short[1], problem=too_short[0])
        dose = dose_iu if dose_iu is not None else dose_mg
        single = every is None and not per_day and start is not None and start == stop
        accepted = None if dose is None or single else daily_average_problem(drug, dose, every, route)
        if accepted is not None and every is not None:
            raise UserInputError(f"{field}.dose", f"{raw['dose']} every {raw['every']}", accepted,
                                 problem="implausible daily amount (too often, or a unit mix-up?)")
        if accepted is not None:
            raise UserInputError(
                f"{field}.dose",
                raw["dose"],
                f"{accepted}; without 'every' a dose is read as daily (a single dose: the same "
                "start and stop date)",
                problem="implausible daily amount (a unit mix-up, or a missing interval?)",
            )
        if start is not None:
            self._check_not_before_birth(start, f"{field}.start")
        if stop is not None:
            self._check_not_before_birth(stop, f"{field}.stop")
        if start is not None and stop is not None and stop < start:
            raise UserInputError(
                f"{field}.stop",
                stop.isoformat(),
                f"a date on or after start {start.isoformat()}",
                problem="stop before start",
            )
        return Medication(
            drug=drug,
            dose_mg=dose_mg,
            dose_iu=dose_iu,
            route=route,
            every_d=every,
            start=start,
            stop=stop,
        )

    def _dose(self, drug: str, raw: Any, field: str) -> tuple[float | None, float | None, bool]:
        limit = DOSE_LIMITS[drug]
        _, unit = split_quantity(raw, field, f"1 {limit.unit}")
        per_day = bool(re.search(r"/\s*(d|day)\s*$", unit))
        if limit.unit == "IU":
            kind = "daily_iu" if per_day else "dose_iu"
            if drug == "vitamin_d3" and not per_day and re.search(r"(ug|µg|mcg|mg)$", unit.strip()):
                value = parse_quantity(raw, "dose_mass", field) * 1000.0 * 40.0  # 1 ug D3 = 40 IU
            else:
                value = parse_quantity(raw, kind, field)
            mg, iu = None, value
        else:
            mg = parse_quantity(raw, "daily_mass" if per_day else "dose_mass", field)
            iu = None
        dose = mg if mg is not None else iu
        assert dose is not None
        if dose <= 0 or dose > limit.maximum:
            raise UserInputError(
                field,
                f"{raw}",
                f"more than 0 and at most {limit.maximum:g} {limit.unit} of {drug} per dose",
                problem="implausible dose",
            )
        return mg, iu, per_day

    def lab(self, raw: Any, field: str) -> LabResult:
        raw = require_mapping(raw, field, _LAB)
        for key in ("test", "value", "unit", "date"):
            if raw.get(key) is None:
                raise UserInputError(f"{field}.{key}", None, "a value", problem="missing field")
        test = choice(raw["test"], f"{field}.test", tuple(LAB_SPECS))
        value = raw["value"]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise UserInputError(f"{field}.value", value, "a number", problem="not a number")
        unit = plain_text(
            raw["unit"], f"{field}.unit", allow_empty=True, max_length=TEXT_LENGTHS["labs.unit"],
            single_line=True,
        )
        canonical = convert_lab(test, float(value), unit, field=field)
        when = self._result_date(raw["date"], f"{field}.date", "a lab result")
        spec = LAB_SPECS[test]
        reported_unit = (
            next(
                u
                for u in spec.units
                if abs(lab_in(test, canonical, u) - float(value))
                <= 1e-9 * max(1.0, abs(float(value)))
            )
            if unit not in spec.units
            else unit
        )
        return LabResult(
            test=test,
            value=canonical,
            unit=spec.canonical,
            date=when,
            method=optional(
                raw, "method", lambda v: plain_text(
                    v, f"{field}.method", allow_empty=True,
                    max_length=TEXT_LENGTHS["labs.method"], single_line=True,
                )
            ),
            reported_value=float(value),
            reported_unit=reported_unit,
        )

    def dxa(self, raw: Any, field: str) -> DxaScan:
        raw = require_mapping(raw, field, _DXA)
        for key in ("date", "site"):
            if raw.get(key) is None:
                raise UserInputError(f"{field}.{key}", None, "a value", problem="missing field")
        when = self._result_date(raw["date"], f"{field}.date", "a DXA scan")
        site = choice(raw["site"], f"{field}.site", SITES)
        bmd = optional(raw, "bmd", lambda v: parse_quantity(v, "bmd", f"{field}.bmd"))
        t = optional(raw, "t_score", lambda v: number(v, f"{field}.t_score", -8, 6))
        z = optional(raw, "z_score", lambda v: number(v, f"{field}.z_score", -8, 6))
        if bmd is None and t is None and z is None:
            raise UserInputError(
                field,
                "no bmd, t_score or z_score",
                "at least one of bmd, t_score, z_score",
                problem="empty DXA result",
            )
        return DxaScan(
            date=when,
            site=site,
            bmd_g_cm2=bmd,
            t_score=t,
            z_score=z,
            device=optional(
                raw, "device", lambda v: plain_text(
                    v, f"{field}.device", allow_empty=True,
                    max_length=TEXT_LENGTHS["dxa.device"], single_line=True,
                )
            ),
        )

    def lifestyle(self, raw: Any) -> Lifestyle:
        raw = require_mapping(raw, "lifestyle", _LIFESTYLE)
        f = "lifestyle"
        supplements = tuple(
            self.supplement(s, f"{f}.supplements[{i}]")
            for i, s in enumerate(optional_list(raw.get("supplements"), f"{f}.supplements"))
        )
        exclusions = optional_list(raw.get("food_exclusions"), f"{f}.food_exclusions")
        return Lifestyle(
            dietary_calcium_mg_d=optional(
                raw,
                "dietary_calcium",
                lambda v: parse_quantity(v, "daily_mass", f"{f}.dietary_calcium"),
            ),
            protein_g_kg_d=optional(
                raw,
                "protein",
                lambda v: parse_quantity(v, "protein", f"{f}.protein", weight_kg=self.weight_kg),
            ),
            supplements=supplements,
            resistance_sessions_per_week=optional(
                raw,
                "resistance_sessions_per_week",
                lambda v: number(v, f"{f}.resistance_sessions_per_week", 0, 21),
            ),
            resistance_intensity=optional(
                raw,
                "resistance_intensity",
                lambda v: choice(v, f"{f}.resistance_intensity", INTENSITIES),
            ),
            impact_sessions_per_week=optional(
                raw,
                "impact_sessions_per_week",
                lambda v: number(v, f"{f}.impact_sessions_per_week", 0, 21),
            ),
            weight_bearing_aerobic_minutes_per_week=optional(
                raw,
                "weight_bearing_aerobic_minutes_per_week",
                lambda v: number(v, f"{f}.weight_bearing_aerobic_minutes_per_week", 0, 3000),
            ),
            sleep_hours=optional(
                raw, "sleep_hours", lambda v: number(v, f"{f}.sleep_hours", 0, 16)
            ),
            diet_pattern=optional(
                raw, "diet_pattern", lambda v: choice(v, f"{f}.diet_pattern", DIET_PATTERNS)
            ),
            food_exclusions=tuple(
                choice(x, f"{f}.food_exclusions[{i}]", FOOD_EXCLUSIONS)
                for i, x in enumerate(exclusions)
            ),
            training_setting=optional(
                raw,
                "training_setting",
                lambda v: choice(v, f"{f}.training_setting", TRAINING_SETTINGS),
            ),
        )

    def supplement(self, raw: Any, field: str) -> Supplement:
        raw = require_mapping(raw, field, ("name", "dose"))
        if raw.get("name") is None or raw.get("dose") is None:
            raise UserInputError(
                field,
                dict(raw),
                "name and dose, e.g. {name: vitamin_d3, dose: 1000 IU/d}",
                problem="missing field",
            )
        name = choice(raw["name"], f"{field}.name", tuple(SUPPLEMENT_UNITS))
        unit = SUPPLEMENT_UNITS[name]
        if unit == "IU/d":
            dose = parse_quantity(raw["dose"], "daily_iu", f"{field}.dose")
        else:
            dose = parse_quantity(raw["dose"], "daily_mass", f"{field}.dose")
        limit = DAILY_AVERAGE_LIMITS.get(name) or DOSE_LIMITS[name]
        if dose > limit.maximum:
            raise UserInputError(
                f"{field}.dose",
                raw["dose"],
                f"at most {limit.maximum:g} {unit} of {name}",
                problem="implausible dose",
            )
        return Supplement(name=name, dose_per_day=dose, unit=unit)

    def frax(self, raw: Any) -> ExternalFractureRisk:
        f = "fracture_risk_external"
        raw = require_mapping(raw, f, _FRAX)
        if raw.get("tool") is None:
            raise UserInputError(
                f"{f}.tool", None, "the tool's name, e.g. frax", problem="missing field"
            )
        return ExternalFractureRisk(
            tool=plain_text(
                raw["tool"], f"{f}.tool", allow_empty=True, max_length=TEXT_LENGTHS[f"{f}.tool"],
                single_line=True,
            ),
            major_osteoporotic_10y_pct=optional(
                raw,
                "major_osteoporotic_10y_pct",
                lambda v: number(v, f"{f}.major_osteoporotic_10y_pct", 0, 100),
            ),
            hip_10y_pct=optional(
                raw, "hip_10y_pct", lambda v: number(v, f"{f}.hip_10y_pct", 0, 100)
            ),
            date=optional(raw, "date", lambda v: iso_date(v, f"{f}.date")),
            bmd_included=optional(raw, "bmd_included", lambda v: boolean(v, f"{f}.bmd_included")),
            country=optional(
                raw, "country", lambda v: plain_text(
                    v, f"{f}.country", allow_empty=True, max_length=TEXT_LENGTHS[f"{f}.country"],
                    single_line=True,
                )
            ),
        )


# --------------------------------------------------------------------------------------------------
# Writer
# --------------------------------------------------------------------------------------------------


def _fmt(value: float) -> str:
    return f"{value:.10g}"


def record_to_document(record: PatientRecord) -> dict[str, Any]:
    """The record as a patient file v1 document (quantities as strings in canonical units).

    Labs keep the value and unit as reported, so a read-write round trip loses nothing.
    """
    p = record.patient
    patient: dict[str, Any] = {"id": p.id, "sex": p.sex, "birth_date": p.birth_date.isoformat()}
    if p.height_cm is not None:
        patient["height"] = f"{_fmt(p.height_cm)} cm"
    if p.weight_kg is not None:
        patient["weight"] = f"{_fmt(p.weight_kg)} kg"
    patient["menopausal_status"] = p.menopausal_status
    doc: dict[str, Any] = {"version": 1}
    if record.as_of is not None:
        doc["as_of"] = record.as_of.isoformat()
    doc["patient"] = patient
    history = record.history.model_dump(exclude_none=True)
    history["conditions"] = list(record.history.conditions)
    doc["history"] = history
    doc["medications"] = [_medication_doc(m) for m in record.medications]
    doc["labs"] = [
        {
            k: v
            for k, v in {
                "test": lab.test,
                "value": lab.reported_value,
                "unit": lab.reported_unit,
                "date": lab.date.isoformat(),
                "method": lab.method,
            }.items()
            if v is not None
        }
        for lab in record.labs
    ]
    doc["dxa"] = [_dxa_doc(s) for s in record.dxa]
    doc["lifestyle"] = _lifestyle_doc(record.lifestyle)
    if record.fracture_risk_external is not None:
        frax = record.fracture_risk_external.model_dump(exclude_none=True)
        if "date" in frax:
            frax["date"] = frax["date"].isoformat()
        doc["fracture_risk_external"] = frax
    doc["extra"] = dict(record.extra)
    return doc


def interval_quantity(every_d: float) -> str:
    """A dosing interval as the patient file writes it, reading back to the same number: in days
    where it is a whole number of them ("7 d", as before); else in years or months where it is a
    whole number of those as the reader computes them ("6 mo" for 182.625 d; mo = 30.4375 d,
    y = 365.25 d, spec/trial-file.md); else in days ("3.5 d"), or hours where only they read back
    exactly ("10 h")."""
    days = f"{_fmt(every_d)} d"
    if float(every_d).is_integer():
        return days
    for unit_d, unit in ((DAYS_PER_YEAR, "y"), (DAYS_PER_MONTH, "mo")):
        k = whole_multiple(every_d, unit_d, exact=True)
        if k is not None:
            return f"{k} {unit}"
    hours = whole_multiple(every_d, 1.0 / 24.0, exact=True)
    if float(_fmt(every_d)) != every_d and hours is not None:
        return f"{hours} h"
    return days


def _medication_doc(m: Medication) -> dict[str, Any]:
    out: dict[str, Any] = {"drug": m.drug}
    per_day = "/d" if m.every_d is None else ""
    if m.dose_mg is not None:
        out["dose"] = f"{_fmt(m.dose_mg)} mg{per_day}"
    elif m.dose_iu is not None:
        out["dose"] = f"{_fmt(m.dose_iu)} IU{per_day}"
    if m.route is not None:
        out["route"] = m.route
    if m.every_d is not None:
        out["every"] = interval_quantity(m.every_d)
    if m.start is not None:
        out["start"] = m.start.isoformat()
    out["stop"] = m.stop.isoformat() if m.stop is not None else None
    return out


def _dxa_doc(s: DxaScan) -> dict[str, Any]:
    out: dict[str, Any] = {"date": s.date.isoformat(), "site": s.site}
    if s.bmd_g_cm2 is not None:
        out["bmd"] = f"{_fmt(s.bmd_g_cm2)} g/cm2"
    for key in ("t_score", "z_score", "device"):
        if getattr(s, key) is not None:
            out[key] = getattr(s, key)
    return out


def _lifestyle_doc(life: Lifestyle) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if life.dietary_calcium_mg_d is not None:
        out["dietary_calcium"] = f"{_fmt(life.dietary_calcium_mg_d)} mg/d"
    if life.protein_g_kg_d is not None:
        out["protein"] = f"{_fmt(life.protein_g_kg_d)} g/kg/d"
    out["supplements"] = [
        {"name": s.name, "dose": f"{_fmt(s.dose_per_day)} {s.unit}"} for s in life.supplements
    ]
    for key in (
        "resistance_sessions_per_week",
        "resistance_intensity",
        "impact_sessions_per_week",
        "weight_bearing_aerobic_minutes_per_week",
        "sleep_hours",
        "diet_pattern",
        "training_setting",
    ):
        if getattr(life, key) is not None:
            out[key] = getattr(life, key)
    out["food_exclusions"] = list(life.food_exclusions)
    return out


def dump_patient_yaml(record: PatientRecord) -> str:
    """The record as patient file v1 YAML text."""
    return yaml.safe_dump(record_to_document(record), sort_keys=False, allow_unicode=True)


def dump_patient_json(record: PatientRecord) -> str:
    """The record as patient file v1 JSON text."""
    return json.dumps(record_to_document(record), indent=2, ensure_ascii=False)
