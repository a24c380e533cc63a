"""Daily nutrient targets for bone health by age, sex and body weight, each with its source.

Reference values (adults):
- Calcium RDA and UL, vitamin D RDA and UL: IOM 2011 [IOM2011]; on an aromatase inhibitor, vitamin D at
  least 800 IU/d, the lower end of ASCO 2019's 800-1000 IU/d for cancer survivors at risk [ASCO2019];
  for a man (or an inhibitor taken for another reason than breast cancer) that is an extrapolation from
  women with breast cancer, and the target says so [OSTEOTWIN].
- Protein 1.0-1.2 g/kg/d, worded by who it is set for: older adults, 65 and over [ESCEO2018]
  [PROT-AGE], and postmenopausal women [ESCEO2014] [ESCEO2018]; for a younger adult the same 1.0 g/kg/d
  is the planner's choice, a little above the adult RDA of 0.8 g/kg/d [IOM2005], since intakes above
  the RDA may slow bone loss in adults but the evidence is mainly from older people [ESCEO2018]
  [OSTEOTWIN]; without a weight, the adult RDA in g/d [IOM2005].
- Magnesium RDA [IOM1997]; its UL (350 mg/d) applies to supplements only, not to food.
- Vitamin K AI [IOM2001]; potassium AI and the sodium chronic-disease-risk-reduction intake [NASEM2019].
- Energy: Mifflin-St Jeor resting energy [MIFFLIN1990] x 1.5 activity factor (our choice for a person
  following the exercise program) ± 10 % [OSTEOTWIN]; fixed reference values when height, weight or age
  is missing [OSTEOTWIN].

With an eGFR below 30 mL/min/1.73 m² (CKD G4-G5): protein is aimed at about 0.8 g/kg/d [KDIGO2012, rec.
3.1.2] (0.8-0.9 g/kg/d in the plan, room for whole portions [OSTEOTWIN]); total calcium, food plus
supplements, 800-1000 mg/d [KDOQI2020, guideline 4.3: CKD 3-4 not taking active vitamin D]; potassium
is not pursued and food stays under the healthy-adult AI, so no high-potassium food is pushed
[NASEM2019] [OSTEOTWIN]. The clinician or a renal dietitian sets the intake.

With a high serum calcium (the assessment's SERUM_CALCIUM_HIGH) calcium and vitamin D get no minimum
(``hold_calcium_and_vitamin_d``): the assessment asks for the cause first and raises neither meanwhile
(its REVIEW_SERUM_CALCIUM); food calcium is kept at or under the recorded intake, neither raised nor
cut, and no supplement is suggested until the cause is known [OSTEOTWIN].

Calcium and vitamin D come from the assessment's intake table (``osteotwin.clinic.reference``), so the
plan and ``osteotwin assess`` agree. Protein: the assessment flags intakes below 0.8 g/kg/d (under 65) or
1.0 g/kg/d (65 and over); the plan aims at 1.0 g/kg/d for everyone, the lower end of the bone-health
range [ESCEO2018].
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from osteotwin.clinic.kidney_diet import CKD_CALCIUM_MG, CKD_PROTEIN_G_PER_KG
from osteotwin.clinic.reference import target_for
from osteotwin.clinic.reference import targets as intake_targets

ACTIVITY_FACTOR = 1.5  # [OSTEOTWIN] light-to-moderate activity, a program of ~150 min/week plus lifting
ENERGY_TOLERANCE = 0.10  # [OSTEOTWIN] a day's energy may sit within ±10 % of the estimate
PROTEIN_G_PER_KG = (1.0, 1.2)  # [ESCEO2018]
#: Age from which the 1.0-1.2 g/kg/d protein range is set for older adults [PROT-AGE: over 65]
#: [ESCEO2018]; the assessment's higher protein cut-off starts at the same age.
OLDER_ADULT_PROTEIN_AGE = 65.0
#: Median age at the final menstrual period: a woman whose menopausal status is not recorded is taken as
#: postmenopausal from here (as the simulator assumes) [OSTEOTWIN]
MENOPAUSE_AGE = 51.0
@dataclass(frozen=True)
class NutrientTarget:
    """A daily target for one SR28 nutrient column; ``minimum``/``maximum`` in the column's unit."""

    nutrient: str
    label: str
    unit: str
    minimum: float | None
    maximum: float | None
    basis: str
    sources: tuple[str, ...]
    #: True when the maximum is an upper level for total intake (food plus supplements).
    maximum_includes_supplements: bool = False
    #: what the maximum is, in words ("upper level" of the DRIs, or a guideline's upper end)
    maximum_name: str = "upper level"
    #: why the nutrient is held at its current intake, not raised (None: a target like any other)
    held: str | None = None


@dataclass(frozen=True)
class NutritionTargets:
    targets: tuple[NutrientTarget, ...]
    energy_kcal: float
    energy_basis: str
    energy_sources: tuple[str, ...]
    notes: tuple[str, ...] = ()

    def get(self, nutrient: str) -> NutrientTarget:
        for target in self.targets:
            if target.nutrient == nutrient:
                return target
        raise KeyError(nutrient)

    def headline(self) -> dict[str, float]:
        """``{"calcium_mg": 1200, ...}``: the minimum (or, for limits, the maximum) of each target."""
        out: dict[str, float] = {}
        for t in self.targets:
            value = t.minimum if t.minimum is not None else t.maximum
            if value is not None:
                out[t.nutrient] = round(value, 1)
        out["energy_kcal"] = round(self.energy_kcal)
        return out


def _assessment_band(nutrient: str, kind: str, sex: str, age_years: float) -> float:
    """A value from the assessment's intake table (``data/clinic/targets.yaml``, IOM 2011), so the plan
    and ``osteotwin assess`` use one set of numbers."""
    value = target_for(intake_targets()[nutrient][kind], sex, age_years)
    if value is None:
        raise ValueError(f"no {nutrient} {kind} for a {sex} aged {age_years:.0f}")
    return value


def calcium_rda_mg(sex: str, age_years: float) -> float:
    """[IOM2011] 19-50 y: 1000; 51-70 y: men 1000, women 1200; 71 y and over: 1200 mg/d."""
    return _assessment_band("calcium_mg_d", "rda", sex, age_years)


def calcium_ul_mg(age_years: float) -> float:
    """[IOM2011] 19-50 y: 2500 mg/d; 51 y and over: 2000 mg/d (food plus supplements)."""
    return _assessment_band("calcium_mg_d", "upper_level", "any", age_years)


def vitamin_d_rda_iu(age_years: float) -> float:
    """[IOM2011] 600 IU/d to age 70; 800 IU/d from 71."""
    return _assessment_band("vitamin_d_iu_d", "rda", "any", age_years)


def vitamin_d_ai_minimum_iu(age_years: float) -> float:
    """[ASCO2019] at least 800 IU/d on an aromatase inhibitor."""
    return _assessment_band("vitamin_d_iu_d", "aromatase_inhibitor_minimum", "any", age_years)


def vitamin_d_target(age_years: float, on_aromatase_inhibitor: bool, sex: str | None = None,
                     ai_for_breast_cancer: bool | None = None) -> NutrientTarget:
    """The RDA, raised to the aromatase-inhibitor minimum when one is taken; UL for food plus
    supplements [IOM2011]. ASCO 2019's advice is for cancer survivors, its aromatase-inhibitor case
    women with breast cancer: for a man, or an inhibitor not taken for breast cancer, the target says
    it is extrapolated from them [OSTEOTWIN]."""
    rda = vitamin_d_rda_iu(age_years)
    ai_minimum = vitamin_d_ai_minimum_iu(age_years)
    if on_aromatase_inhibitor and ai_minimum > rda:
        who = ("a man" if sex == "male" else
               "an aromatase inhibitor not taken for breast cancer" if ai_for_breast_cancer is False
               else None)
        if who is not None:
            return NutrientTarget(
                "vitamin_d_iu", "Vitamin D", "IU", ai_minimum, VITAMIN_D_UL_IU,
                f"at least {ai_minimum:.0f} IU/d on an aromatase inhibitor, extrapolated to {who} "
                "from ASCO 2019's advice for cancer survivors (women with breast cancer on an aromatase "
                f"inhibitor): no guideline sets it for this case (RDA {rda:.0f}); UL for food plus "
                "supplements", ("ASCO2019", "IOM2011", "OSTEOTWIN"), maximum_includes_supplements=True)
        return NutrientTarget("vitamin_d_iu", "Vitamin D", "IU", ai_minimum, VITAMIN_D_UL_IU,
                              f"at least {ai_minimum:.0f} IU/d on an aromatase inhibitor (RDA "
                              f"{rda:.0f}); UL for food plus supplements", ("ASCO2019", "IOM2011"),
                              maximum_includes_supplements=True)
    return NutrientTarget("vitamin_d_iu", "Vitamin D", "IU", rda, VITAMIN_D_UL_IU,
                          "RDA; UL for food plus supplements", ("IOM2011",),
                          maximum_includes_supplements=True)


VITAMIN_D_UL_IU = 4000.0  # [IOM2011]


def magnesium_rda_mg(sex: str, age_years: float) -> float:
    """[IOM1997] men 400 (19-30 y) / 420 mg/d; women 310 (19-30 y) / 320 mg/d."""
    if sex == "male":
        return 400.0 if age_years < 31 else 420.0
    return 310.0 if age_years < 31 else 320.0


def vitamin_k_ai_mcg(sex: str) -> float:
    """[IOM2001] adequate intake: men 120, women 90 µg/d (phylloquinone)."""
    return 120.0 if sex == "male" else 90.0


def potassium_ai_mg(sex: str) -> float:
    """[NASEM2019] adequate intake: men 3400, women 2600 mg/d."""
    return 3400.0 if sex == "male" else 2600.0


SODIUM_CDRR_MG = 2300.0  # [NASEM2019] reduce intake if above 2300 mg/d


def protein_rda_g(sex: str) -> float:
    """[IOM2005] adult protein RDA (g/d): men 56, women 46 (0.8 g/kg/d of a reference weight)."""
    return 56.0 if sex == "male" else 46.0


def is_postmenopausal(sex: str, age_years: float, menopausal_status: str | None) -> bool:
    """A woman recorded as postmenopausal, or with no status recorded from ``MENOPAUSE_AGE`` on."""
    if sex != "female":
        return False
    if menopausal_status is not None:
        return menopausal_status == "postmenopausal"
    return age_years >= MENOPAUSE_AGE


def protein_target_g(sex: str, weight_kg: float | None, age_years: float | None = None,
                     postmenopausal: bool | None = None) -> tuple[float, str, tuple[str, ...]]:
    """Minimum protein (g/d), its basis and sources, worded by who the range is set for (older adults
    [ESCEO2018] [PROT-AGE], postmenopausal women [ESCEO2014] [ESCEO2018]) and, for a younger adult,
    what the planner's 1.0 g/kg/d rests on [IOM2005] [ESCEO2018] [OSTEOTWIN]. ``age_years`` None:
    the older-adult wording (the range's own population). ``postmenopausal`` None: taken from sex and
    age (``is_postmenopausal``)."""
    if weight_kg is not None:
        low, high = PROTEIN_G_PER_KG
        if postmenopausal is None:
            postmenopausal = age_years is not None and is_postmenopausal(sex, age_years, None)
        if age_years is None or age_years >= OLDER_ADULT_PROTEIN_AGE:
            return (low * weight_kg,
                    f"{low:g}-{high:g} g/kg/d for bone health in older adults (65 and over) × "
                    f"{weight_kg:g} kg", ("ESCEO2018", "PROT-AGE"))
        if postmenopausal:
            return (low * weight_kg,
                    f"{low:g}-{high:g} g/kg/d for bone and muscle health in postmenopausal women × "
                    f"{weight_kg:g} kg", ("ESCEO2014", "ESCEO2018"))
        return (low * weight_kg,
                f"{low:g} g/kg/d × {weight_kg:g} kg, a little above the adult RDA of 0.8 g/kg/d: "
                f"ESCEO 2018's {low:g}-{high:g} g/kg/d is set for older adults and postmenopausal women, "
                "and for a younger adult starting bone-loading exercise it is the planner's choice "
                "(protein above the RDA may slow bone loss in adults, the evidence mostly from older "
                "people)", ("IOM2005", "ESCEO2018", "OSTEOTWIN"))
    rda = protein_rda_g(sex)
    return rda, "adult RDA (weight not recorded, so g/kg targets cannot be computed)", ("IOM2005",)


def resting_energy_kcal(sex: str, age_years: float, weight_kg: float, height_cm: float) -> float:
    """Mifflin-St Jeor resting energy expenditure (kcal/d) [MIFFLIN1990]."""
    base = 10.0 * weight_kg + 6.25 * height_cm - 5.0 * age_years
    return base + (5.0 if sex == "male" else -161.0)


def energy_target_kcal(
    sex: str, age_years: float, weight_kg: float | None, height_cm: float | None
) -> tuple[float, str, tuple[str, ...]]:
    """Estimated daily energy need (kcal/d), its basis and sources."""
    if weight_kg is not None and height_cm is not None:
        ree = resting_energy_kcal(sex, age_years, weight_kg, height_cm)
        return (ree * ACTIVITY_FACTOR,
                f"Mifflin-St Jeor {ree:.0f} kcal × activity {ACTIVITY_FACTOR:g}",
                ("MIFFLIN1990", "OSTEOTWIN"))
    fixed = 2400.0 if sex == "male" else 1900.0
    return fixed, "reference value (height or weight not recorded)", ("OSTEOTWIN",)


def ckd_protein_target_g(sex: str, weight_kg: float | None) -> tuple[float, float, str]:
    """Protein band (g/d) and basis for an eGFR below 30 [KDIGO2012] [OSTEOTWIN]."""
    low, high = CKD_PROTEIN_G_PER_KG
    if weight_kg is not None:
        return (low * weight_kg, high * weight_kg,
                f"about {low:g} g/kg/d × {weight_kg:g} kg ({low:g}-{high:g} g/kg/d in the plan) at an "
                "eGFR below 30 (KDIGO 2012 rec. 3.1.2); the clinician or a renal dietitian sets the "
                "intake")
    rda = protein_rda_g(sex)  # the RDA is 0.8 g/kg/d of a reference weight
    return (rda, rda * high / low,
            "adult RDA (0.8 g/kg/d of a reference weight; weight not recorded) at an eGFR below 30 "
            "(KDIGO 2012 rec. 3.1.2); the clinician or a renal dietitian sets the intake")


def nutrient_targets(
    sex: str, age_years: float, weight_kg: float | None = None, height_cm: float | None = None,
    on_aromatase_inhibitor: bool = False, reduced_kidney_function: bool = False,
    egfr_below_30: bool = False, postmenopausal: bool | None = None,
    ai_for_breast_cancer: bool | None = None,
) -> NutritionTargets:
    """Daily targets for an adult (``age_years`` >= 19).

    ``reduced_kidney_function`` (the assessment found a low eGFR): the DRIs used here are set for
    healthy people [NASEM2019] [IOM2005], and no kidney-specific protein or potassium target is among
    the project's sources, so the plan does not push either: potassium has no minimum, and protein is
    kept within the bone-health range (at most 1.2 g/kg/d [ESCEO2018]) instead of rising with the
    dairy and legumes chosen for calcium [OSTEOTWIN]. The intake itself is for the clinician or a
    renal dietitian.

    ``egfr_below_30`` (CKD G4-G5): protein about 0.8 g/kg/d [KDIGO2012], calcium 800-1000 mg/d from
    food and supplements together [KDOQI2020], and potassium kept under the AI for healthy people so
    that no high-potassium food is pushed [OSTEOTWIN].

    ``postmenopausal`` (None: from sex and age) and ``ai_for_breast_cancer`` (None: not known) word
    the protein and vitamin D targets for whom their sources were written."""
    protein_min, protein_basis, protein_src = protein_target_g(sex, weight_kg, age_years,
                                                               postmenopausal)
    protein_max: float | None = None
    if reduced_kidney_function and weight_kg is not None:
        protein_max = PROTEIN_G_PER_KG[1] * weight_kg
        protein_basis += (f"; at most {PROTEIN_G_PER_KG[1]:g} g/kg/d while kidney function is reduced "
                          "(the clinician or a renal dietitian sets the intake)")
        protein_src = tuple(dict.fromkeys((*protein_src, "OSTEOTWIN")))
    potassium_min: float | None = potassium_ai_mg(sex)
    potassium_basis = "AI"
    if reduced_kidney_function:
        potassium_min = None
        potassium_basis = ("not pursued: kidney function is reduced, and the AI "
                           f"({potassium_ai_mg(sex):.0f} mg/d) is set for healthy people; the "
                           "clinician or a renal dietitian sets the intake")
    potassium_max: float | None = None
    potassium_src: tuple[str, ...] = ("NASEM2019",)
    calcium = NutrientTarget("calcium_mg", "Calcium", "mg", calcium_rda_mg(sex, age_years),
                             calcium_ul_mg(age_years), "RDA; UL for food plus supplements", ("IOM2011",),
                             maximum_includes_supplements=True)
    if egfr_below_30:
        low, high, protein_basis = ckd_protein_target_g(sex, weight_kg)
        protein_min, protein_max = low, high
        protein_src = ("KDIGO2012", "OSTEOTWIN") if weight_kg is not None else \
            ("KDIGO2012", "IOM2005", "OSTEOTWIN")
        potassium_min, potassium_max = None, potassium_ai_mg(sex)
        potassium_basis = ("not pursued at an eGFR below 30: food is kept at or under the AI for "
                           f"healthy people ({potassium_ai_mg(sex):.0f} mg/d), so no high-potassium "
                           "food is pushed; this is not a kidney target: the clinician or a renal "
                           "dietitian sets the intake")
        potassium_src = ("NASEM2019", "OSTEOTWIN")
        ca_low, ca_high = CKD_CALCIUM_MG
        calcium = NutrientTarget(
            "calcium_mg", "Calcium", "mg", ca_low, ca_high,
            f"total {ca_low:.0f}-{ca_high:.0f} mg/d, food and supplements together, at an eGFR below "
            "30 (KDOQI 2020 guideline 4.3, for CKD 3-4 not taking active vitamin D; with active "
            "vitamin D or on dialysis the renal team sets it)", ("KDOQI2020",),
            maximum_includes_supplements=True, maximum_name="guideline's upper end")
    energy, energy_basis, energy_src = energy_target_kcal(sex, age_years, weight_kg, height_cm)
    targets = (
        calcium,
        vitamin_d_target(age_years, on_aromatase_inhibitor, sex, ai_for_breast_cancer),
        NutrientTarget("protein_g", "Protein", "g", protein_min, protein_max, protein_basis,
                       protein_src),
        NutrientTarget("magnesium_mg", "Magnesium", "mg", magnesium_rda_mg(sex, age_years), None,
                       "RDA (the 350 mg/d UL applies to supplements only)", ("IOM1997",)),
        NutrientTarget("vitamin_k1_mcg", "Vitamin K (phylloquinone)", "µg", vitamin_k_ai_mcg(sex), None,
                       "AI", ("IOM2001",)),
        NutrientTarget("potassium_mg", "Potassium", "mg", potassium_min, potassium_max, potassium_basis,
                       potassium_src),
        NutrientTarget("sodium_mg", "Sodium", "mg", None, SODIUM_CDRR_MG,
                       "chronic-disease risk reduction intake (upper limit of the plan)", ("NASEM2019",)),
    )
    notes: list[str] = []
    if age_years < 19:
        notes.append("targets are for adults (19 y and over); this person is younger")
    return NutritionTargets(targets, energy, energy_basis, energy_src, tuple(notes))


#: Where the assessment's advice on a high serum calcium comes from (its rule, for the reader).
HIGH_CALCIUM_DEFERRAL = "the assessment's REVIEW_SERUM_CALCIUM: the cause is found first"


def hold_calcium_and_vitamin_d(targets: NutritionTargets, high_calcium: str, sex: str,
                               age_years: float, dietary_calcium_mg: float | None) -> NutritionTargets:
    """``targets`` with calcium and vitamin D held while serum calcium is high (``high_calcium``
    says which result): food calcium kept at the recorded intake (mg/d; at most the RDA [IOM2011]
    when none is recorded, no minimum), neither raised nor cut; vitamin D with no minimum, under
    its UL [IOM2011]. The targets wait for the cause (``HIGH_CALCIUM_DEFERRAL``) [OSTEOTWIN]."""
    wait = f"not raised while {high_calcium}: the target waits for the cause ({HIGH_CALCIUM_DEFERRAL})"
    sources: tuple[str, ...]
    if dietary_calcium_mg is not None:
        kept = min(dietary_calcium_mg, calcium_ul_mg(age_years))
        low: float | None = kept
        food, sources = f"food kept at the recorded {kept:.0f} mg/d, neither raised nor cut", ("OSTEOTWIN",)
    else:
        low, kept = None, calcium_rda_mg(sex, age_years)
        food, sources = (f"no food intake recorded: food at most the RDA ({kept:.0f} mg/d)",
                         ("IOM2011", "OSTEOTWIN"))
    calcium = NutrientTarget(
        "calcium_mg", "Calcium", "mg", low, kept,
        f"{wait}; {food}; a supplement is reviewed apart", sources,
        maximum_name="current intake", held=high_calcium)
    vitamin_d = NutrientTarget(
        "vitamin_d_iu", "Vitamin D", "IU", None, VITAMIN_D_UL_IU,
        f"{wait}; whether a low 25(OH)D is then corrected depends on the cause; UL for food plus "
        "supplements", ("IOM2011", "OSTEOTWIN"), maximum_includes_supplements=True, held=high_calcium)
    held = {"calcium_mg": calcium, "vitamin_d_iu": vitamin_d}
    return replace(targets, targets=tuple(held.get(t.nutrient, t) for t in targets.targets))
