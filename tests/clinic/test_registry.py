"""Rules, codes and citations are consistent: every code has a rule, every citation exists."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from osteotwin.clinic.conditions import ConditionError, evaluate, numeric_bounds, referenced_facts
from osteotwin.clinic.engine import load_rules, template_fields
from osteotwin.clinic.model import Fact
from osteotwin.clinic.reference import citations
from osteotwin.vocabulary import action_codes, codes, finding_codes
from tests.clinic.builders import make, run
from tests.conftest import SHARED


def test_every_finding_and_action_code_has_a_rule() -> None:
    emitted = {rule.emits for rule in load_rules()}
    assert set(finding_codes()) - emitted == set()
    assert set(action_codes()) - emitted == set()


def test_rules_emit_known_codes_of_their_kind() -> None:
    for rule in load_rules():
        allowed = finding_codes() if rule.kind == "finding" else action_codes()
        assert rule.emits in allowed, rule.id
        if rule.kind == "finding":
            assert rule.severity is not None, rule.id
        else:
            assert rule.priority is not None, rule.id


def test_rule_ids_are_unique() -> None:
    ids = [rule.id for rule in load_rules()]
    assert len(ids) == len(set(ids))


def test_every_citation_is_in_the_registry_with_a_link() -> None:
    registry = citations()
    for rule in load_rules():
        for cid in rule.citations:
            assert cid in registry, f"{rule.id}: unknown citation {cid}"
    for cid, entry in registry.items():
        assert entry.get("title") and entry.get("year"), cid
        assert entry.get("doi") or entry.get("url") or entry.get("pmid"), cid


def test_rules_only_read_facts_that_exist() -> None:
    facts = run(make()).facts
    for rule in load_rules():
        names = referenced_facts(rule.when) + template_fields(rule.message) + list(rule.data)
        if rule.due not in (None, "as_of") and not str(rule.due).startswith("as_of+"):
            names.append(str(rule.due))
        missing = [n for n in names if n not in facts]
        assert not missing, f"{rule.id} reads unknown facts {missing}"


def test_packaged_codes_extend_the_shared_vocabulary_without_dropping() -> None:
    import yaml

    shared_file = SHARED / "spec" / "codes.yaml"
    if not shared_file.is_file():
        pytest.skip("shared spec not beside the repository")
    shared = yaml.safe_load(shared_file.read_text(encoding="utf-8"))
    packaged = codes()
    for section in ("drugs", "labs", "findings", "actions"):
        assert set(shared[section]) <= set(packaged[section]), section


def _facts(**values: object) -> dict[str, Fact]:
    return {name: Fact(name, value) for name, value in values.items()}  # type: ignore[arg-type]


def test_condition_grammar() -> None:
    facts = _facts(a=3, b=5.0, flag=True, off=False, missing=None, sex="male",
                   day=dt.date(2025, 1, 1))
    assert evaluate("flag", facts, set())
    assert not evaluate("off", facts, set())
    assert not evaluate("missing", facts, set())
    assert evaluate({"fact": "a", "lt": {"fact": "b"}}, facts, set())
    assert not evaluate({"fact": "missing", "lt": 10}, facts, set())
    assert not evaluate({"fact": "missing", "ge": 10}, facts, set())
    assert evaluate({"fact": "missing", "known": False}, facts, set())
    assert evaluate({"fact": "sex", "in": ["male", "female"]}, facts, set())
    assert not evaluate({"fact": "sex", "lt": 3}, facts, set())
    assert evaluate({"all": ["flag", {"not": "off"}, {"any": ["off", {"finding": "X"}]}]},
                    facts, {"X"})
    assert not evaluate({"finding": "X"}, facts, set())
    with pytest.raises(ConditionError):
        evaluate({"fact": "a", "lt": 1, "gt": 0}, facts, set())
    with pytest.raises(ConditionError):
        evaluate({"bogus": 1}, facts, set())


def test_numeric_bounds_reads_a_facts_thresholds_anywhere_in_a_condition() -> None:
    condition = {"all": [{"fact": "sex", "eq": "male"}, {"fact": "a", "ge": 20},
                         {"any": [{"fact": "a", "lt": 30}, {"not": {"fact": "a", "gt": 50}}]},
                         {"fact": "b", "lt": 7}, {"fact": "a", "lt": {"fact": "b"}}]}
    # under "not" a comparison is what it then requires: not (a > 50) is a <= 50
    assert numeric_bounds(condition, "a") == [("ge", 20.0), ("lt", 30.0), ("le", 50.0)]
    assert numeric_bounds(condition, "b") == [("lt", 7.0)]
    assert numeric_bounds(condition, "sex") == [] and numeric_bounds("flag", "a") == []


def test_docs_list_every_fact() -> None:
    from tests.conftest import REPO

    text = (REPO / "docs" / "assessment.md").read_text(encoding="utf-8")
    missing = [name for name in run(make()).facts if f"`{name}`" not in text]
    assert not missing, f"docs/assessment.md does not list facts {missing}"


def test_the_documented_vocabulary_is_the_packaged_one() -> None:
    """docs/spec/codes.yaml, which the README links as the codes' contract, is the packaged file
    itself (it had fallen 20 codes and 2 drugs behind)."""
    import osteotwin

    packaged = Path(osteotwin.__file__).resolve().parent / "data" / "codes.yaml"
    documented = Path(__file__).resolve().parents[2] / "docs" / "spec" / "codes.yaml"
    assert documented.read_text(encoding="utf-8") == packaged.read_text(encoding="utf-8")
