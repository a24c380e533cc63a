"""The packaged SR28 subset: values copied exactly, tags consistent with SR28 groups and names."""

from __future__ import annotations

import re

import pytest

from osteotwin.plan.nutrition.foods import (
    NUTRIENT_COLUMNS,
    OPTIMISED_NUTRIENTS,
    excluded_tags,
    packaged_food_table,
)


def test_subset_is_modest_and_values_equal_sr28(sr28_foods: dict[str, dict[str, str]]) -> None:
    table = packaged_food_table()
    assert 100 <= len(table) <= 400
    for food in table.foods:
        row = sr28_foods[food.ndb_no]
        assert food.description == row["description"]
        for column in NUTRIENT_COLUMNS:
            expected = None if row[column] == "" else float(row[column])
            assert food.per_100g[column] == expected, (food.ndb_no, column)
        for column in OPTIMISED_NUTRIENTS:
            assert food.per_100g[column] is not None


def test_tags_agree_with_sr28_groups_and_names(sr28_foods: dict[str, dict[str, str]]) -> None:
    meat_groups = {"0500", "0700", "1000", "1300", "1700"}
    for food in packaged_food_table().foods:
        row = sr28_foods[food.ndb_no]
        text, group = row["description"].lower(), row["food_group_code"]
        assert ("meat" in food.tags) == (group in meat_groups), text
        if group == "1500":
            expected = "shellfish" if text.startswith(("crustaceans", "mollusks")) else "fish"
            assert expected in food.tags, text
        if group == "0100":
            assert food.tags & {"dairy", "eggs"}, text
        if re.search(r"\b(soy\w*|tofu|natto|edamame|miso|tempeh)\b", text):
            assert "soy" in food.tags, text
        if re.search(r"\bpeanut", text):
            assert "peanuts" in food.tags, text
        if re.search(r"\b(almond|walnut|cashew|pistachio|hazelnut|brazilnut|pecan|coconut)", text):
            assert "nuts" in food.tags, text
        if re.search(r"\b(wheat|barley|rye|bulgur|couscous|pasta|oats?)\b", text):
            assert "gluten" in food.tags, text
        assert not re.search(r"\b(spinach|chard|beet greens|rhubarb)\b", text), \
            "high-oxalate greens overstate absorbable calcium"


@pytest.mark.parametrize(("pattern", "exclusions", "banned"), [
    ("vegan", (), {"meat", "fish", "shellfish", "dairy", "eggs", "may_contain_dairy",
                   "may_contain_eggs", "may_contain_lard"}),
    ("vegetarian", ("soy",), {"meat", "fish", "shellfish", "soy", "may_contain_lard"}),
    ("pescatarian", ("gluten", "nuts"), {"meat", "gluten", "nuts", "may_contain_lard"}),
    (None, ("dairy",), {"dairy", "may_contain_dairy"}),
    ("omnivore", ("eggs",), {"eggs", "may_contain_eggs"}),
])
def test_diet_patterns_and_exclusions(pattern: str | None, exclusions: tuple[str, ...],
                                      banned: set[str]) -> None:
    tags = excluded_tags(pattern, exclusions)
    assert banned <= tags
    allowed = packaged_food_table().without_tags(tags)
    assert all(not (f.tags & banned) for f in allowed.foods)
    assert len(allowed) > 50
