"""Citations used by the plan: every target, rule and exercise choice names one of these keys.

Exercise keys are those of ``data/plan/protocols.md`` (copied from shared/data/exercise/protocols.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

SOURCES: Mapping[str, str] = {
    # exercise (see protocols.md, "Sources")
    "LIFTMOR": "Watson SL et al. High-intensity resistance and impact training improves bone mineral "
               "density and physical function in postmenopausal women with osteopenia and osteoporosis: "
               "the LIFTMOR randomized controlled trial. J Bone Miner Res. 2018;33(2):211-220. "
               "doi:10.1002/jbmr.3284",
    "LIFTMOR-M": "Harding AT et al. LIFTMOR-M semi-randomized controlled trial. J Bone Miner Res. "
                 "2020;35(8):1404-1414. doi:10.1002/jbmr.4008",
    "ESSA": "Beck BR, Daly RM, Singh MAF, Taaffe DR. ESSA position statement on exercise prescription for "
            "the prevention and management of osteoporosis. J Sci Med Sport. 2017;20(5):438-445. "
            "doi:10.1016/j.jsams.2016.10.001",
    "HBA-2025": "Healthy Bones Australia. Exercise prescription to support the management of "
                "osteoporosis (statement for physiotherapists and exercise physiologists), 2025",
    "TTFF14": "Giangregorio LM et al. Too Fit To Fracture: exercise recommendations for individuals with "
              "osteoporosis or osteoporotic vertebral fracture. Osteoporos Int. 2014;25(3):821-835. "
              "doi:10.1007/s00198-013-2523-2",
    "TTFF15": "Giangregorio LM et al. Too Fit To Fracture: outcomes of a Delphi consensus process on "
              "physical activity and exercise recommendations for adults with osteoporosis with or without "
              "vertebral fractures. Osteoporos Int. 2015;26(3):891-910. doi:10.1007/s00198-014-2881-4",
    "TTFF-handout": "Osteoporosis Canada. Too Fit to Fall or Fracture (patient handout)",
    "ACSM04": "Kohrt WM et al. ACSM position stand: physical activity and bone health. Med Sci Sports "
              "Exerc. 2004;36(11):1985-1996",
    "ACSM09": "American College of Sports Medicine (Ratamess NA et al.). Progression models in resistance "
              "training for healthy adults. Med Sci Sports Exerc. 2009;41(3):687-708",
    "UK22": "Brooke-Wavell K et al. Strong, steady and straight: UK consensus statement on physical "
            "activity and exercise for osteoporosis. Br J Sports Med. 2022;56(15):837-846. "
            "doi:10.1136/bjsports-2021-104634",
    "HOPE": "Irwin ML et al. Randomized exercise trial of aromatase inhibitor-induced arthralgia in breast "
            "cancer survivors. J Clin Oncol. 2015;33(10):1104-1111. doi:10.1200/JCO.2014.57.1547",
    "ACSM-PPS2015": "Riebe D, Franklin BA, Thompson PD, et al. Updating ACSM's Recommendations for "
                    "Exercise Preparticipation Health Screening. Med Sci Sports Exerc. "
                    "2015;47(11):2473-2479. doi:10.1249/MSS.0000000000000664",
    "CUMMINGS2018": "Cummings SR, Ferrari S, Eastell R, et al. Vertebral fractures after discontinuation "
                    "of denosumab: a post hoc analysis of the randomized placebo-controlled FREEDOM trial "
                    "and its extension. J Bone Miner Res. 2018;33(2):190-198. doi:10.1002/jbmr.3337",
    "ECTS2021": "Tsourdi E, Zillikens MC, Meier C, et al. Fracture risk and management of discontinuation "
                "of denosumab therapy: a systematic review and position statement by ECTS. J Clin "
                "Endocrinol Metab. 2021;106(1):264-281. doi:10.1210/clinem/dgaa756",
    "IBMEWG": "Campbell KL et al. Exercise recommendation for people with bone metastases: expert "
              "consensus for health care providers and exercise professionals. JCO Oncol Pract. 2022",
    # nutrition
    "IOM2011": "Institute of Medicine. Dietary Reference Intakes for Calcium and Vitamin D. Washington DC: "
               "National Academies Press; 2011 (summary: Ross AC et al. J Clin Endocrinol Metab. "
               "2011;96(1):53-58. doi:10.1210/jc.2010-2704)",
    "ASCO2019": "Shapiro CL et al. Management of osteoporosis in survivors of adult cancers with "
                "nonmetastatic disease: ASCO clinical practice guideline. J Clin Oncol. "
                "2019;37(31):2916-2946. doi:10.1200/JCO.19.01696",
    "IOM1997": "Institute of Medicine. Dietary Reference Intakes for Calcium, Phosphorus, Magnesium, "
               "Vitamin D, and Fluoride. Washington DC: National Academies Press; 1997",
    "IOM2001": "Institute of Medicine. Dietary Reference Intakes for Vitamin A, Vitamin K, Arsenic, Boron, "
               "Chromium, Copper, Iodine, Iron, Manganese, Molybdenum, Nickel, Silicon, Vanadium, and "
               "Zinc. Washington DC: National Academies Press; 2001",
    "IOM2005": "Institute of Medicine. Dietary Reference Intakes for Energy, Carbohydrate, Fiber, Fat, "
               "Fatty Acids, Cholesterol, Protein, and Amino Acids. Washington DC: National Academies "
               "Press; 2005",
    "NASEM2019": "National Academies of Sciences, Engineering, and Medicine. Dietary Reference Intakes for "
                 "Sodium and Potassium. Washington DC: National Academies Press; 2019. "
                 "doi:10.17226/25353",
    "ESCEO2018": "Rizzoli R et al. Benefits and safety of dietary protein for bone health: an expert "
                 "consensus paper endorsed by ESCEO, IOF and IFCN. Osteoporos Int. 2018;29(9):1933-1948. "
                 "doi:10.1007/s00198-018-4534-5",
    "ESCEO2014": "Rizzoli R, Stevenson JC, Bauer JM, et al. The role of dietary protein and vitamin D in "
                 "maintaining musculoskeletal health in postmenopausal women: a consensus statement from "
                 "the European Society for Clinical and Economic Aspects of Osteoporosis and "
                 "Osteoarthritis (ESCEO). Maturitas. 2014;79(1):122-132. "
                 "doi:10.1016/j.maturitas.2014.07.005",
    "PROT-AGE": "Bauer J, Biolo G, Cederholm T, et al. Evidence-based recommendations for optimal dietary "
                "protein intake in older people: a position paper from the PROT-AGE Study Group. J Am "
                "Med Dir Assoc. 2013;14(8):542-559. doi:10.1016/j.jamda.2013.05.021",
    "KDIGO2012": "Kidney Disease: Improving Global Outcomes (KDIGO) CKD Work Group. KDIGO 2012 Clinical "
                 "Practice Guideline for the Evaluation and Management of Chronic Kidney Disease. Kidney "
                 "Int Suppl. 2013;3(1):1-150 (recommendation 3.1.2: protein 0.8 g/kg/d at GFR < 30)",
    "KDOQI2020": "Ikizler TA, Burrowes JD, Byham-Gray LD, et al. KDOQI Clinical Practice Guideline for "
                 "Nutrition in CKD: 2020 Update. Am J Kidney Dis. 2020;76(3 Suppl 1):S1-S107 (guideline "
                 "4.3: total calcium 800-1000 mg/d in CKD 3-4 not taking active vitamin D)",
    "ESPEN2019": "Volkert D, Beck AM, Cederholm T, et al. ESPEN guideline on clinical nutrition and "
                 "hydration in geriatrics. Clin Nutr. 2019;38(1):10-47. doi:10.1016/j.clnu.2018.05.024",
    "WHO-BMI": "World Health Organization. Obesity: preventing and managing the global epidemic. Report "
               "of a WHO consultation. WHO Technical Report Series 894. Geneva: WHO; 2000",
    "MIFFLIN1990": "Mifflin MD, St Jeor ST et al. A new predictive equation for resting energy "
                   "expenditure in healthy individuals. Am J Clin Nutr. 1990;51(2):241-247",
    "WEAVER1999": "Weaver CM, Proulx WR, Heaney R. Choices for achieving adequate dietary calcium with a "
                  "vegetarian diet. Am J Clin Nutr. 1999;70(3 Suppl):543S-548S",
    "DGA2020": "US Department of Agriculture and US Department of Health and Human Services. Dietary "
               "Guidelines for Americans, 2020-2025. 9th Edition. December 2020. DietaryGuidelines.gov "
               "(adult pattern: 3 cup-equivalents of dairy a day; at least 8 ounces of seafood a week)",
    "SR28": "US Department of Agriculture, Agricultural Research Service, Nutrient Data Laboratory. USDA "
            "National Nutrient Database for Standard Reference, Release 28. Version Current: "
            "September 2015 (public domain)",
    "KAMAO2007": "Kamao M et al. Vitamin K content of foods and dietary vitamin K intake in Japanese young "
                 "women. J Nutr Sci Vitaminol. 2007;53(6):464-470. doi:10.3177/jnsv.53.464",
    "TSUKAMOTO2000": "Tsukamoto Y et al. Intake of fermented soybean (natto) increases circulating "
                     "vitamin K2 (menaquinone-7) and gamma-carboxylated osteocalcin concentration in "
                     "normal individuals. J Bone Miner Metab. 2000;18(4):216-222. "
                     "doi:10.1007/s007740070023",
    "FDA-ALLERGEN": "US Food and Drug Administration. Food Allergen Labeling and Consumer Protection Act "
                    "(FALCPA) guidance: tree nuts (includes coconut)",
    "OSTEOTWIN": "osteotwin planner choice (documented in the code; not from a published source)",
}


#: What kind of evidence each source is and its grade, on the assessment's scale
#: (``clinic.engine.GRADE_MEANING``: A randomised trials or meta-analyses, B cohort or other
#: observational studies, C guideline or consensus recommendation, D expert opinion or
#: extrapolation). Reference data (food composition, labelling law) back a number, not a
#: recommendation, so they carry no grade. Graded from each publication's own design as its
#: citation above states it.
SOURCE_EVIDENCE: Mapping[str, tuple[str | None, str]] = {
    "LIFTMOR": ("A", "randomised controlled trial"),
    "LIFTMOR-M": ("B", "semi-randomised controlled trial"),
    "ESSA": ("C", "position statement"),
    "HBA-2025": ("C", "position statement"),
    "TTFF14": ("C", "consensus recommendations"),
    "TTFF15": ("C", "Delphi consensus"),
    "TTFF-handout": ("C", "patient handout of a consensus (Too Fit To Fracture)"),
    "ACSM04": ("C", "position stand"),
    "ACSM09": ("C", "position stand"),
    "UK22": ("C", "consensus statement"),
    "HOPE": ("A", "randomised controlled trial"),
    "ACSM-PPS2015": ("C", "screening recommendation"),
    "CUMMINGS2018": ("B", "post hoc analysis of a randomised trial"),
    "ECTS2021": ("C", "systematic review and position statement"),
    "IBMEWG": ("C", "expert consensus"),
    "IOM2011": ("C", "dietary reference intakes"),
    "ASCO2019": ("C", "clinical practice guideline"),
    "IOM1997": ("C", "dietary reference intakes"),
    "IOM2001": ("C", "dietary reference intakes"),
    "IOM2005": ("C", "dietary reference intakes"),
    "NASEM2019": ("C", "dietary reference intakes"),
    "ESCEO2018": ("C", "expert consensus"),
    "ESCEO2014": ("C", "consensus statement"),
    "PROT-AGE": ("C", "position paper"),
    "KDIGO2012": ("C", "clinical practice guideline"),
    "KDOQI2020": ("C", "clinical practice guideline"),
    "ESPEN2019": ("C", "clinical practice guideline"),
    "WHO-BMI": ("C", "WHO consultation report"),
    "MIFFLIN1990": ("B", "prediction-equation study"),
    "WEAVER1999": ("B", "absorption studies (review)"),
    "DGA2020": ("C", "dietary guideline"),
    "SR28": (None, "food composition database"),
    "KAMAO2007": (None, "food composition measurements"),
    "TSUKAMOTO2000": (None, "food composition and absorption study"),
    "FDA-ALLERGEN": (None, "labelling guidance"),
    "OSTEOTWIN": ("D", "osteotwin planner choice"),
}


def evidence_grade(keys: Iterable[str]) -> str | None:
    """The grade of one plan item from the sources it names: the strongest among them (A before
    D; a trial-tested program stays grade A beside the position statements that agree with it),
    but D where the planner's own choice is one of them (``OSTEOTWIN``: the item adapts its
    sources, an extrapolation); None where only reference data back it."""
    keys = list(keys)
    if "OSTEOTWIN" in keys:
        return SOURCE_EVIDENCE["OSTEOTWIN"][0]
    grades = [grade for key in keys if (grade := SOURCE_EVIDENCE[key][0]) is not None]
    return min(grades) if grades else None


def cite(keys: Iterable[str]) -> list[str]:
    """The keys, checked to exist, in order and without repeats."""
    seen: list[str] = []
    for key in keys:
        if key not in SOURCES:
            raise KeyError(f"unknown source key {key!r}")
        if key not in seen:
            seen.append(key)
    return seen
