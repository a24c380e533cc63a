"""The kidney diet's threshold and targets: one reading for the assessment and the nutrition plan.

Below an eGFR of 30 mL/min/1.73 m² (CKD G4-G5) protein is aimed at about 0.8 g/kg/d (KDIGO 2012 CKD
guideline, rec. 3.1.2) and total calcium, food plus supplements, at 800-1000 mg/d (KDOQI 2020,
guideline 4.3); the clinician or a renal dietitian sets the intake.
"""

from __future__ import annotations

import datetime as dt

from osteotwin.records.patient import PatientRecord

#: eGFR (mL/min/1.73 m²) below which KDIGO 2012 (CKD guideline, rec. 3.1.2: GFR categories G4-G5)
#: lowers adults' protein to 0.8 g/kg/d [KDIGO2012]: the plan then aims protein there, keeps total
#: calcium at 800-1000 mg/d [KDOQI2020], does not pursue potassium, and asks for an individual diet.
#: The one threshold of the kidney diet: the plan (``plan.personal``, ``plan.nutrition.targets``) and
#: the assessment's fact ``diet_ckd`` (``clinic.facts``) both read it through ``diet_ckd``, so the two
#: never disagree.
DIET_EGFR_LIMIT = 30.0


def diet_ckd(record: PatientRecord, when: dt.date) -> bool:
    """Whether the latest eGFR on file on ``when`` (its unrounded value, mL/min/1.73 m²) is below
    ``DIET_EGFR_LIMIT``: the kidney diet's targets apply (``CKD_PROTEIN_G_PER_KG``,
    ``CKD_CALCIUM_MG``)."""
    lab = record.latest_lab("egfr", on_or_before=when)
    return lab is not None and lab.value < DIET_EGFR_LIMIT


#: eGFR < 30 (G4-G5): 0.8 g/kg/d [KDIGO2012 rec. 3.1.2]; the plan's band reaches 0.9 so whole portions fit
#: [OSTEOTWIN]
CKD_PROTEIN_G_PER_KG = (0.8, 0.9)
#: eGFR < 30: total elemental calcium, food plus supplements, mg/d [KDOQI2020 guideline 4.3]
CKD_CALCIUM_MG = (800.0, 1000.0)
