"""Packaged clinical reference data (``osteotwin/data/clinic/*.yaml``), loaded once and read-only.

Sources are named inside each file; ``citations.yaml`` is the one registry of them.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

from osteotwin.yamlio import safe_load

_PACKAGE = "osteotwin.data"


def read_yaml(name: str) -> Any:
    """Parse ``data/clinic/<name>`` from the installed package."""
    text = resources.files(_PACKAGE).joinpath("clinic", name).read_text(encoding="utf-8")
    return safe_load(text)


@lru_cache(maxsize=1)
def citations() -> dict[str, dict[str, Any]]:
    """Citation registry: id -> {authors, title, journal, year, doi, pmid, url}."""
    loaded: dict[str, dict[str, Any]] = read_yaml("citations.yaml")
    return loaded


@lru_cache(maxsize=1)
def targets() -> dict[str, Any]:
    """Intake targets and upper levels by age and sex (IOM 2011, ESPEN 2014 ...)."""
    loaded: dict[str, Any] = read_yaml("targets.yaml")
    return loaded


@lru_cache(maxsize=1)
def densitometry_reference() -> dict[str, Any]:
    """Young-adult BMD references, least significant change and WHO cut-offs."""
    loaded: dict[str, Any] = read_yaml("densitometry.yaml")
    return loaded


def citation_text(citation_id: str) -> str:
    """One-line reference: authors. title. journal (year). doi/url."""
    entry = citations()[citation_id]
    link = f"doi:{entry['doi']}" if entry.get("doi") else entry.get("url", "")
    journal, year = str(entry.get("journal", "")), str(entry.get("year", ""))
    source = journal if year and year in journal else f"{journal} ({year})"
    parts = [str(entry.get("authors", "")), str(entry.get("title", "")), source, link]
    return ". ".join(p.strip().rstrip(".") for p in parts if p and p.strip())


def target_for(table: list[dict[str, Any]], sex: str, age_y: float) -> float | None:
    """Value of the first band in ``table`` matching ``sex`` and ``age_y`` (bands are [min, max))."""
    for band in table:
        if band["sex"] in ("any", sex) and band["min_age"] <= age_y < band["max_age"]:
            return float(band["value"])
    return None
