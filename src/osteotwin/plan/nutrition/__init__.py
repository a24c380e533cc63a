"""Nutrition planner: targets, SR28 food table, MILP week optimiser, supplements for gaps."""
