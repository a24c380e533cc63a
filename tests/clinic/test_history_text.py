"""The history's free text read as the assessment reads it (``clinic.history_text``)."""

from __future__ import annotations


def test_a_provisional_bone_metastasis_from_fhir_is_not_read_as_a_diagnosis() -> None:
    """The FHIR import keeps an unconfirmed condition's text with its verification status; bone
    metastases named so are not counted (they would withdraw the osteoporosis care)."""
    from osteotwin.clinic.history_text import names_bone_metastases
    from osteotwin.records.fhir.importer import unconfirmed_qualifier

    text = "Metastatic breast cancer with bone metastases (spine)"
    assert names_bone_metastases(text)
    for status in ("provisional", "differential", "unconfirmed"):
        assert not names_bone_metastases(f"{text} {unconfirmed_qualifier(status)}")
