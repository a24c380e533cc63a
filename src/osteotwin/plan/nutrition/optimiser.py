"""A week of food-based day plans by mixed-integer programming (scipy ``milp``, HiGHS).

Each day is one MILP: ``n[f]`` whole household portions of food f (0..its cap). The day must reach every
nutrient minimum, stay under every maximum (upper levels, sodium) and keep energy within ±10 % of the
estimate. Minimums are soft: a shortfall variable per nutrient, heavily penalised, so an impossible
target still gives the nearest plan and names the gap instead of failing [OSTEOTWIN]. Realism and
variety [OSTEOTWIN]: portion caps per food, gram caps and floors per food category, milks and yogurt
together at most 3 cups a day and fish or shellfish on at most 2 days a week [DGA2020], and a food on at
most 3 days a week unless it is a staple (milks, bread, oil, rice, oats), natto on at most 2 (a specialty
food); days are solved in order, each seeing which foods earlier days used up.

Speed: the LP relaxation picks a small "kernel" of foods (its support plus a few random others); the
MILP is solved on the kernel first and on all foods only if the kernel misses a target the relaxation
could meet. Targets the relaxation cannot meet are aimed at 85 % of what it reaches, so no time is spent
chasing the impossible. Solves are time-limited: the same input gives the same plan whenever they
finish within their limits (tie-breaking noise is seeded).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix, csr_matrix

from osteotwin.plan.nutrition.foods import Food, FoodTable
from osteotwin.plan.nutrition.targets import ENERGY_TOLERANCE, NutritionTargets

#: Grams per day a food category may contribute at most [OSTEOTWIN: ordinary serving patterns].
CATEGORY_MAX_G: Mapping[str, float] = {
    "milk": 735.0, "plant_milk": 790.0, "yogurt": 490.0, "cheese": 90.0, "egg": 100.0,
    "meat": 200.0, "fish": 200.0, "shellfish": 170.0, "legume": 200.0, "soy": 260.0,
    "nut_seed": 60.0, "grain": 420.0, "bread": 130.0, "vegetable": 900.0, "fruit": 600.0,
    "juice": 250.0, "oil": 45.0, "vitamin_d_mushroom": 125.0,
}
#: Grams per day a group of categories may contribute at most, together. Milks, plant milks and yogurt:
#: 3 cups (3 × 245 g), the 3 cup-equivalents of dairy a day of the Dietary Guidelines' adult pattern
#: [DGA2020], used here as a realistic ceiling so that vitamin D is not chased with litres of milk
#: (the supplement suggestion covers what food leaves) [OSTEOTWIN].
GROUP_MAX_G: Mapping[str, tuple[tuple[str, ...], float]] = {
    "milk_and_yogurt": (("milk", "plant_milk", "yogurt"), 735.0),
}
#: Days a week a group of food categories may appear at most [OSTEOTWIN]: UV-exposed and maitake
#: mushrooms are specialty items, and counting on them daily for vitamin D would not be a realistic
#: diet; fish and shellfish on 2 days, the about 2 servings (8 oz) of seafood a week of the Dietary
#: Guidelines [DGA2020] (more is fine, but the plan does not chase vitamin D with fish every day).
GROUP_MAX_DAYS: Mapping[str, tuple[tuple[str, ...], int]] = {
    "vitamin_d_mushroom": (("vitamin_d_mushroom",), 2),
    "seafood": (("fish", "shellfish"), 2),
}
#: The realism limits above, in words, with their sources (shown with the plan).
FOOD_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("milk, plant milk and yogurt together: at most 3 cups (735 g) a day, the dairy amount of the "
     "Dietary Guidelines' adult pattern; vitamin D is not chased with more milk", ("DGA2020", "OSTEOTWIN")),
    ("fish or shellfish on at most 2 days a week, the about 2 servings (8 oz) of seafood a week of the "
     "Dietary Guidelines; what vitamin D food then leaves is for the supplement suggestion",
     ("DGA2020", "OSTEOTWIN")),
    ("UV-exposed or maitake mushrooms on at most 2 days a week (specialty items)", ("OSTEOTWIN",)),
)
#: Days a week each category may appear at most (through its group), for explanations.
CATEGORY_MAX_DAYS: Mapping[str, int] = {
    category: limit for categories, limit in GROUP_MAX_DAYS.values() for category in categories}
#: Days a week single foods may appear at most, below the general limit [OSTEOTWIN: natto, a cup of
#: which is a large serving of a specialty food outside Japanese diets, came up on three days a week
#: as the richest vitamin K and protein source; two days keep it an occasional dish].
FOOD_MAX_DAYS: Mapping[str, int] = {"16113": 2}
#: Grams per day a group of categories must reach at least [OSTEOTWIN: a plate with vegetables,
#: fruit and a starch every day].
GROUP_MIN_G: Mapping[str, tuple[tuple[str, ...], float]] = {
    "vegetables": (("vegetable", "vitamin_d_mushroom"), 250.0),
    "fruit": (("fruit",), 100.0),
    "starch": (("grain", "bread"), 100.0),
}
ANIMAL_PROTEIN_MAX_G = 250.0  # meat + fish + shellfish per day [OSTEOTWIN]


@dataclass(frozen=True)
class PlannerSettings:
    days: int = 7
    max_days_per_food: int = 3
    time_limit_s: float = 1.4  # for the whole week (shared equally by the days)
    #: a day that stops on time with a target still unmet is solved once more with this (week) budget
    retry_time_limit_s: float = 7.0
    #: a constant added to every day's objective so the relative gap acts as an absolute one:
    #: 0.02 × (10 + objective) ≈ 0.2, far below the cost of missing any target by 1 % (1.0)
    objective_offset: float = 10.0
    mip_rel_gap: float = 0.02
    shortfall_weight: float = 100.0  # per 100 % of a target missed, per day
    energy_weight: float = 20.0  # per 100 % below the energy band, per day
    portion_cost: float = 0.02  # per portion: among equal plans, favours fewer portions
    kernel_extra_foods: int = 25  # random foods added to the LP's choice before the integer solve
    seed: int = 20250601  # fixed tie-breaking noise: same input, same plan


DEFAULT_SETTINGS = PlannerSettings()
#: an integer plan may miss targets by at most this much more (summed fractions) than the relaxation
KERNEL_SLACK = 0.005
#: where food cannot reach a minimum, the integer plan aims at this fraction of what the relaxation
#: reaches; the gap is then reported and explained rather than chased [OSTEOTWIN]
INFEASIBLE_AIM = 0.85


@dataclass(frozen=True)
class DayPlan:
    day: int
    items: tuple[tuple[Food, int], ...]  # (food, portions)

    def grams(self, food: Food, portions: int) -> float:
        return portions * food.portion_grams

    def total(self, nutrient: str) -> float | None:
        """Sum from the table (per-100 g value × grams / 100); None if any item lacks a value."""
        total = 0.0
        for food, portions in self.items:
            value = food.per_100g.get(nutrient)
            if value is None:
                return None
            total += value * portions * food.portion_grams / 100.0
        return total


@dataclass(frozen=True)
class WeekSolution:
    days: tuple[DayPlan, ...]
    status: str  # "optimal", "time_limit" (best plan found in time) or "failed"
    message: str
    solve_time_s: float
    shortfalls: Mapping[str, tuple[float, ...]] = field(default_factory=dict)  # per nutrient, per day


def _noise(n_foods: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0.0, 0.02, size=n_foods)


@dataclass(frozen=True)
class _DayModel:
    """The constraint matrix shared by every day; only bounds and costs change between days."""

    constraint: LinearConstraint
    n_foods: int
    n_min: int
    n_vars: int
    cap_portions: np.ndarray
    min_values: np.ndarray


def _day_model(foods: tuple[Food, ...], targets: NutritionTargets,
               caps: list[tuple[str, float]], settings: PlannerSettings) -> _DayModel:
    mins = [t for t in targets.targets if t.minimum is not None]
    n_foods, n_min = len(foods), len(mins)
    per_portion = {name: np.array([f.per_portion(name) or 0.0 for f in foods])
                   for name in {t.nutrient for t in targets.targets} | {"energy_kcal"}}
    grams = np.array([f.portion_grams for f in foods])
    cap_portions = np.array([float(f.max_portions_per_day) for f in foods])
    categories = sorted({f.category for f in foods})
    cat_index = {c: np.array([i for i, f in enumerate(foods) if f.category == c]) for c in categories}
    # variables: n (portions) | shortfall per minimum | energy shortfall below the band | offset
    off_s = n_foods
    off_e = off_s + n_min
    n_vars = off_e + 2  # the last variable is fixed at 1: it carries the objective offset
    nd = np.arange(n_foods)
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    lo: list[float] = []
    hi: list[float] = []

    def add(c: np.ndarray, v: np.ndarray, lower: float, upper: float) -> None:
        rows.append(np.full(len(c), len(lo)))
        cols.append(c)
        vals.append(v)
        lo.append(lower)
        hi.append(upper)

    for k, t in enumerate(mins):
        add(np.append(nd, off_s + k), np.append(per_portion[t.nutrient], 1.0), t.minimum or 0.0, np.inf)
    for name, cap in caps:
        add(nd, per_portion[name], -np.inf, cap)
    energy, e_target = per_portion["energy_kcal"], targets.energy_kcal
    # energy within ±tolerance of the estimate: the upper edge is hard, falling short is penalised
    add(np.append(nd, off_e), np.append(energy, 1.0), e_target * (1.0 - ENERGY_TOLERANCE), np.inf)
    add(nd, energy, -np.inf, e_target * (1.0 + ENERGY_TOLERANCE))
    for c in categories:
        idx = cat_index[c]
        add(nd[idx], grams[idx], -np.inf, CATEGORY_MAX_G.get(c, np.inf))
    for group_cats, cap in GROUP_MAX_G.values():
        parts = [cat_index[c] for c in group_cats if c in cat_index]
        if parts:
            idx = np.concatenate(parts)
            add(nd[idx], grams[idx], -np.inf, cap)
    animal = [cat_index[c] for c in ("meat", "fish", "shellfish") if c in cat_index]
    if animal:
        idx = np.concatenate(animal)
        add(nd[idx], grams[idx], -np.inf, ANIMAL_PROTEIN_MAX_G)
    for group_cats, floor in GROUP_MIN_G.values():
        parts = [cat_index[c] for c in group_cats if c in cat_index]
        if parts:
            idx = np.concatenate(parts)
            add(nd[idx], grams[idx], floor, np.inf)
    a = coo_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                   shape=(len(lo), n_vars))
    return _DayModel(LinearConstraint(csr_matrix(a), np.array(lo), np.array(hi)), n_foods, n_min,
                     n_vars, cap_portions, np.array([t.minimum or 0.0 for t in mins]))


def _relative_shortfall(model: _DayModel, x: np.ndarray, which: np.ndarray | None = None) -> float:
    """Sum over minimums (all, or those where ``which`` is True) of the unmet fraction in ``x``."""
    n = model.n_foods
    weights = 1.0 / np.maximum(model.min_values, 1e-9)
    if which is not None:
        weights = np.where(which, weights, 0.0)
    return float(x[n:n + model.n_min] @ weights)


def _solve_day(model: _DayModel, available: np.ndarray, targets: NutritionTargets,
               settings: PlannerSettings, seed: int, time_limit: float) -> tuple[Any, np.ndarray]:
    """One day: LP relaxation, then the MILP on the LP's foods plus a random handful (a "kernel"),
    then, only if the kernel misses targets the relaxation could meet, the MILP over every available
    food. Returns the solver result and which minimums food can reach at all (by the relaxation)."""
    n_foods, n_min = model.n_foods, model.n_min
    cost = np.zeros(model.n_vars)
    cost[:n_foods] = settings.portion_cost + _noise(n_foods, seed)
    cost[n_foods:n_foods + n_min] = settings.shortfall_weight / np.maximum(model.min_values, 1e-9)
    cost[-2] = settings.energy_weight / targets.energy_kcal
    cost[-1] = settings.objective_offset
    lower = np.zeros(model.n_vars)
    lower[-1] = 1.0
    upper = np.full(model.n_vars, np.inf)
    upper[-1] = 1.0
    upper[n_foods:n_foods + n_min] = model.min_values
    integrality = np.zeros(model.n_vars)

    constraint = model.constraint

    def run(foods_on: np.ndarray, integer: bool, limit: float) -> Any:
        upper[:n_foods] = np.where(foods_on, model.cap_portions, 0.0)
        integrality[:n_foods] = 1 if integer else 0
        return milp(cost, constraints=constraint, integrality=integrality,
                    bounds=Bounds(lower, upper),
                    options={"time_limit": max(limit, 0.01), "mip_rel_gap": settings.mip_rel_gap,
                             "disp": False})

    relaxed = run(available, integer=False, limit=time_limit)
    reachable = np.ones(n_min, dtype=bool)
    if relaxed.x is not None:
        reachable = relaxed.x[n_foods:n_foods + n_min] <= 1e-6 * np.maximum(model.min_values, 1.0)
    bound = _relative_shortfall(model, relaxed.x) if relaxed.x is not None else 0.0
    if relaxed.x is not None and bound > 1e-9:
        # some minimum cannot be reached even fractionally: aim the integer plan at what the
        # relaxation reaches (less 15 % for whole portions) instead of chasing the impossible
        reached = model.constraint.A[:n_min, :n_foods] @ relaxed.x[:n_foods]
        lb = np.array(model.constraint.lb, dtype=float)
        lb[:n_min] = np.where(reachable, lb[:n_min], np.maximum(reached, 0.0) * INFEASIBLE_AIM)
        constraint = LinearConstraint(model.constraint.A, lb, model.constraint.ub)
        relaxed = run(available, integer=False, limit=time_limit)
        bound = _relative_shortfall(model, relaxed.x) if relaxed.x is not None else 0.0
    if relaxed.x is not None:
        kernel = available & (relaxed.x[:n_foods] > 1e-6)
        others = np.flatnonzero(available & ~kernel)
        rng = np.random.default_rng(seed)
        extra = rng.choice(others, size=min(settings.kernel_extra_foods, others.size), replace=False)
        kernel[extra] = True
        result = run(kernel, integer=True, limit=time_limit)
        if result.x is not None and (
                _relative_shortfall(model, result.x) <= bound + KERNEL_SLACK
                or (not reachable.all()
                    and _relative_shortfall(model, result.x, reachable) <= KERNEL_SLACK)):
            return result, reachable
    return run(available, integer=True, limit=time_limit), reachable


def plan_week(
    table: FoodTable,
    targets: NutritionTargets,
    *,
    food_caps: Mapping[str, float] | None = None,
    settings: PlannerSettings = DEFAULT_SETTINGS,
) -> WeekSolution:
    """Plan the week day by day; ``food_caps`` overrides target maxima (UL minus current supplements).

    Each day is one MILP; a food used on its allowed number of days is unavailable afterwards, which
    spreads foods across the week. Days are solved in order with their own tie-breaking noise.
    """
    started = time.perf_counter()
    foods = table.foods
    n_days = settings.days
    if not foods:
        return WeekSolution(tuple(DayPlan(d + 1, ()) for d in range(n_days)), "failed",
                            "no foods are left after the diet pattern and exclusions", 0.0)
    caps: list[tuple[str, float]] = []
    for t in targets.targets:
        cap = (food_caps or {}).get(t.nutrient, t.maximum)
        if cap is not None:
            caps.append((t.nutrient, max(cap, 0.0)))
    model = _day_model(foods, targets, caps, settings)
    max_days = np.array([min(n_days if f.staple else settings.max_days_per_food,
                             FOOD_MAX_DAYS.get(f.ndb_no, n_days)) for f in foods])
    used_days = np.zeros(len(foods), dtype=int)
    category = np.array([f.category for f in foods])
    in_group = {name: np.isin(category, cats) for name, (cats, _) in GROUP_MAX_DAYS.items()}
    group_days: dict[str, int] = dict.fromkeys(GROUP_MAX_DAYS, 0)
    per_day_limit = settings.time_limit_s / n_days
    days: list[DayPlan] = []
    statuses: list[str] = []
    messages: list[str] = []
    for d in range(n_days):
        available = used_days < max_days
        for name, (_, limit) in GROUP_MAX_DAYS.items():
            if group_days[name] >= limit:
                available &= ~in_group[name]
        result, reachable = _solve_day(model, available, targets, settings, settings.seed + d,
                                       per_day_limit)
        if result.x is None or (
                result.status != 0
                and _relative_shortfall(model, result.x, reachable) > KERNEL_SLACK):
            retry, _ = _solve_day(model, available, targets, settings, settings.seed + d,
                                  settings.retry_time_limit_s / n_days)
            if retry.x is not None:
                result = retry
        if result.x is None:
            statuses.append("failed")
            messages.append(f"day {d + 1}: {result.message}")
            days.append(DayPlan(d + 1, ()))
            continue
        statuses.append("optimal" if result.status == 0 else "time_limit")
        portions = np.rint(result.x[:len(foods)]).astype(int)
        used_days += portions > 0
        for name in group_days:
            group_days[name] += bool(np.any((portions > 0) & in_group[name]))
        days.append(DayPlan(d + 1, tuple((foods[i], int(portions[i]))
                                         for i in np.flatnonzero(portions))))
    mins = [t for t in targets.targets if t.minimum is not None]
    shortfalls = {
        t.nutrient: tuple(max(0.0, (t.minimum or 0.0) - (day.total(t.nutrient) or 0.0)) for day in days)
        for t in mins
    }
    status = ("failed" if "failed" in statuses else "time_limit" if "time_limit" in statuses
              else "optimal")
    return WeekSolution(tuple(days), status, "; ".join(messages) or "solved",
                        time.perf_counter() - started, shortfalls)
