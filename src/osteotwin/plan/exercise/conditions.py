"""Free-text ``history.conditions`` as the exercise screen reads them (pure; protocols.md §8.4).

ACSM's pre-participation screening (Riebe et al. 2015) asks for medical clearance for known
cardiovascular, metabolic (type 1 or type 2 diabetes) or renal disease, or their signs or symptoms
[ACSM-PPS2015]; other conditions do not need it. Each entry is sorted into what the screen does with it:

* ``cardiac``: heart disease (``CARDIAC_WORDS``) [ACSM-PPS2015];
* ``uncontrolled_hypertension``: "uncontrolled" and hypertension or blood pressure [ACSM-PPS2015];
* ``metabolic_or_renal``: type 1 or type 2 diabetes (``DIABETES``: not pre-diabetes, gestational
  diabetes or diabetes insipidus, which are not ACSM's metabolic disease) or chronic kidney disease
  (``RENAL``: not kidney stones) [ACSM-PPS2015];
* ``joint``: arthritis or joint pain in a knee or hip [ESSA];
* ``bone_metastases``: metastases in bone (``osteotwin.clinic.history_text.names_bone_metastases``);
* ``no_clearance``: an endocrine condition other than diabetes (hypogonadism, hypothyroidism,
  Hashimoto's thyroiditis) or male fertility, joint pain outside the knees and hips (an inhibitor's
  arthralgia, which exercise eases: HOPE), or a denied cardiovascular, metabolic or renal disease
  ("no diabetes"), and nothing else: ACSM asks no clearance for these [ACSM-PPS2015] [HOPE];
* ``unassessed``: the rest, for which the screen still asks for medical clearance [OSTEOTWIN].

A mention of heart, metabolic or renal disease counts unless a negation governs it ("no diabetes",
"denies angina", "CKD ruled out") or it is a relative's ("family history of heart attack", "type 2
diabetes (mother)"): a cue governs a mention only with nothing but a few filler words between them
(NegEx-style). An entry is read as needing no clearance only when every word in it is accounted for:
the endocrine condition, a governed (denied) mention, or a word from a short list of qualifiers
("secondary", "treated", "on levothyroxine", "wishes to preserve fertility"); any other word
("untreated", "uncontrolled", "palpitations", a disease the screen does not know) leaves the entry
unassessed, so a missed word costs a question to the clinician, never a missed clearance [OSTEOTWIN].
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# one reading of negation and of a relative's condition for the history's free text (NegEx-style)
from osteotwin.clinic.history_text import (
    NEGATION_AFTER,
    NEGATION_BEFORE,
    OWNER_AFTER,
    OWNER_BEFORE,
    names_bone_metastases,
)

#: Words that mark a recorded condition as heart disease (ACSM pre-participation screening: known
#: cardiovascular disease needs medical clearance) [ACSM-PPS2015]. Matched in lower case, anywhere in the
#: text, unless negated or a relative's (see the module's notes) [OSTEOTWIN].
CARDIAC_WORDS = ("myocardial infarction", "heart attack", "heart failure", "angina", "coronary")
#: Lower-limb joints whose osteoarthritis or arthritis modifies impact [ESSA] (protocols.md §8.4).
WEIGHT_BEARING_JOINT_WORDS = ("knee", "hip")
#: Joint disease or pain that caps impact when it is in a knee or hip: arthritis, or the arthralgia
#: an aromatase inhibitor causes (HOPE: exercise helps it, but jumping on painful knees is not the way
#: in) [ACSM-PPS2015] [HOPE] [OSTEOTWIN]
JOINT_PAIN_WORDS = ("arthritis", "arthralgia", "joint pain", "osteoarthr")

CARDIAC = re.compile("|".join(re.escape(w) for w in CARDIAC_WORDS), re.IGNORECASE)
#: Type 1 or type 2 diabetes, ACSM's metabolic disease [ACSM-PPS2015]; "prediabetes" does not match.
DIABETES = re.compile(
    r"\b(?:type\s*(?:1|2|i{1,2}|one|two)\s+(?:diabet\w*|dm)|diabet(?:es|ic)(?:\s+mellitus)?|"
    r"t[12]\s*dm|t[12]d|dm\s*(?:type\s*)?(?:1|2|i{1,2})|dm|n?iddm|lada)\b", re.IGNORECASE)
#: Diabetes that is not ACSM's metabolic disease: before it "pre-" or "gestational", after it "insipidus".
NOT_METABOLIC_BEFORE = re.compile(r"(?:\bpre[-\s]?|\bgestational\s+)$", re.IGNORECASE)
NOT_METABOLIC_AFTER = re.compile(r"\s*insipidus\b", re.IGNORECASE)
#: Chronic kidney disease, ACSM's renal disease [ACSM-PPS2015] (kidney stones are not).
RENAL = re.compile(
    r"\b(?:ckd|chronic\s+(?:kidney|renal)\s+\w+|(?:kidney|renal)\s+(?:disease|failure|insufficiency|"
    r"impairment|transplant\w*)|end[-\s]stage\s+(?:renal|kidney)|esrd|eskd|(?:haemo|hemo)?dialysis|"
    r"nephropath\w*|nephrotic|nephritis|glomerulo\w*|polycystic\s+kidneys?)\b", re.IGNORECASE)
#: Endocrine conditions other than diabetes, and male fertility, which ACSM's screening does not
#: name as needing clearance [ACSM-PPS2015]. Hyperthyroidism is not among them (its heart effects).
ENDOCRINE_NOT_DIABETES = re.compile(
    r"\b(?:hypogonad\w*|(?:hypo|hyper)gonadotroph?ic|low\s+testosterone|testosterone\s+deficiency|"
    r"androgen\s+deficiency|andropause|klinefelter\w*(?:['\u2019]s)?(?:\s+syndrome)?|hypothyroid\w*|"
    r"underactive\s+thyroid|hashimoto\w*(?:['\u2019]s)?(?:\s+(?:thyroiditis|disease))?|"
    r"autoimmune\s+thyroiditis|(?:sub|in)?fertility|oligo(?:zoo)?sperm\w*|azoosperm\w*)",
    re.IGNORECASE)
#: Joint pain or stiffness (an aromatase inhibitor's arthralgia among them): not a clearance
#: condition [ACSM-PPS2015]; exercise eased it in women on an inhibitor [HOPE]. In a knee or hip it
#: caps impact instead (``JOINT_PAIN_WORDS``).
ARTHRALGIA = re.compile(
    r"\b(?:(?:poly)?arthralgias?|joint\s+(?:pains?|aches?|aching|stiffness)|(?:aching|painful|stiff)\s+"
    r"joints|aimss|musculoskeletal\s+(?:pain|symptoms|aches?))\b", re.IGNORECASE)
#: Words that may stand beside such a condition without making the entry something else: kinds,
#: treatment, the wish to keep fertility, and where and since when joints ache [OSTEOTWIN].
QUALIFIERS = frozenset("""
    secondary primary central acquired congenital functional idiopathic organic adult-onset
    late-onset onset male treated on replacement therapy trt testosterone levothyroxine thyroxine
    liothyronine euthyroid stable well-controlled controlled well dx diagnosed since in of the a an
    and with for wishes wish wants wanting to preserve preserving preservation keep trying conceive
    conceiving planned planning mild subclinical history hx known autoimmune mcg ug µg mg daily iu hcg
    clomiphene enclomiphene gel injections injection disease year years yrs months
    starting started start after from due ai ais aromatase inhibitor inhibitors letrozole anastrozole
    exemestane associated induced related moderate hands hand fingers wrists wrist shoulders
    shoulder elbows ankles feet morning stiffness both symptoms
    """.split())

_CLAUSE_SPLIT = re.compile(r"[,;.\n]")
_WORD = re.compile(r"[^\W_]+(?:[-'\u2019][^\W_]+)*")
_FEW_WORDS = 4
#: Words that may stand between a cue and the mention it governs ("no known history of diabetes").
_FILLER = frozenset("""
    a an the any ever known history hx h/o of personal prior previous past sign signs evidence
    diagnosed diagnosis had has have having been or nor type 1 2 i ii with
    """.split())
_AFTER_FILLER = frozenset("was is has been have now since then definitely".split())


def _only_filler(gap: str, filler: frozenset[str]) -> bool:
    words = [w.lower() for w in _WORD.findall(gap)]
    return len(words) <= _FEW_WORDS and all(w in filler for w in words)


def _governed_span(clause: str, mention: re.Match[str]) -> tuple[tuple[int, int], bool] | None:
    """The span of the cue that governs ``mention``, the mention included, and whether the cue is a
    negation (else a relative); None when none does (the mention is this person's disease)."""
    start, end = mention.start(), mention.end()
    for cue in NEGATION_BEFORE.finditer(clause, 0, start):
        if _only_filler(clause[cue.end():start], _FILLER):
            return (cue.start(), end), True
    for cue in NEGATION_AFTER.finditer(clause, end):
        if _only_filler(clause[end:cue.start()], _AFTER_FILLER):
            return (start, cue.end()), True
    for cue in OWNER_BEFORE.finditer(clause, 0, start):
        if _only_filler(clause[cue.end():start], _FILLER):
            return (cue.start(), end), False
    owner = OWNER_AFTER.match(clause, end)
    if owner is not None:
        return (start, owner.end()), False
    return None


def _metabolic(clause: str, mention: re.Match[str]) -> bool:
    """A diabetes mention that is ACSM's metabolic disease (not pre-, gestational or insipidus)."""
    return (NOT_METABOLIC_BEFORE.search(clause, 0, mention.start()) is None
            and NOT_METABOLIC_AFTER.match(clause, mention.end()) is None)


def _mentions(clause: str) -> list[tuple[str, re.Match[str]]]:
    """Heart, metabolic or renal disease named in one clause, by kind."""
    found: list[tuple[str, re.Match[str]]] = [("cardiac", m) for m in CARDIAC.finditer(clause)]
    found += [("metabolic_or_renal", m) for m in DIABETES.finditer(clause) if _metabolic(clause, m)]
    found += [("metabolic_or_renal", m) for m in RENAL.finditer(clause)]
    return found


def _blank(text: str, spans: Iterable[tuple[int, int]]) -> str:
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


def _read_entry(name: str) -> tuple[set[str], bool]:
    """The clearance kinds this entry names as the person's own disease, and whether the entry is
    read as needing no clearance (every word accounted for; see the module's notes)."""
    kinds: set[str] = set()
    accounted = True
    reasons = 0  # endocrine conditions and denied diseases seen
    for clause in _CLAUSE_SPLIT.split(name):
        spans: list[tuple[int, int]] = []
        for kind, mention in _mentions(clause):
            governed = _governed_span(clause, mention)
            if governed is None:
                kinds.add(kind)
            elif governed[1]:  # denied: accounted for; a relative's disease is not
                spans.append(governed[0])
                reasons += 1
        for known in (*ENDOCRINE_NOT_DIABETES.finditer(clause), *ARTHRALGIA.finditer(clause)):
            spans.append(known.span())
            reasons += 1
        rest = [w.lower() for w in _WORD.findall(_blank(clause, spans))]
        accounted = accounted and all(  # a hyphenated word by its parts ("ai-associated")
            all(part in QUALIFIERS or part.isdigit() for part in w.split("-")) for w in rest)
    return kinds, accounted and reasons > 0 and not kinds


def read_conditions(conditions: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Recorded free-text conditions sorted by what the screening does with them: ``cardiac``,
    ``uncontrolled_hypertension``, ``metabolic_or_renal``, ``joint`` (knee or hip arthritis or joint
    pain, an inhibitor's arthralgia included), ``bone_metastases``, ``no_clearance`` and
    ``unassessed`` (the rest). See the module's notes [ACSM-PPS2015] [OSTEOTWIN]."""
    out: dict[str, list[str]] = {"cardiac": [], "uncontrolled_hypertension": [], "metabolic_or_renal": [],
                                 "joint": [], "bone_metastases": [], "no_clearance": [], "unassessed": []}
    for text in conditions:
        name = " ".join(text.split())
        low = name.lower()
        if not low:
            continue
        kinds, no_clearance = _read_entry(name)
        for kind in ("cardiac", "metabolic_or_renal"):
            if kind in kinds:
                out[kind].append(name)
        matched = bool(kinds)
        if "uncontrolled" in low and ("hypertension" in low or "blood pressure" in low):
            out["uncontrolled_hypertension"].append(name)
            matched = True
        if (any(word in low for word in JOINT_PAIN_WORDS) or ARTHRALGIA.search(name)) and any(
                word in low for word in WEIGHT_BEARING_JOINT_WORDS):
            out["joint"].append(name)
            matched = True
        if names_bone_metastases(name):  # not negated, not nodal ("no bone metastases on CT")
            out["bone_metastases"].append(name)
            matched = True
        if not matched:
            out["no_clearance" if no_clearance else "unassessed"].append(name)
    return {key: tuple(values) for key, values in out.items()}
