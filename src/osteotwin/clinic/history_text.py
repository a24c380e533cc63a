"""Mentions in the free-text ``history.conditions`` that the clinician should look at (pure).

The patient file keeps ``conditions`` as free text, "kept, not interpreted" (spec/patient-file.md):
nothing here turns a text into a diagnosis. It only finds entries that *mention* something the
assessment has no field for, so that a finding can ask the clinician to confirm and record it. The
one such mention is a fracture of the hip (proximal femur): a low-trauma hip fracture establishes
osteoporosis whatever the BMD (BHOF 2022; AACE/ACE 2020), but the file has only a count of
fragility fractures and a vertebral-fracture flag.

The matching is deliberately simple and errs towards asking: within one clause (the text split at
commas, semicolons, full stops and line breaks), a fracture word and a hip-site word (hip, femoral
neck, neck of femur/NOF, proximal femur, subcapital, transcervical, basicervical, inter-, per- and
subtrochanteric, greater or lesser trochanter: the proximal-femur fractures, ICD-10 S72.0-S72.2),
unless a cue *governs* that mention. A cue governs it only when nothing but a few filler words
(articles, "previous", "history of", "left", "had" ...) lies between the two (NegEx-style, with the
scope cut at any other word):

* a negation just before it ("no hip fracture", "denies any previous hip fracture", "hip X-ray: no
  fracture") or just after it ("hip fracture ruled out", "hip fracture was excluded on MRI"); a
  negation of something else earlier in the clause does not ("no complications after hip fracture
  surgery", "not walking well since hip fracture");
* a relative written as the fracture's owner ("mother's hip fracture", "mother had a hip fracture",
  "family history of hip fracture", "hip fracture in her mother", "hip fracture (father)"); a relative
  named elsewhere in the clause does not ("hip fracture 2023 while visiting her sister");
* a risk estimate or prevention ("hip fracture risk 4 %", "risk of hip fracture", "FRAX hip fracture",
  "hip fracture prevention"); a risk of something else does not ("hip fracture, high risk of falls").

A false mention costs a question the clinician answers by correcting the record; a missed one would
leave a possible osteoporosis unnamed. So an unknown word between a cue and the mention keeps the
mention, and "subcapital" is taken for the femur even though it also names other bones' fractures.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from osteotwin.records.fhir.importer import UNCONFIRMED_VERIFICATION, unconfirmed_qualifier

#: The qualifier the FHIR import appends to a condition that is not confirmed (its
#: ``verificationStatus`` one of ``UNCONFIRMED_VERIFICATION``: "Hip fracture (verification status:
#: provisional)"), built from the importer's own words so that the two cannot drift apart.
UNCONFIRMED_QUALIFIER = re.compile(
    "|".join(re.escape(unconfirmed_qualifier(word)).replace(r"\ ", r"\s*")
             for word in UNCONFIRMED_VERIFICATION), re.IGNORECASE)


def is_unconfirmed(text: str) -> bool:
    """A condition the FHIR import marked as not confirmed (provisional, differential or
    unconfirmed). No reading that changes care counts it: not as metastases (which would withdraw the
    adjuvant and osteoporosis care), an oophorectomy or amenorrhoea (the menopause), and a hip
    fracture only as a mention to confirm, said to be unconfirmed."""
    return UNCONFIRMED_QUALIFIER.search(text) is not None

_CLAUSE_SPLIT = re.compile(r"[,;.\n]")
_FRACTURE = re.compile(r"\b(?:fractures?|fractured|fx|broken|break|broke)\b|#", re.IGNORECASE)
_HIP_SITE = re.compile(
    r"\bhips?\b|\bfemoral\s+neck\b|\bneck\s+of\s+(?:the\s+)?femur\b|\bnof\b|"
    r"\bproximal\s+(?:femur|femoral)\b|\b(?:inter|sub|per)?trochanteric\b|"
    r"\b(?:greater|lesser)\s+trochanter\b|\b(?:subcapital|transcervical|basicervical)\b|"
    r"\bintracapsular\b|\bextracapsular\b", re.IGNORECASE)
#: Negation cues before the mention (NegEx-style): "no hip fracture", "denies fractured hip",
#: "non-diabetic" (shared with the exercise screen's reading, ``plan.exercise.conditions``).
NEGATION_BEFORE = re.compile(
    r"\b(?:no|not|never|without|denies|denied|deny|non|negative\s+for|free\s+of|absence\s+of|"
    r"rule\s+out|r/o|no\s+evidence\s+of)\b", re.IGNORECASE)
#: Negation cues after it: "hip fracture ruled out", "hip fracture excluded on MRI".
NEGATION_AFTER = re.compile(r"\b(?:ruled\s+out|excluded|unlikely|negative|not\s+confirmed)\b",
                             re.IGNORECASE)
_RELATIVE = (r"(?:mother|father|mum|mom|dad|parents?|parental|family(?:\s+(?:history|hx))?|fhx?|"
             r"sisters?|brothers?|siblings?|grand(?:mother|father|parents?)|aunt|uncle|husband|wife|"
             r"partner)")
#: A relative before the mention, possessive or not: "mother's", "mothers", "family history".
OWNER_BEFORE = re.compile(rf"\b{_RELATIVE}(?:'s|\u2019s|s'|s\u2019|s)?(?![\w])", re.IGNORECASE)
#: A relative just after it: "hip fracture (mother)", "hip fracture - father", "hip fracture in her mother".
OWNER_AFTER = re.compile(
    rf"\s*(?:[-:(\u2013]\s*|(?:in|of)\s+(?:(?:her|his|their|the|pt's|patient's)\s+)?){_RELATIVE}\b",
    re.IGNORECASE)
_RISK_BEFORE = re.compile(
    r"\b(?:(?:risk|probability|chance|likelihood|fear|prevention|prophylaxis)\s+of|at\s+risk\s+for|"
    r"frax|prevent(?:s|ing)?|reduc(?:e|es|ed|ing))\b", re.IGNORECASE)
_RISK_AFTER = re.compile(r"\b(?:risks?|probability|prevention|prophylaxis)\b", re.IGNORECASE)

_WORD = re.compile(r"[a-z0-9]+(?:[/'\u2019-][a-z0-9]+)*", re.IGNORECASE)
_FEW_WORDS = 4
#: Words that may stand between a negation and the mention without ending its scope.
_NEGATION_FILLER = frozenset("""
    a an the any ever previous prior past known history hx h/o of personal sign signs evidence left
    right l r lt rt bilateral had has have having been suffered sustained osteoporotic fragility
    low-trauma traumatic new further recent other documented clinical obvious her his or nor
    """.split())
#: Words that may stand between the mention and a negation after it ("was ruled out on MRI").
_AFTER_FILLER = frozenset("""
    was is has been have now subsequently later clinically radiologically since then confidently
    definitely suspected query
    """.split())
#: Words that may stand between a relative and the mention it owns ("mother, 80, had a hip fracture").
_OWNER_FILLER = _NEGATION_FILLER | frozenset("""
    with died after following from at age aged in old when also too and osteoporosis
    """.split())
_RISK_FILLER = frozenset("""
    a an the any future further another new 10-year 10-yr 10y ten-year year major osteoporotic and or
    her his their left right of for
    """.split())


def _only_filler(gap: str, filler: frozenset[str], *, numbers: bool = False) -> bool:
    """True when ``gap`` holds at most a few words, all of them filler (punctuation aside)."""
    words = [w.lower() for w in _WORD.findall(gap)]
    return len(words) <= _FEW_WORDS and all(
        w in filler or (numbers and w.isdigit()) for w in words)


def _governed_before(cue: re.Pattern[str], clause: str, at: int, filler: frozenset[str],
                     since: int = 0, *, numbers: bool = False) -> bool:
    """A ``cue`` between ``since`` and ``at`` with only filler words between it and ``at``."""
    return any(_only_filler(clause[m.end():at], filler, numbers=numbers)
               for m in cue.finditer(clause, since, at))


def _governed_after(cue: re.Pattern[str], clause: str, at: int, filler: frozenset[str]) -> bool:
    """A ``cue`` after ``at`` with only filler words between ``at`` and it."""
    return any(_only_filler(clause[at:m.start()], filler) for m in cue.finditer(clause, at))


def mentions_hip_fracture(text: str) -> bool:
    """True when one clause of ``text`` names a fracture of the hip that is not negated, not
    someone else's and not a risk estimate (see the module's notes: a cue counts only when it
    governs the mention)."""
    for clause in _CLAUSE_SPLIT.split(text):
        fracture, site = _FRACTURE.search(clause), _HIP_SITE.search(clause)
        if fracture is None or site is None:
            continue
        first, second = sorted((fracture, site), key=lambda m: m.start())
        start, end = first.start(), max(fracture.end(), site.end())
        negated = (_governed_before(NEGATION_BEFORE, clause, start, _NEGATION_FILLER)
                   # "hip X-ray: no fracture": a negation between the two words
                   or _governed_before(NEGATION_BEFORE, clause, second.start(), _NEGATION_FILLER,
                                       first.end())
                   or _governed_after(NEGATION_AFTER, clause, end, _AFTER_FILLER))
        someone_else = (_governed_before(OWNER_BEFORE, clause, start, _OWNER_FILLER, numbers=True)
                        or OWNER_AFTER.match(clause, end) is not None)
        a_risk = (_governed_before(_RISK_BEFORE, clause, start, _RISK_FILLER, numbers=True)
                  or _governed_after(_RISK_AFTER, clause, end, _RISK_FILLER))
        if negated or someone_else or a_risk:
            continue
        return True
    return False


def hip_fracture_mentions(conditions: Iterable[str]) -> list[str]:
    """The condition entries, as written, that mention a hip fracture. An unconfirmed one
    (``is_unconfirmed``) is kept: the finding only asks the clinician to confirm it, and says it is
    unconfirmed."""
    return [text for text in conditions if mentions_hip_fracture(text)]


# ------------------------------------------------------------------------------- metastases
#: Metastatic disease named in a condition ("metastases", "mets", stage IV) ...
METASTASIS_WORDS = re.compile(r"metasta|\bmets\b|stage\s*iv\b", re.IGNORECASE)
#: Lymph-node (regional) spread or staged M0: early breast cancer when nothing names a distant site
#: ("axillary lymph node metastases (pN1a), M0")
REGIONAL = re.compile(r"lymph|\bnodes?\b|nodal|axilla|\bpn\d|\bm0\b", re.IGNORECASE)
#: A negated mention ("no bone metastases on staging CT")
NEGATED_METASTASES = re.compile(
    r"\b(?:no|without|negative\s+for|free\s+of|ruled\s+out)\b[^,;.]*(?:metasta|\bmets\b)",
    re.IGNORECASE)
#: Metastatic disease named as such whatever else the text says
STATED_METASTATIC = re.compile(r"metastatic\s+breast|stage\s*iv", re.IGNORECASE)
BONE_SITE = (r"bone|osseous|skelet\w*|spine|spinal|vertebra\w*|pelvi\w*|femur|femoral|ribs?|sacr\w*|"
             r"humer\w*")
DISTANT_SITE = re.compile(
    rf"\b(?:{BONE_SITE}|liver|hepatic|lung|pulmonary|brain|pleura\w*|visceral|m1)\b",
    re.IGNORECASE)


def names_distant_metastases(text: str) -> bool:
    """A condition that names metastatic disease beyond the regional nodes (erring towards yes
    where a distant site is named beside nodal wording), stated as a diagnosis: an unconfirmed one
    from a FHIR import (``is_unconfirmed``) is not counted."""
    if is_unconfirmed(text) or not METASTASIS_WORDS.search(text):
        return False
    if STATED_METASTATIC.search(text):
        return True
    if NEGATED_METASTASES.search(text):
        return False
    return not REGIONAL.search(text) or DISTANT_SITE.search(text) is not None


def names_bone_metastases(text: str) -> bool:
    """A condition that names metastases in bone (``names_distant_metastases`` with a bone site),
    stated as a diagnosis: a provisional or differential one from a FHIR import is not counted
    (it would withdraw the osteoporosis care and ask for a metastasis-dose agent)."""
    if is_unconfirmed(text):
        return False
    bone = re.compile(rf"\b(?:{BONE_SITE})\b", re.IGNORECASE)
    negated_bone = any(bone.search(m.group(0)) for m in NEGATED_METASTASES.finditer(text))
    return names_distant_metastases(text) and not negated_bone and bone.search(text) is not None


# ------------------------------------------------------------------------------- menopause
#: A bilateral oophorectomy (or salpingo-oophorectomy, BSO) named in a condition: one of the NCCN
#: criteria of the menopause whatever the age ("TAH-BSO 2019", "bilateral oophorectomy")
BILATERAL_OOPHORECTOMY = re.compile(
    r"\bbilateral\s+(?:salpingo[-\s]?)?oophorectom\w*|\b(?:tah[-\s/+]*)?bso\b|"
    r"\boophorectom\w*\s+(?:\w+\s+)?bilateral\w*", re.IGNORECASE)
#: Amenorrhoea named in a condition ("amenorrhoea since adjuvant chemotherapy"): not by itself the
#: menopause before 60 (NCCN), and after chemotherapy ovarian function may return (Smith 2006)
AMENORRHOEA = re.compile(r"\bamenorr?h(?:o)?ea\w*", re.IGNORECASE)


def _not_negated(pattern: re.Pattern[str], text: str) -> bool:
    """A match of ``pattern`` in one clause of ``text`` that no negation cue governs."""
    for clause in _CLAUSE_SPLIT.split(text):
        for match in pattern.finditer(clause):
            if not _governed_before(NEGATION_BEFORE, clause, match.start(), _NEGATION_FILLER):
                return True
    return False


def bilateral_oophorectomy_mentions(conditions: Iterable[str]) -> list[str]:
    """The condition entries, as written, that name a bilateral oophorectomy (not negated, not
    unconfirmed: it would establish the menopause)."""
    return [text for text in conditions
            if not is_unconfirmed(text) and _not_negated(BILATERAL_OOPHORECTOMY, text)]


def amenorrhoea_mentions(conditions: Iterable[str]) -> list[str]:
    """The condition entries, as written, that name amenorrhoea (not negated, not unconfirmed)."""
    return [text for text in conditions
            if not is_unconfirmed(text) and _not_negated(AMENORRHOEA, text)]
