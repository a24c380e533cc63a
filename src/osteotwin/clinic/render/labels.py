"""How the data behind a finding reads on a page: names as words, values as a reader says them."""

from __future__ import annotations

from typing import Any

#: Unit suffixes of data names (``estradiol_pg_ml``): the unit is shown beside the value instead.
_UNIT_SUFFIXES = ("_pg_ml", "_ng_ml", "_ng_dl", "_mg_dl", "_g_cm2", "_mg_d", "_iu_d", "_g_kg_d",
                  "_pct")
_ABBREVIATIONS = {"ai": "AI", "trt": "TRT", "dxa": "DXA", "bmd": "BMD", "frax": "FRAX"}


def data_label(name: str) -> str:
    """Readable label of a data name: ``estradiol_pg_ml`` -> ``estradiol``, ``ai_drugs`` -> ``AI
    drugs`` (units are shown with the value)."""
    for suffix in _UNIT_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            name = name[: -len(suffix)]
            break
    return " ".join(_ABBREVIATIONS.get(word, word) for word in name.split("_"))


def data_value(value: Any) -> str:
    """Readable value: yes/no for flags, "not recorded" for a missing one, codes as words
    (``low_bone_mass`` -> ``low bone mass``, ``testosterone_cypionate`` -> ``testosterone
    cypionate``); numbers and dates as they are."""
    if value is None:
        return "not recorded"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return value.replace("_", " ")
    return str(value)


FILTERS = {"data_label": data_label, "data_value": data_value}
