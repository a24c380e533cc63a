"""The patients' plain-language explanations cover every finding and action code, in plain words."""

from __future__ import annotations

import re
from importlib import resources

from osteotwin.clinic.reference import read_yaml
from osteotwin.clinic.render.plain import explain, plain_language
from osteotwin.vocabulary import action_codes, finding_codes

CODE_LIKE = re.compile(r"\b[A-Z0-9]+(?:_[A-Z0-9]+)+\b")
MEDICINE_INSTRUCTIONS = ("start taking", "stop taking")


def _sections() -> dict[str, dict[str, str]]:
    loaded: dict[str, dict[str, str]] = read_yaml("plain_language.yaml")
    return loaded


def test_every_finding_and_action_code_has_an_explanation() -> None:
    sections = _sections()
    for code in finding_codes():
        assert str(sections["findings"].get(code) or "").strip(), f"finding {code} has no explanation"
        assert explain(code), code
    for code in action_codes():
        assert str(sections["actions"].get(code) or "").strip(), f"action {code} has no explanation"
        assert explain(code), code


def test_no_unknown_or_misfiled_codes() -> None:
    sections = _sections()
    assert set(sections) == {"findings", "actions"}
    assert set(sections["findings"]) - set(finding_codes()) == set()
    assert set(sections["actions"]) - set(action_codes()) == set()
    assert set(plain_language()) == set(finding_codes()) | set(action_codes())


def test_no_code_is_explained_twice_in_the_file() -> None:
    """PyYAML keeps the last of two equal keys silently: count them in the text."""
    text = resources.files("osteotwin.data").joinpath("clinic", "plain_language.yaml").read_text(
        encoding="utf-8")
    keys = re.findall(r"^  ([A-Z0-9_]+):", text, flags=re.MULTILINE)
    duplicates = {key for key in keys if keys.count(key) > 1}
    assert duplicates == set()
    assert len(keys) == len(plain_language())


CHANGE = r"(start|stop|skip|lower|raise|increase|reduce|change|switch|double|halve|take)"
#: An instruction: a sentence opening with a change verb ("Stop ...", "Take ..."), or one telling
#: the reader they should, must or need to change something ("you should lower ...").
INSTRUCTION = re.compile(rf"^{CHANGE}\b|\byou (?:should|must|need to|have to) {CHANGE}\b", re.IGNORECASE)


def test_no_explanation_instructs_a_change_unless_with_the_care_team() -> None:
    """Decision support: a sentence that tells the patient to start, stop or change something
    must put the decision with the care team."""
    for code, text in plain_language().items():
        for sentence in re.split(r"(?<=[.!?])\s+", text):
            if INSTRUCTION.search(sentence):
                assert "care team" in sentence.lower(), f"{code}: {sentence!r}"
    assert INSTRUCTION.search("Stop your anastrozole.") and INSTRUCTION.search("You should take less.")
    assert not INSTRUCTION.search("Aromatase inhibitors lower this hormone.")


def test_explanations_are_plain_and_never_prescribe() -> None:
    for code, text in plain_language().items():
        assert not CODE_LIKE.search(text), f"{code}: code-like token in {text!r}"
        lowered = text.lower()
        for phrase in MEDICINE_INSTRUCTIONS:
            assert phrase not in lowered, f"{code}: {phrase!r} in {text!r}"
        sentences = [s for s in re.split(r"(?<=[.!?])\s+", text) if s]
        assert 1 <= len(sentences) <= 3, f"{code}: {len(sentences)} sentences"
        assert "\n" not in text and text == text.strip(), code


def test_unknown_code_has_no_explanation() -> None:
    assert explain("NOT_A_CODE") is None
