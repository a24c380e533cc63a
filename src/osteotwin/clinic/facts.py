"""Derive the named facts that rules test, from a record on a date (pure; no defaults invented).

A fact whose data are missing has value ``None``; rules treat ``None`` as unknown (a comparison with
it is false), and dedicated rules turn missing data into "not measured" findings. Monitoring
intervals and indications are cited in ``data/clinic/rules.yaml`` and in the comments below.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable

from osteotwin.clinic.densitometry import BmdChange, DensitometrySummary
from osteotwin.clinic.follow_on import bisphosphonate_followed, denosumab_stop, follow_on_start
from osteotwin.clinic.fracture_risk import FractureRisk
from osteotwin.clinic.history_text import (
    amenorrhoea_mentions,
    bilateral_oophorectomy_mentions,
    hip_fracture_mentions,
    is_unconfirmed,
    names_bone_metastases,
    names_distant_metastases,
)
from osteotwin.clinic.kidney_diet import CKD_CALCIUM_MG, CKD_PROTEIN_G_PER_KG, diet_ckd
from osteotwin.clinic.model import Fact, FactValue
from osteotwin.clinic.monitoring import (
    BASELINE_DXA_WINDOW_D,
    LAB_INTERVAL_D,
    after_denosumab_dxa_due,
    before_treatment,
    dxa_plan,
    lab_due,
)
from osteotwin.clinic.reference import target_for, targets
from osteotwin.records.drugs import adjuvant_zoledronate_schedule, bone_metastases_schedule
from osteotwin.records.patient import LabResult, Medication, PatientRecord
from osteotwin.units import parse_time_offset_d
from osteotwin.vocabulary import codes

#: Denosumab 60 mg is given every 6 months (label); a follow-on bisphosphonate starts 6 months after
#: the last injection (Tsourdi et al. 2021).
DAYS_PER_MONTH = parse_time_offset_d("1 mo", "month")  # the files' calendar month, 30.4375 d
DENOSUMAB_INTERVAL_D = 6 * DAYS_PER_MONTH
#: Bisphosphonate duration review: after 5 years oral, 3 years intravenous (Adler et al. 2016, ASBMR
#: task force); regimens at most 90 days apart count as one course (osteotwin's reading of a switch).
BISPHOSPHONATE_REVIEW_ORAL_Y = 5.0
BISPHOSPHONATE_REVIEW_IV_Y = 3.0
COURSE_GAP_D = 90

MASS_SPEC_MARKERS = ("lc-ms", "lcms", "lc/ms", "gc-ms", "gcms", "ms/ms", "mass spec", "lc-msms")


def _timing(days: int) -> str:
    """A date's distance from the assessment in words: today, days within a month, else months."""
    if days == 0:
        return "today"
    if abs(days) < 31:
        return f"in {days} day{'s' if days != 1 else ''}" if days > 0 else \
            f"{-days} day{'s' if days != -1 else ''} ago"
    months = round(abs(days) / DAYS_PER_MONTH, 1)
    return f"{months:g} months from now" if days > 0 else f"{months:g} months ago"


def _loss_during(record: PatientRecord, loss: BmdChange, regimen: Medication) -> bool:
    """A loss measured on ``regimen``: its later scan taken after the regimen started, and its
    earlier scan no earlier than the regimen's baseline (the last scan of the site on or before the
    start). An unknown start counts as started before both."""
    if regimen.start is None:
        return True
    start = regimen.start
    if not start < loss.later_date:
        return False
    before = [scan.date for scan in record.scans_for(loss.site) if scan.date <= start]
    return loss.earlier_date >= (max(before) if before else start)


def _drug_class(drug: str) -> str:
    entry = codes()["drugs"].get(drug, {})
    return str(entry.get("class", "unknown"))


def is_oncology_regimen(m: Medication) -> bool:
    """A bone-metastases (skeletal-related-event) dose (``records.drugs.bone_metastases_schedule``)."""
    return bone_metastases_schedule(m.drug, m.dose_mg, m.every_d)


def is_adjuvant_zoledronate(m: Medication) -> bool:
    """Zoledronic acid 4 mg every 6 months: the adjuvant breast-cancer schedule (ABCSG-12, ZO-FAST;
    Dhesy-Thind 2017; ``records.drugs.adjuvant_zoledronate_schedule``)."""
    return adjuvant_zoledronate_schedule(m.drug, m.dose_mg, m.every_d)


def _regimen_text(m: Medication) -> str:
    dose = "" if m.dose_mg is None else f" {m.dose_mg:g} mg"
    every = "" if m.every_d is None else f" every {m.every_d:g} days"
    return f"{m.drug.replace('_', ' ')}{dose}{every}"


def _active(record: PatientRecord, as_of: dt.date, *classes: str) -> list[Medication]:
    return [m for m in record.active_medications(as_of) if _drug_class(m.drug) in classes]


def _days(later: dt.date, earlier: dt.date | None) -> int | None:
    return None if earlier is None else (later - earlier).days


def current_ai_start(record: PatientRecord, as_of: dt.date) -> dt.date | None:
    """The start of the aromatase inhibitor taken on ``as_of`` (the earliest, if several)."""
    return _earliest_start(_active(record, as_of, "aromatase_inhibitor"))


def _is_mass_spec(method: str | None) -> bool:
    if method is None:
        return False
    text = method.lower().replace(" ", "")
    return any(marker.replace(" ", "") in text for marker in MASS_SPEC_MARKERS)


class FactSheet:
    """Collects facts while they are derived; ``facts`` is the finished, read-only mapping."""

    def __init__(self) -> None:
        self.facts: dict[str, Fact] = {}

    def put(self, name: str, value: FactValue, unit: str | None = None,
            date: dt.date | None = None, label: str | None = None) -> FactValue:
        self.facts[name] = Fact(name, value, unit, date, label)
        return value

    def value(self, name: str) -> FactValue:
        return self.facts[name].value


def _lab(sheet: FactSheet, record: PatientRecord, as_of: dt.date, test: str, name: str,
         unit: str) -> LabResult | None:
    lab = record.latest_lab(test, on_or_before=as_of)
    # Shown in the canonical unit; a result reported in another unit keeps its original beside it.
    label = None
    if lab is not None and _unit_key(lab.reported_unit) != _unit_key(unit):
        label = f"reported {lab.reported_value:g} {lab.reported_unit}"
    sheet.put(name, None if lab is None else round(lab.value, 2), unit,
              None if lab is None else lab.date, label)
    sheet.put(f"{name}_date", None if lab is None else lab.date)
    # The last result with its date, for "not measured" messages ("none on file" when there is none).
    sheet.put(f"{name}_last", "none on file" if lab is None
              else f"{sheet.facts[name].display()} on {lab.date.isoformat()}")
    sheet.put(f"{name}_age_days", _days(as_of, lab.date if lab else None), "days")
    return lab


def _unit_key(unit: str) -> str:
    """A unit compared without spaces, case or superscripts ("mL/min/1.73m²" is "mL/min/1.73m2")."""
    return unit.replace(" ", "").replace("²", "2").replace("³", "3").lower()


def _names(meds: Iterable[Medication]) -> str | None:
    names = sorted({m.drug for m in meds})
    return ", ".join(names) if names else None


def _earliest_start(meds: list[Medication]) -> dt.date | None:
    starts = [m.start for m in meds if m.start is not None]
    return min(starts) if starts else None


def _quoted(texts: Iterable[str]) -> str | None:
    """Free-text entries, each in double quotes, joined by "; " (None when there are none)."""
    return "; ".join(f'"{text}"' for text in texts) or None


#: NCCN definition of menopause (for aromatase-inhibitor eligibility): age 60 or over, a bilateral
#: oophorectomy, or, under 60, amenorrhoea with FSH and estradiol in the postmenopausal range
NCCN_MENOPAUSE_AGE = 60.0
#: "Estradiol in the postmenopausal range": below 26 pmol/L (7.08 pg/mL), the upper limit of the
#: LC-MS/MS reference interval of postmenopausal women (Verdonk 2019). Only a mass-spectrometry
#: result is read against it: immunoassays read high and are not interchangeable at these levels
#: (Khosla 2008), and the interval is an LC-MS/MS one.
POSTMENOPAUSAL_ESTRADIOL_MAX_PG_ML = 7.08
#: "FSH in the postmenopausal range": 30 IU/L or more, osteotwin's choice. NCCN gives no number;
#: STRAW+10 marks the late menopausal transition at FSH above 25 IU/L (Harlow 2012), so 30 IU/L
#: keeps a margin above the transition's own marker. The laboratory's interval may differ.
POSTMENOPAUSAL_FSH_MIN_IU_L = 30.0


def _menopause_by_labs(record: PatientRecord, as_of: dt.date) -> bool:
    """The latest FSH and estradiol both in the postmenopausal range and current: FSH at or above
    ``POSTMENOPAUSAL_FSH_MIN_IU_L``, estradiol by mass spectrometry below
    ``POSTMENOPAUSAL_ESTRADIOL_MAX_PG_ML``, each at most ``LAB_INTERVAL_D`` old (the yearly estradiol
    interval: an older pair is asked for again, as ovarian function can return, Smith 2006)."""
    fsh = record.latest_lab("fsh", on_or_before=as_of)
    e2 = record.latest_lab("estradiol", on_or_before=as_of)
    if fsh is None or e2 is None or not _is_mass_spec(e2.method):
        return False
    current = all((as_of - lab.date).days <= LAB_INTERVAL_D for lab in (fsh, e2))
    return (current and fsh.value >= POSTMENOPAUSAL_FSH_MIN_IU_L
            and e2.value < POSTMENOPAUSAL_ESTRADIOL_MAX_PG_ML)


def _menopause(s: FactSheet, record: PatientRecord, age: float, as_of: dt.date) -> None:
    """Whether the menopause is established and whether only the recorded status says so.

    ``menopause_by_record_only``: a woman recorded as postmenopausal, under 60, with no bilateral
    oophorectomy named in the conditions and no current FSH and mass-spectrometry estradiol in the
    postmenopausal range on file (``_menopause_by_labs``); the recorded status then does not
    establish the menopause (NCCN; amenorrhoea after chemotherapy included: ovarian function returned
    on an aromatase inhibitor in 12 of 45 women aged 40 or more, Smith 2006; Burstein 2016). Whether
    the amenorrhoea lasted 12 months without chemotherapy, tamoxifen or ovarian suppression (NCCN's
    other condition) is not in the record and is not checked.

    ``menopause_confirmed``: a woman recorded as postmenopausal and not by record only, or one whose
    status is not recorded who is 60 or over or has a bilateral oophorectomy named. A woman recorded
    as pre- or perimenopausal is not confirmed by labs alone."""
    p, h = record.patient, record.history
    woman = p.sex == "female"
    oophorectomy = _quoted(bilateral_oophorectomy_mentions(h.conditions)) if woman else None
    s.put("bilateral_oophorectomy_in_conditions", oophorectomy)
    amenorrhoea = _quoted(amenorrhoea_mentions(h.conditions)) if woman else None
    s.put("amenorrhoea_in_conditions", amenorrhoea)
    s.put("amenorrhoea_note", f", with amenorrhoea named in the history ({amenorrhoea})"
          if amenorrhoea else "")
    by_labs = s.put("menopause_by_labs", woman and _menopause_by_labs(record, as_of))
    by_record_only = (woman and p.menopausal_status == "postmenopausal"
                      and age < NCCN_MENOPAUSE_AGE and oophorectomy is None and not by_labs)
    s.put("menopause_by_record_only", by_record_only)
    s.put("menopause_confirmed", woman and not by_record_only and (
        p.menopausal_status == "postmenopausal" or (p.menopausal_status is None and (
            age >= NCCN_MENOPAUSE_AGE or oophorectomy is not None))))


def derive_facts(record: PatientRecord, as_of: dt.date, dxa: DensitometrySummary,
                 risk: FractureRisk) -> dict[str, Fact]:
    """Every fact the rules use (listed in docs/assessment.md, "Facts the rules read")."""
    s = FactSheet()
    p, h, life = record.patient, record.history, record.lifestyle
    age = p.age_on(as_of)
    s.put("as_of", as_of)
    s.put("sex", p.sex)
    s.put("age_y", round(age, 1), "years")
    s.put("menopausal_status", p.menopausal_status)
    _menopause(s, record, age, as_of)
    bmi = p.bmi
    s.put("bmi_kg_m2", None if bmi is None else round(bmi, 1), "kg/m²")
    s.put("weight_kg", p.weight_kg, "kg")

    # History (None = not recorded)
    for flag in ("breast_cancer", "prostate_cancer", "hypogonadism", "glucocorticoids",
                 "rheumatoid_arthritis", "parent_hip_fracture", "vertebral_fracture"):
        s.put(flag, getattr(h, flag))
    s.put("smoking", h.smoking)
    s.put("alcohol_units_per_week", h.alcohol_units_per_week, "units/week")
    s.put("alcohol_units_per_day", None if h.alcohol_units_per_week is None
          else round(h.alcohol_units_per_week / 7.0, 1), "units/day")
    s.put("prior_fragility_fractures", h.prior_fragility_fractures)
    s.put("falls_last_12_months", h.falls_last_12_months)
    fracture_history = bool(h.vertebral_fracture) or (h.prior_fragility_fractures or 0) >= 1
    s.put("fracture_history", fracture_history)
    # Free-text conditions are kept, not interpreted (patient-file spec): an entry that mentions a hip
    # fracture is quoted for the clinician to confirm, never counted as a fracture or a diagnosis.
    hips = hip_fracture_mentions(h.conditions)
    s.put("hip_fracture_in_conditions", _quoted(hips))
    # an entry the FHIR import marked unconfirmed (provisional, differential) still asks the question,
    # and the finding says that the source itself had not confirmed it
    s.put("hip_fracture_unconfirmed_note", "; the imported record marks it as not confirmed (FHIR "
          "verification status)" if hips and all(is_unconfirmed(text) for text in hips) else "")

    # Medications active on as_of
    ai = _active(record, as_of, "aromatase_inhibitor")
    trt = _active(record, as_of, "androgen", "gonadotropin")
    antiresorptive = _active(record, as_of, "bisphosphonate", "rankl_inhibitor")
    ghs = _active(record, as_of, "gh_secretagogue")
    s.put("on_ai", bool(ai))
    s.put("ai_drugs", _names(ai))
    ai_start = _earliest_start(ai)
    s.put("ai_start", ai_start)
    # the start in words for the messages ("since 2024-01-10"; a missing start said as such)
    s.put("ai_since", "start not recorded" if ai_start is None else f"since {ai_start.isoformat()}")
    s.put("ai_days", _days(as_of, ai_start), "days")
    s.put("on_trt", bool(trt))
    # testosterone itself (an androgen), not hCG: the AI_USE_IN_MEN wording differs without it
    s.put("on_testosterone", bool(_active(record, as_of, "androgen")))
    s.put("trt_drugs", _names(trt))
    trt_start = _earliest_start(trt)
    s.put("on_antiresorptive", bool(antiresorptive))
    s.put("antiresorptive_drugs", _names(antiresorptive))
    s.put("antiresorptive_regimen", "; ".join(m.words() for m in antiresorptive) or None)
    s.put("on_gh_secretagogue", bool(ghs))
    s.put("gh_secretagogues", _names(ghs))
    estrogen = _active(record, as_of, "estrogen")
    s.put("on_estrogen", bool(estrogen))
    s.put("estrogen_drugs", _names(estrogen))
    gnrh = _active(record, as_of, "gnrh_agonist_depot")
    s.put("on_gnrh_agonist", bool(gnrh))
    s.put("gnrh_agonist_drugs", _names(gnrh))
    s.put("on_tamoxifen", bool(_active(record, as_of, "serm")))
    # Women with breast cancer on an AI (also when breast cancer is not recorded for a woman).
    ai_for_bc = bool(ai) and (h.breast_cancer is True or (p.sex == "female" and h.breast_cancer is None))
    # B-ABLE (the 40 ng/mL level) studied women starting an AI for breast cancer, not men.
    s.put("ai_vitd_note", " (40 ng/mL is the level studied in women starting an AI for breast cancer)"
          if ai_for_bc else "")
    s.put("ai_antiresorptive_note", " While the aromatase inhibitor continues, the indication for "
          "bone protection usually continues with it." if ai else "")
    s.put("ai_for_breast_cancer", ai_for_bc)
    # Exemestane is a steroid: its metabolites can read as estradiol in immunoassays (Dieudonné 2009;
    # Giralt 2025), so a raised immunoassay estradiol on it is confirmed by mass spectrometry.
    s.put("exemestane_assay_note", " Exemestane, a steroid, can make estradiol immunoassays read "
          "falsely high (its metabolites cross-react)." if any(m.drug == "exemestane" for m in ai)
          else "")

    oncology = [m for m in antiresorptive if is_oncology_regimen(m)]
    s.put("oncology_antiresorptive", bool(oncology))
    s.put("oncology_antiresorptive_regimen", "; ".join(_regimen_text(m) for m in oncology) or None)
    s.put("on_bisphosphonate", bool(_active(record, as_of, "bisphosphonate")))
    # Metastatic disease named in the free-text conditions: not the adjuvant (early) setting
    s.put("metastases_in_conditions",
          _quoted(text for text in h.conditions if names_distant_metastases(text)))
    # metastases in bone (the reading the plan's exercise screen uses): a bone-modifying agent at the
    # metastasis dose is oncology's, and the osteoporosis schedules do not apply
    s.put("bone_metastases_in_conditions",
          _quoted(text for text in h.conditions if names_bone_metastases(text)))
    s.put("on_denosumab", bool(_active(record, as_of, "rankl_inhibitor")))

    # the adjuvant regimen in early breast cancer (zoledronic acid 4 mg every 6 months for 3-5 years,
    # ASCO-Ontario Health, Dhesy-Thind 2017): its length is oncology's, not the osteoporosis holiday's
    s.put("bisphosphonate_adjuvant", h.breast_cancer is True
          and s.value("metastases_in_conditions") is None
          and any(is_adjuvant_zoledronate(m) for m in antiresorptive))

    _ai_end(s, record, as_of)
    _denosumab(s, record, as_of)
    _bisphosphonate_course(s, record, as_of)
    _labs(s, record, as_of, ai_start, trt_start)
    _densitometry(s, dxa, as_of, ai_start)
    _score_notes(s, dxa)
    _intake(s, record, as_of, age, p.sex)
    s.put("resistance_sessions_per_week", life.resistance_sessions_per_week, "sessions/week")
    s.put("resistance_intensity", life.resistance_intensity)
    s.put("impact_sessions_per_week", life.impact_sessions_per_week, "sessions/week")
    s.put("aerobic_minutes_per_week", life.weight_bearing_aerobic_minutes_per_week, "min/week")
    s.put("exercise_recorded", any(v is not None for v in (
        life.resistance_sessions_per_week, life.impact_sessions_per_week,
        life.weight_bearing_aerobic_minutes_per_week)))
    s.put("sleep_hours", life.sleep_hours, "h/night")

    _fracture_risk(s, risk)
    _composites(s, record, age, dxa)
    _exercise_screen(s, record, as_of)
    return s.facts


def _score_notes(s: FactSheet, dxa: DensitometrySummary) -> None:
    """Which score the lowest site was judged by, and notes that keep the BMD finding consistent with
    the data (a T-score judged against the Z cut-off) and with the AIBL algorithm (T-scores)."""
    s.put("score_reason", dxa.choice.reason)
    site = dxa.sites.get(dxa.lowest_site) if dxa.lowest_site else None
    used = site.score_used if site is not None else None
    s.put("lowest_score_kind", used)
    note = ""
    if used == "T" and dxa.choice.kind == "Z":
        note = ("; no Z-score was reported, so this T-score is judged against the Z-score cut-off as an "
                "approximation: ask for the Z-score")
    s.put("lowest_score_note", note)
    lowest_t, t_site = s.value("lowest_t_score"), s.value("lowest_t_site")
    t_date = s.facts["lowest_t_score"].date
    ai_note = ""
    if dxa.choice.kind == "Z" and s.value("ai_for_breast_cancer") and isinstance(lowest_t, float | int):
        ai_note = (f" On an aromatase inhibitor the bone-loss treatment algorithm (Hadji 2017) uses the "
                   f"T-score: lowest T-score {lowest_t:g} at the {str(t_site).replace('_', ' ')}"
                   f" ({t_date}).")
    s.put("ai_t_score_note", ai_note)


def _after_denosumab_dxa(s: FactSheet, record: PatientRecord) -> dt.date | None:
    """The DXA date after denosumab stopped (``monitoring.after_denosumab_dxa_due``): at the
    transition while the rebound window is open and no bisphosphonate has followed (the plan's
    screen's window, ``follow_on.denosumab_stop``), or about 12 months after the bisphosphonate that followed it
    (``follow_on.follow_on_start``: the one definition of the follow-on, which
    ``bisphosphonate_followed`` uses too)."""
    as_of, last_injection = s.value("as_of"), s.value("denosumab_last_dose")
    assert isinstance(as_of, dt.date)
    if not isinstance(last_injection, dt.date) or s.value("on_denosumab"):
        return None
    last_scan = s.value("last_dxa_date")
    transition = s.value("denosumab_follow_on_due") if denosumab_stop(record, as_of) else None
    return after_denosumab_dxa_due(
        last_scan=last_scan if isinstance(last_scan, dt.date) else None,
        last_injection=last_injection,
        transition=transition if isinstance(transition, dt.date) else None,
        follow_on_start=follow_on_start(record, last_injection, as_of))


def _exercise_screen(s: FactSheet, record: PatientRecord, as_of: dt.date) -> None:
    """The contraindications of the exercise plan's own safety screen (``plan.exercise.screening``;
    protocols.md 8.4: UK consensus 2022, Too Fit To Fracture 2014/2015), as the screen words them, so
    that the assessment's exercise actions never ask for more than the plan allows: high-intensity
    lifting (LIFTMOR 5 x 5) left out for the screen's reasons (the gym setting aside: the action is
    the suggestion to go to one), jumps and drop landings left out where the screen caps impact
    below moderate, and drop landings where it caps it at moderate.
    """
    from osteotwin.plan.exercise.screening import screen  # the plan's screen: one set of rules

    sc = screen(record, as_of)
    heavy = list(sc.high_intensity_held_back)
    impact = [sc.impact_cap_reason] if sc.impact_cap in ("brisk_walking", "low") else []
    s.put("high_intensity_contraindication", "; ".join(heavy) or None)
    # the screen's impact ceiling: "brisk_walking" (no jumps at all), "low", "moderate" or "high"
    s.put("impact_cap", sc.impact_cap)
    s.put("impact_contraindication", "; ".join(impact) or None)
    s.put("impact_deferral_note", "; no jumps or drop landings for now (" + "; ".join(impact) + ")"
          if impact else "")
    # jumps but no drop landings: the screen's moderate cap, and why
    s.put("impact_moderate_only", sc.impact_cap_reason if sc.impact_cap == "moderate" else None)
    # denosumab stopped, no bisphosphonate since, in the rebound window (the screen's words)
    s.put("denosumab_rebound_risk", sc.denosumab_rebound)


#: a recorded aromatase-inhibitor stop this close ahead, or this recently past, prompts the
#: reassessment of bone protection at the end of inhibitor therapy (Hadji 2017; Tsourdi 2021)
AI_END_AHEAD_D = 365
AI_END_PAST_D = 183


def _ai_end(s: FactSheet, record: PatientRecord, as_of: dt.date) -> None:
    """The recorded stop of the aromatase inhibitor when it is within ``AI_END_AHEAD_D`` ahead or
    ``AI_END_PAST_D`` past, and no inhibitor continues beyond it."""
    ai = [m for m in record.medications if _drug_class(m.drug) == "aromatase_inhibitor"
          and m.start is not None and m.start <= as_of]
    current = [m for m in ai if m.active_on(as_of)]
    if current and any(m.stop is None for m in current):
        end = None
    else:
        stops = [m.stop for m in (current or ai) if m.stop is not None]
        end = max(stops) if stops else None
    if end is not None and not (as_of - dt.timedelta(days=AI_END_PAST_D) <= end
                                <= as_of + dt.timedelta(days=AI_END_AHEAD_D)):
        end = None
    s.put("ai_end_date", end)
    s.put("ai_end_timing", None if end is None else _timing((end - as_of).days))


def _denosumab(s: FactSheet, record: PatientRecord, as_of: dt.date) -> None:
    """Denosumab's last dose, the next one due, and whether it was stopped with nothing to follow.

    Resorption rises above its pre-treatment level about 6 months after a missed dose (Cummings et
    al. 2018), so a bisphosphonate should follow a stop, started 6 months after the last injection
    (ECTS, Tsourdi et al. 2021).
    """
    last: dt.date | None = None
    next_due: dt.date | None = None
    oncology = False
    for regimen in record.medications:
        day = regimen.last_dose_on_or_before(as_of)
        if _drug_class(regimen.drug) != "rankl_inhibitor" or day is None or (
                last is not None and day <= last):
            continue
        last = day
        oncology = is_oncology_regimen(regimen)
        ongoing = regimen.active_on(as_of) and regimen.every_d is not None
        next_due = day + dt.timedelta(days=math.floor(regimen.every_d or 0.0)) if ongoing else None
    s.put("denosumab_last_dose", last)
    s.put("denosumab_next_dose_due", next_due)
    # the last dose was of the bone-metastases regimen (Xgeva), not the osteoporosis one (Prolia)
    s.put("denosumab_oncology_dose", oncology)
    if last is None:
        s.put("denosumab_months_since_last_dose", None, "months")
        s.put("denosumab_follow_on_due", None)
        s.put("denosumab_stopped_without_follow_on", False)
        return
    s.put("denosumab_months_since_last_dose", round((as_of - last).days / DAYS_PER_MONTH, 1),
          "months")
    s.put("denosumab_follow_on_due", last + dt.timedelta(days=math.floor(DENOSUMAB_INTERVAL_D)))
    followed = bisphosphonate_followed(record, last, as_of)
    s.put("denosumab_stopped_without_follow_on", next_due is None and not followed)


def _bisphosphonate_course(s: FactSheet, record: PatientRecord, as_of: dt.date) -> None:
    """How long the current bisphosphonate course has run (regimens that follow one another within
    ``COURSE_GAP_D`` count as one), and whether its duration is due for review: after 5 years of an
    oral or 3 years of an intravenous bisphosphonate (ASBMR task force, Adler et al. 2016)."""
    spans = [(m.start, m.stop) for m in record.medications if _drug_class(m.drug) == "bisphosphonate"
             and m.start is not None and m.start <= as_of]
    active = [m for m in record.active_medications(as_of) if _drug_class(m.drug) == "bisphosphonate"]
    start = min((begin for begin, end in spans if end is None or end > as_of), default=None)
    while start is not None:  # walk back through the regimens this course continued
        gap_start = start - dt.timedelta(days=COURSE_GAP_D)
        earlier = [begin for begin, end in spans if begin < start and (end is None or end >= gap_start)]
        if not earlier:
            break
        start = min(earlier)
    years = None if start is None else round((as_of - start).days / 365.25, 1)
    intravenous = any(m.route == "intravenous" or m.drug == "zoledronic_acid" for m in active)
    s.put("bisphosphonate_years", years, "years")
    s.put("bisphosphonate_intravenous", intravenous if active else None)
    review_years = BISPHOSPHONATE_REVIEW_IV_Y if intravenous else BISPHOSPHONATE_REVIEW_ORAL_Y
    # the ASBMR duration review (and drug holiday) is osteoporosis guidance: a bone-metastases
    # regimen (zoledronic acid 4 mg every 3-4 weeks) is not reviewed on it
    oncology = any(is_oncology_regimen(m) for m in active)
    s.put("bisphosphonate_review_years", None if years is None or oncology else review_years,
          "years")
    s.put("bisphosphonate_review_due", years is not None and not oncology and years >= review_years)
    # a course that has stopped (a drug holiday, or a course ended): ASBMR reassesses fracture risk
    # 2-3 years after stopping (Adler et al. 2016), so a later treatment discussion is a restart
    stopped = [m for m in record.medications if _drug_class(m.drug) == "bisphosphonate"
               and m.stop is not None and m.stop <= as_of]
    last = None if active or not stopped else max(stopped, key=lambda m: m.stop or as_of)
    s.put("bisphosphonate_stopped_drug", None if last is None else last.drug.replace("_", " "))
    s.put("bisphosphonate_stopped_date", None if last is None or last.stop is None
          else last.stop.isoformat())
    s.put("bisphosphonate_off_years", None if last is None or last.stop is None
          else round((as_of - last.stop).days / 365.25, 1), "years")


def _labs(s: FactSheet, record: PatientRecord, as_of: dt.date, ai_start: dt.date | None,
          trt_start: dt.date | None) -> None:
    e2 = _lab(s, record, as_of, "estradiol", "estradiol_pg_ml", "pg/mL")
    s.put("estradiol_method", None if e2 is None else (e2.method or "not recorded"))
    s.put("estradiol_mass_spec", None if e2 is None else _is_mass_spec(e2.method))
    # An estradiol drawn before the current aromatase inhibitor started is a baseline, not a level on
    # it (the on-treatment test of ``lab_due``, which ESTRADIOL_NOT_MEASURED reads): the on-AI
    # thresholds and the AI reviews never read it as the inhibitor's effect.
    before_ai = e2 is not None and before_treatment(e2.date, ai_start)
    s.put("estradiol_before_ai", before_ai)
    s.put("estradiol_before_ai_note", f" It was drawn before the aromatase inhibitor started "
          f"({ai_start}), so it is not a level on the inhibitor." if before_ai else "")
    _lab(s, record, as_of, "total_testosterone", "testosterone_ng_dl", "ng/dL")
    _lab(s, record, as_of, "vitamin_d_25oh", "vitamin_d_ng_ml", "ng/mL")
    _lab(s, record, as_of, "calcium", "serum_calcium_mg_dl", "mg/dL")
    _lab(s, record, as_of, "pth", "pth_pg_ml", "pg/mL")
    pth = _pth_with_calcium(record, as_of)
    s.put("pth_with_calcium_pg_ml", None if pth is None else round(pth.value, 2), "pg/mL",
          None if pth is None else pth.date)
    _lab(s, record, as_of, "egfr", "egfr", "mL/min/1.73m²")
    _lab(s, record, as_of, "fsh", "fsh_iu_l", "IU/L")
    # the postmenopausal cut-offs (``_menopause_by_labs``), for the rules and their messages
    s.put("postmenopausal_estradiol_max_pg_ml", POSTMENOPAUSAL_ESTRADIOL_MAX_PG_ML, "pg/mL")
    s.put("postmenopausal_fsh_min_iu_l", POSTMENOPAUSAL_FSH_MIN_IU_L, "IU/L")
    _lab(s, record, as_of, "ctx", "ctx_ng_ml", "ng/mL")
    _lab(s, record, as_of, "p1np", "p1np_ng_ml", "ng/mL")
    _lab(s, record, as_of, "hematocrit", "hematocrit_pct", "%")
    # A result counts as current within the yearly monitoring interval: an abnormal calcium older than
    # that is not treated as today's level, and a current one is not asked for again.
    # Haematocrit on testosterone therapy is checked at baseline, 3-6 and 12 months, then yearly
    # (Bhasin 2018): a result older than that yearly interval does not show the current level.
    for name, fact in (("calcium_recent", "serum_calcium_mg_dl_age_days"),
                       ("egfr_recent", "egfr_age_days"),
                       ("estradiol_recent", "estradiol_pg_ml_age_days"),
                       ("hematocrit_recent", "hematocrit_pct_age_days")):
        age_days = s.value(fact)
        s.put(name, isinstance(age_days, int) and age_days <= LAB_INTERVAL_D)
    s.put("calcium_and_renal_recent", bool(s.value("calcium_recent")) and bool(s.value("egfr_recent")))

    s.put("estradiol_due", lab_due(record, as_of, "estradiol", ai_start))
    s.put("testosterone_due", lab_due(record, as_of, "total_testosterone",
                                       _later(ai_start, trt_start)))
    s.put("vitamin_d_due", lab_due(record, as_of, "vitamin_d_25oh", None))
    s.put("hematocrit_due", lab_due(record, as_of, "hematocrit", trt_start))


#: A PTH is read against a serum calcium drawn with it (Walker and Shane 2022, who give no window).
#: osteotwin pairs the latest PTH with the latest calcium when they are at most this many days apart,
#: osteotwin's choice: 30 days lets the tests of one work-up pair when they were drawn at separate
#: visits a few weeks apart. A PTH from another episode, months away, is not read as the response to
#: this calcium. The window decides which SERUM_CALCIUM_HIGH reading fires (PTH-independent or not).
PTH_CALCIUM_PAIRING_D = 30


def _pth_with_calcium(record: PatientRecord, as_of: dt.date) -> LabResult | None:
    """The latest PTH when it was drawn within ``PTH_CALCIUM_PAIRING_D`` of the latest serum calcium."""
    calcium = record.latest_lab("calcium", on_or_before=as_of)
    pth = record.latest_lab("pth", on_or_before=as_of)
    if calcium is None or pth is None or abs((calcium.date - pth.date).days) > PTH_CALCIUM_PAIRING_D:
        return None
    return pth


def _later(a: dt.date | None, b: dt.date | None) -> dt.date | None:
    dates = [d for d in (a, b) if d is not None]
    return max(dates) if dates else None


def _densitometry(s: FactSheet, dxa: DensitometrySummary, as_of: dt.date,
                  ai_start: dt.date | None) -> None:
    s.put("score_kind", dxa.choice.kind)
    s.put("dxa_on_file", bool(dxa.sites))
    s.put("last_dxa_date", dxa.last_scan_date)
    s.put("dxa_age_days", _days(as_of, dxa.last_scan_date), "days")
    s.put("bmd_category", dxa.category)
    s.put("lowest_score", dxa.lowest_score, None,
          dxa.sites[dxa.lowest_site].date if dxa.lowest_site else None)
    s.put("lowest_score_site", None if dxa.lowest_site is None else dxa.lowest_site.replace("_", " "))
    # the date of the scan that gave the lowest score: with sites scanned on different days it is not
    # the latest DXA's date
    s.put("lowest_score_date", dxa.sites[dxa.lowest_site].date if dxa.lowest_site else None)
    t_scores = [(r.t_score, r.site, r.date) for r in dxa.sites.values() if r.t_score is not None]
    lowest_t = min(t_scores) if t_scores else None
    s.put("lowest_t_score", None if lowest_t is None else lowest_t[0], None,
          None if lowest_t is None else lowest_t[2])
    s.put("lowest_t_site", None if lowest_t is None else lowest_t[1])
    fn = dxa.sites.get("femoral_neck")
    s.put("femoral_neck_t_score", None if fn is None else fn.t_score, None,
          None if fn is None else fn.date)
    losses = dxa.significant_losses
    s.put("bmd_significant_loss", bool(losses))
    s.put("bmd_loss_detail", "; ".join(
        f"{c.site.replace('_', ' ')} {c.change_pct:+g} % from {c.earlier_date} to {c.later_date} "
        f"(LSC {c.lsc_pct:g} %{'' if c.note is None else '; ' + c.note})" for c in losses) or None)
    s.put("ai_start_without_baseline_dxa", ai_start is not None and (
        dxa.last_scan_date is None or dxa.last_scan_date < ai_start - dt.timedelta(days=BASELINE_DXA_WINDOW_D)))


def _intake(s: FactSheet, record: PatientRecord, as_of: dt.date, age: float, sex: str) -> None:
    life = record.lifestyle
    table = targets()
    active = record.active_medications(as_of)
    supp_ca = life.supplement_total("calcium_carbonate", "calcium_citrate") + sum(
        m.daily_dose_mg() or 0.0 for m in active if m.drug in ("calcium_carbonate", "calcium_citrate"))
    supp_d = life.supplement_total("vitamin_d3") + sum(
        (m.dose_iu or 0.0) / (m.every_d or 1.0) for m in active if m.drug == "vitamin_d3")
    s.put("dietary_calcium_mg_d", life.dietary_calcium_mg_d, "mg/d")
    s.put("supplement_calcium_mg_d", round(supp_ca), "mg/d")
    s.put("total_calcium_mg_d", None if life.dietary_calcium_mg_d is None
          else round(life.dietary_calcium_mg_d + supp_ca), "mg/d")
    # Known lower bound of intake: supplements alone, when food calcium is not recorded.
    s.put("calcium_known_min_mg_d", round((life.dietary_calcium_mg_d or 0.0) + supp_ca), "mg/d")
    s.put("calcium_rda_mg_d", target_for(table["calcium_mg_d"]["rda"], sex, age), "mg/d")
    s.put("calcium_ear_mg_d", target_for(table["calcium_mg_d"]["ear"], sex, age), "mg/d")
    s.put("calcium_ul_mg_d", target_for(table["calcium_mg_d"]["upper_level"], sex, age), "mg/d")
    # Supplement intake is known when supplements or vitamin D medicines are listed, or when the
    # lifestyle section was filled in (an empty supplement list then means none); a file without any
    # lifestyle data does not count as "no supplements" (no silent assumption).
    lifestyle_recorded = bool(life.supplements) or any(v is not None for v in (
        life.dietary_calcium_mg_d, life.protein_g_kg_d, life.resistance_sessions_per_week,
        life.impact_sessions_per_week, life.weight_bearing_aerobic_minutes_per_week,
        life.sleep_hours, life.diet_pattern, life.training_setting))
    vitd_meds = any(m.drug == "vitamin_d3" for m in record.medications)
    s.put("vitamin_d_intake_iu_d", round(supp_d) if lifestyle_recorded or vitd_meds else None,
          "IU/d")
    # The part of that intake already taken when the latest 25(OH)D was drawn: supplements listed under
    # lifestyle (undated, so counted as taken then) and vitamin D medicines started on or before the
    # result. A course begun after a low result is treatment of it, not a dose the level failed on.
    level = record.latest_lab("vitamin_d_25oh", on_or_before=as_of)
    at_result = None
    if level is not None and (lifestyle_recorded or vitd_meds):
        at_result = round(life.supplement_total("vitamin_d3") + sum(
            (m.dose_iu or 0.0) / (m.every_d or 1.0) for m in active
            if m.drug == "vitamin_d3" and (m.start is None or m.start <= level.date)))
    s.put("vitamin_d_intake_at_result_iu_d", at_result, "IU/d")
    s.put("vitamin_d_ul_iu_d", target_for(table["vitamin_d_iu_d"]["upper_level"], sex, age), "IU/d")
    s.put("vitamin_d_rda_iu_d", target_for(table["vitamin_d_iu_d"]["rda"], sex, age), "IU/d")
    s.put("vitamin_d_ai_minimum_iu_d",
          target_for(table["vitamin_d_iu_d"]["aromatase_inhibitor_minimum"], sex, age), "IU/d")
    s.put("protein_g_kg_d", life.protein_g_kg_d, "g/kg/d")
    s.put("protein_target_g_kg_d", target_for(table["protein_g_kg_d"]["target"], sex, age), "g/kg/d")
    # At an eGFR below 30 (``diet_ckd``, the rules' condition): the nutrition plan's kidney targets, one set of
    # numbers for both outputs (protein about 0.8 g/kg/d, KDIGO 2012 rec 3.1.2; total calcium
    # 800-1000 mg/d, KDOQI 2020 guideline 4.3)
    # the kidney diet applies: the plan's own reading of its eGFR threshold (the unrounded latest eGFR
    # below DIET_EGFR_LIMIT, 30), which the diet rules read instead of the rounded ``egfr`` fact
    s.put("diet_ckd", diet_ckd(record, as_of))
    s.put("ckd_protein_target_g_kg_d", CKD_PROTEIN_G_PER_KG[0], "g/kg/d")
    s.put("ckd_calcium_min_mg_d", CKD_CALCIUM_MG[0], "mg/d")
    s.put("ckd_calcium_max_mg_d", CKD_CALCIUM_MG[1], "mg/d")


def _fracture_risk(s: FactSheet, risk: FractureRisk) -> None:
    est = risk.primary
    s.put("fracture_risk_model", None if est is None else est.model)
    s.put("fracture_risk_band", None if est is None else est.band)
    ten = None if est is None else (est.major_osteoporotic_10y_pct or est.any_fragility_10y_pct)
    s.put("fracture_risk_10y_pct", ten, "%", None if est is None else est.date)
    s.put("hip_fracture_10y_pct", None if est is None else est.hip_10y_pct, "%",
          None if est is None else est.date)
    hip = s.facts["hip_fracture_10y_pct"]
    # the hip risk beside the total in the messages: "hip 2.1 %", or said not estimated (Garvan's
    # any-fracture model, or an external FRAX given without it), never "not recorded"
    s.put("hip_fracture_risk_words", "hip not estimated" if hip.value is None
          else f"hip {hip.display()}")
    s.put("fracture_risk_not_estimated", "; ".join(risk.not_estimated) if est is None else None)
    # A note that qualifies the estimate (an external FRAX calculated before the latest DXA), shown
    # with the risk findings.
    s.put("fracture_risk_note", "" if est is None or not est.note else f" ({est.note})")
    # the band's cut-offs were set on major osteoporotic fracture (FRAX): an any-fracture estimate
    # (Garvan) leans high, so a treatment discussion it alone proposes carries a lower grade
    s.put("fracture_risk_any_fracture", None if est is None
          else est.major_osteoporotic_10y_pct is None and est.any_fragility_10y_pct is not None)
    # an external FRAX calculated without BMD although a femoral-neck BMD is on file: recalculated
    # with it before it drives a treatment threshold (NOGG 2022; BHOF 2022)
    s.put("fracture_risk_without_available_bmd", est is not None and est.without_available_bmd)


def _composites(s: FactSheet, record: PatientRecord, age: float,
                dxa: DensitometrySummary) -> None:
    """Risk-factor counts and indications that several rules share."""
    h, p = record.history, record.patient
    lowest_t = s.value("lowest_t_score")
    bmi = s.value("bmi_kg_m2")
    # Hadji 2017 AIBL risk factors (glucocorticoids: the file records >= 3 months, Hadji > 6 months).
    hadji = {
        "T-score < -1.5": isinstance(lowest_t, float | int) and lowest_t < -1.5,
        "age > 65": int(age) > 65,  # completed years: 66 or older
        "BMI < 20": isinstance(bmi, float) and bmi < 20,
        "family history of hip fracture": h.parent_hip_fracture is True,
        "fragility fracture after 50": bool(s.value("fracture_history")),
        "oral glucocorticoids": h.glucocorticoids is True,
        "smoking (current or past)": h.smoking in ("current", "former"),
    }
    present = [name for name, yes in hadji.items() if yes]
    s.put("aibl_risk_factor_count", len(present))
    s.put("aibl_risk_factors", ", ".join(present) or "none")
    # Kanis 2005: 3 or more units a day on average; judged on the unrounded weekly total (>= 21/week),
    # not on the rounded daily figure shown to the user (20.9/week is 2.99/day, not 3).
    weekly = h.alcohol_units_per_week
    s.put("alcohol_excess", weekly is not None and weekly / 7.0 >= 3.0)
    # Clinical risk factors that make DXA due before the screening age (Watts 2012; BHOF 2022;
    # ASCO 2019 rec 1.1-2.1).
    clinical = [h.smoking == "current", bool(s.value("alcohol_excess")),
                isinstance(bmi, float) and bmi < 20, h.parent_hip_fracture is True,
                h.rheumatoid_arthritis is True, h.hypogonadism is True,
                (h.falls_last_12_months or 0) >= 1]
    s.put("clinical_risk_factor", any(clinical))
    # ASCO 2019 rec 1.1 and 2.1: in survivors of non-metastatic cancer, offer central DXA to anyone with
    # one or more risk factors, postmenopausal status and hypogonadism included.
    survivor_factors = [*clinical, bool(s.value("fracture_history")), h.glucocorticoids is True,
                        bool(s.value("menopause_confirmed"))
                        or p.menopausal_status == "postmenopausal"]
    # ASCO 2019 is written for survivors of non-metastatic cancer: with metastatic disease named in the
    # conditions neither fact holds, so no rule cites it for her (its calcium advice included)
    survivor = s.put("cancer_survivor", (h.breast_cancer is True or h.prostate_cancer is True)
                     and s.value("metastases_in_conditions") is None)
    s.put("cancer_survivor_at_risk", bool(survivor) and any(survivor_factors))
    # a man's aromatase inhibitor outside breast cancer (AI_USE_IN_MEN): the bone guidance written for
    # women treated for breast cancer (Hadji 2017; ASCO 2019) reaches him only by extrapolation
    s.put("ai_man_off_label", p.sex == "male" and bool(s.value("on_ai"))
          and h.breast_cancer is not True)
    category = s.value("bmd_category")
    # High modelled risk with normal BMD is not fragile bone: BHOF 2022 applies the risk thresholds to
    # low bone mass (T between -1.0 and -2.5); ESSA 2017 precautions are for osteoporosis/fracture.
    fragile = category == "osteoporosis" or bool(s.value("fracture_history")) or (
        s.value("fracture_risk_band") == "high" and category != "normal")
    s.put("bone_fragile", fragile)
    treated_group = bool(s.value("on_ai")) or bool(s.value("on_antiresorptive")) or \
        h.glucocorticoids is True or bool(s.value("on_gnrh_agonist"))
    s.put("bone_health_indication", treated_group or fragile or category == "low_bone_mass"
          or bool(s.value("bmd_significant_loss")))
    by_age = (p.sex == "female" and age >= 65) or (p.sex == "male" and age >= 70)
    by_risk = bool(s.value("clinical_risk_factor")) and (
        (p.sex == "male" and age >= 50) or bool(s.value("menopause_confirmed"))
        or p.menopausal_status in ("postmenopausal", "perimenopausal"))
    after_denosumab = _after_denosumab_dxa(s, record)
    s.put("dxa_after_denosumab_due", after_denosumab)
    reasons = tuple(label for label, yes in (
        ("aromatase inhibitor", bool(s.value("on_ai"))),
        ("antiresorptive therapy", bool(s.value("on_antiresorptive"))),
        # ACR 2017: BMD within 6 months of starting glucocorticoids from age 40
        ("long-term glucocorticoids", h.glucocorticoids is True and age >= 40),
        ("GnRH agonist", bool(s.value("on_gnrh_agonist"))),
        ("fragility fracture", bool(s.value("fracture_history"))),
        ("screening age", by_age),
        ("age with clinical risk factors", by_risk),
        ("cancer survivor with a risk factor (ASCO 2019)", bool(s.value("cancer_survivor_at_risk"))),
        ("denosumab stopped (ECTS 2021)", after_denosumab is not None),
    ) if yes)
    if s.value("bone_metastases_in_conditions") is not None:
        # bone metastases: the osteoporosis DXA schedule does not apply (the monitoring row says why)
        reasons = ()
    last = s.value("last_dxa_date")
    as_of = s.value("as_of")
    assert isinstance(as_of, dt.date)
    # ovarian suppression with an AI in a woman not recorded as postmenopausal (ABCSG-12; Hadji 2017)
    ofs_ai = s.put("ovarian_suppression_with_ai", p.sex == "female" and bool(s.value("on_ai"))
                   and bool(s.value("on_gnrh_agonist")) and p.menopausal_status != "postmenopausal")
    plan = dxa_plan(
        as_of=as_of, reasons=reasons, last_scan=last if isinstance(last, dt.date) else None,
        ofs_ai=bool(ofs_ai),
        # A fragility fracture (vertebral or other) puts a person outside the screening intervals by
        # T-score: Gourlay 2012 excluded prior hip and clinical vertebral fractures. They are followed
        # like osteoporosis, whatever their BMD.
        on_treatment=treated_group or category == "osteoporosis"
        or bool(s.value("bmd_significant_loss")) or bool(s.value("fracture_history"))
        or after_denosumab is not None,
        after_denosumab=after_denosumab,
        lowest_score=s.value("lowest_score"),
        baseline_missing=bool(s.value("ai_start_without_baseline_dxa")),
        # a loss beyond the LSC on the inhibitor, which continues: the short end of the 1-2 years on
        # an AI (Hadji 2017: BMD rechecked after 12-24 months; ESMO 2020). The loss is the AI's only
        # when its later scan was taken on an AI started before it (unknown start: started, as in
        # Medication.active_on); a loss measured before the AI started is not.
        loss_on_ai=bool(s.put("bmd_significant_loss_on_ai", bool(s.value("on_ai")) and any(
            _loss_during(record, loss, m)
            for loss in dxa.significant_losses
            for m in _active(record, loss.later_date, "aromatase_inhibitor")))))
    # a loss measured across an antiresorptive: its earlier scan no earlier than the course's start
    s.put("bmd_significant_loss_on_antiresorptive", any(
        _loss_during(record, loss, m)
        for loss in dxa.significant_losses
        for m in _active(record, loss.later_date, "bisphosphonate", "rankl_inhibitor")))
    s.put("dxa_indicated", bool(plan.reasons))
    s.put("dxa_indication", ", ".join(plan.reasons) or None)
    s.put("dxa_interval_months", plan.interval_months, "months")
    s.put("dxa_interval_note", plan.interval_note)
    s.put("next_dxa_due", plan.next_due)
    s.put("dxa_overdue", plan.overdue)
    # the due date is the after-denosumab one (ECTS 2021), earlier than the interval's
    s.put("dxa_due_after_denosumab", plan.due_after_denosumab)
    s.put("dxa_due_soon", plan.due_soon)
