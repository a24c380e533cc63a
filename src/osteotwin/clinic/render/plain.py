"""Plain-language explanations of finding and action codes, for patients.

Read from the packaged ``data/clinic/plain_language.yaml`` (one short text per code of
``data/codes.yaml``, in osteotwin's own words; the clinical content and its sources are the rules').
"""

from __future__ import annotations

from functools import lru_cache

from osteotwin.clinic.reference import read_yaml


@lru_cache(maxsize=1)
def plain_language() -> dict[str, str]:
    """Code -> explanation, findings and actions together (a code is in one section only)."""
    loaded = read_yaml("plain_language.yaml")
    merged: dict[str, str] = {}
    for section in ("findings", "actions"):
        for code, text in (loaded.get(section) or {}).items():
            if code in merged:
                raise ValueError(f"plain_language.yaml: {code} is explained twice")
            merged[str(code)] = " ".join(str(text).split())
    return merged


def explain(code: str) -> str | None:
    """The patient's explanation of ``code``, or None if it has none."""
    return plain_language().get(code)
