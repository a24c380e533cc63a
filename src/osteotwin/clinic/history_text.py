"""Mentions in the free-text ``history.conditions`` that the clinician should look at (pure).

The patient file keeps ``conditions`` as free text, "kept, not interpreted" (spec/patient-file.md):
nothing here turns a text into a diagnosis. It only finds entries that *mention* something the
assessment has no field for, so that a finding can ask the clinician to confirm and record it. The
one such mention is a fracture of the hip (proximal femur): a low-trauma hip fracture establishes
osteoporosis whatever the BMD (BHOF 2022; AACE/ACE 2020), but the file has only a count of
fragility fractures and a vertebral-fracture flag.

The matching is deliberately simple and errs towards asking: within one clause (the text split at
commas, semicolons, full stops and line breaks), a fracture word and a hip-site word, unless a
negation comes before them or rules them out after ("no hip fracture", "hip fracture ruled out"),
the clause is about someone else ("mother's hip fracture") or about a risk ("hip fracture risk
4 %"). A false mention costs a question the clinician answers by correcting the record; a missed
one would leave a possible osteoporosis unnamed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_CLAUSE_SPLIT = re.compile(r"[,;.\n]")
_FRACTURE = re.compile(r"\b(?:fractures?|fractured|fx|broken|break|broke)\b|#", re.IGNORECASE)
_HIP_SITE = re.compile(
    r"\bhips?\b|\bfemoral\s+neck\b|\bneck\s+of\s+(?:the\s+)?femur\b|\bnof\b|"
    r"\bproximal\s+(?:femur|femoral)\b|\b(?:inter|sub|per)?trochanteric\b|\bintracapsular\b|"
    r"\bextracapsular\b", re.IGNORECASE)
#: Negation cues before the mention (NegEx-style): "no hip fracture", "denies fractured hip".
_NEGATION_BEFORE = re.compile(
    r"\b(?:no|not|never|without|denies|denied|negative\s+for|free\s+of|absence\s+of|"
    r"rule\s+out|r/o|no\s+evidence\s+of)\b", re.IGNORECASE)
#: Negation cues after it: "hip fracture ruled out", "hip fracture excluded on MRI".
_NEGATION_AFTER = re.compile(r"\b(?:ruled\s+out|excluded|unlikely|was\s+negative|not\s+confirmed)\b",
                             re.IGNORECASE)
_SOMEONE_ELSE = re.compile(
    r"\b(?:mother|father|mum|mom|dad|parents?|parental|family|sister|brother|sibling|"
    r"grand(?:mother|father|parents?)|aunt|uncle|fh|husband|wife|partner)\b", re.IGNORECASE)
_NOT_AN_EVENT = re.compile(
    r"\bfracture\s+risk\b|\brisk\s+of\b|\bfrax\b|\bprevention\b|\bfear\s+of\b", re.IGNORECASE)


def mentions_hip_fracture(text: str) -> bool:
    """True when one clause of ``text`` names a fracture of the hip that is not negated, not
    someone else's and not a risk estimate."""
    for clause in _CLAUSE_SPLIT.split(text):
        fracture, site = _FRACTURE.search(clause), _HIP_SITE.search(clause)
        if fracture is None or site is None:
            continue
        start = min(fracture.start(), site.start())
        end = max(fracture.end(), site.end())
        if (_NEGATION_BEFORE.search(clause[:start]) or _NEGATION_AFTER.search(clause[end:])
                or _SOMEONE_ELSE.search(clause) or _NOT_AN_EVENT.search(clause)):
            continue
        return True
    return False


def hip_fracture_mentions(conditions: Iterable[str]) -> list[str]:
    """The condition entries, as written, that mention a hip fracture."""
    return [text for text in conditions if mentions_hip_fracture(text)]
