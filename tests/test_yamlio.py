"""The one YAML entry point: safe types only, errors with a position, same result as PyYAML's
pure-Python safe loader."""

from __future__ import annotations

from importlib import resources

import pytest
import yaml

from osteotwin.yamlio import safe_load


def test_parses_the_packaged_rule_table_as_the_pure_python_loader_does() -> None:
    text = resources.files("osteotwin.data").joinpath("clinic", "rules.yaml").read_text("utf-8")
    assert safe_load(text) == yaml.load(text, Loader=yaml.SafeLoader)


def test_refuses_python_objects() -> None:
    with pytest.raises(yaml.YAMLError):
        safe_load("!!python/object/apply:os.system ['true']")


def test_syntax_error_carries_line_and_column() -> None:
    with pytest.raises(yaml.MarkedYAMLError) as info:
        safe_load("a: 1\nb: [2, 3\n")
    assert info.value.problem_mark is not None
    assert info.value.problem_mark.line >= 1
