"""Code vocabularies from ``data/codes.yaml`` (a copy of ``shared/spec/codes.yaml``, extended only)."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

from osteotwin.yamlio import safe_load


@lru_cache(maxsize=1)
def codes() -> dict[str, Any]:
    """The packaged code vocabulary: drugs, labs, findings, actions."""
    text = resources.files("osteotwin.data").joinpath("codes.yaml").read_text(encoding="utf-8")
    loaded: dict[str, Any] = safe_load(text)
    return loaded


def drug_names() -> list[str]:
    """Drug names accepted in medication lists and regimens."""
    return list(codes()["drugs"])


def drug_class(drug: str) -> str:
    """Pharmacological class of a drug name (e.g. ``aromatase_inhibitor``)."""
    return str(codes()["drugs"][drug]["class"])


def finding_codes() -> list[str]:
    return list(codes()["findings"])


def action_codes() -> list[str]:
    return list(codes()["actions"])
