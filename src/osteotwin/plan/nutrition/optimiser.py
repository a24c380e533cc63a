"""A week of food-based day plans as one mixed-integer programme (scipy ``milp``, HiGHS).

Decision variables, for each day d and food f: ``n[d,f]`` whole household portions (0..cap) and
``y[d,f]`` whether the food is used that day. Each day must reach every nutrient minimum, stay under
every maximum (upper levels, sodium) and sit near the energy estimate. Minimums are soft: a shortfall
variable per day and nutrient, heavily penalised, so an impossible target still gives the nearest plan
and names the gap instead of failing [OSTEOTWIN]. Realism and variety [OSTEOTWIN]: portion caps per
food, gram caps and floors per food category, 7-14 foods a day, and a food on at most 3 days a week
unless it is a staple (milks, bread, oil, rice, oats).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field

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
    "juice": 250.0, "oil": 45.0,
}
#: Grams per day a group of categories must reach at least [OSTEOTWIN: a plate with vegetables,
#: fruit and a starch every day].
GROUP_MIN_G: Mapping[str, tuple[tuple[str, ...], float]] = {
    "vegetables": (("vegetable",), 250.0),
    "fruit": (("fruit",), 100.0),
    "starch": (("grain", "bread"), 100.0),
}
ANIMAL_PROTEIN_MAX_G = 250.0  # meat + fish + shellfish per day [OSTEOTWIN]


@dataclass(frozen=True)
class PlannerSettings:
    days: int = 7
    max_days_per_food: int = 3
    min_foods_per_day: int = 7
    max_foods_per_day: int = 14
    time_limit_s: float = 1.5
    mip_rel_gap: float = 0.03
    shortfall_weight: float = 100.0  # per 100 % of a target missed, per day
    energy_weight: float = 20.0  # per 100 % off the energy estimate, per day
    food_use_cost: float = 0.05  # per food per day: favours simpler days
    seed: int = 20250601  # fixed tie-breaking noise: same input, same plan


DEFAULT_SETTINGS = PlannerSettings()


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


def _noise(n_days: int, n_foods: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.uniform(0.0, 0.02, size=(n_days, n_foods))


def plan_week(
    table: FoodTable,
    targets: NutritionTargets,
    *,
    food_caps: Mapping[str, float] | None = None,
    settings: PlannerSettings = DEFAULT_SETTINGS,
) -> WeekSolution:
    """Solve the week. ``food_caps`` overrides target maxima (e.g. UL minus current supplements)."""
    started = time.perf_counter()
    foods = table.foods
    n_days, n_foods = settings.days, len(foods)
    if n_foods == 0:
        return WeekSolution(tuple(DayPlan(d + 1, ()) for d in range(n_days)), "failed",
                            "no foods are left after the diet pattern and exclusions", 0.0)
    mins = [t for t in targets.targets if t.minimum is not None]
    maxs: list[tuple[str, float]] = []
    for t in targets.targets:
        cap = (food_caps or {}).get(t.nutrient, t.maximum)
        if cap is not None:
            maxs.append((t.nutrient, max(cap, 0.0)))
    n_min = len(mins)

    per_portion = {name: np.array([f.per_portion(name) or 0.0 for f in foods])
                   for name in {t.nutrient for t in targets.targets} | {"energy_kcal"}}
    grams = np.array([f.portion_grams for f in foods])
    cap_portions = np.array([float(f.max_portions_per_day) for f in foods])
    max_days = np.array([float(n_days if f.staple else settings.max_days_per_food) for f in foods])
    categories = sorted({f.category for f in foods})
    cat_index = {c: np.array([i for i, f in enumerate(foods) if f.category == c]) for c in categories}

    # variable layout
    nv = n_days * n_foods
    off_n, off_y = 0, nv
    off_s = 2 * nv
    off_e = off_s + n_days * n_min  # energy deviation: plus, minus per day
    n_vars = off_e + 2 * n_days

    def n_idx(d: int) -> np.ndarray:
        return off_n + d * n_foods + np.arange(n_foods)

    def y_idx(d: int) -> np.ndarray:
        return off_y + d * n_foods + np.arange(n_foods)

    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    lo: list[float] = []
    hi: list[float] = []
    row = 0

    def add(c: np.ndarray, v: np.ndarray, lower: float, upper: float) -> None:
        nonlocal row
        rows.append(np.full(len(c), row))
        cols.append(c)
        vals.append(v)
        lo.append(lower)
        hi.append(upper)
        row += 1

    energy = per_portion["energy_kcal"]
    e_target = targets.energy_kcal
    for d in range(n_days):
        nd, yd = n_idx(d), y_idx(d)
        for k, t in enumerate(mins):
            assert t.minimum is not None
            add(np.append(nd, off_s + d * n_min + k), np.append(per_portion[t.nutrient], 1.0),
                t.minimum, np.inf)
        for name, cap in maxs:
            add(nd, per_portion[name], -np.inf, cap)
        add(np.concatenate([nd, [off_e + 2 * d, off_e + 2 * d + 1]]),
            np.concatenate([energy, [-1.0, 1.0]]), e_target, e_target)
        add(nd, energy, -np.inf, e_target * (1.0 + 1.5 * ENERGY_TOLERANCE))
        add(yd, np.ones(n_foods), settings.min_foods_per_day, settings.max_foods_per_day)
        for c in categories:
            idx = cat_index[c]
            add(nd[idx], grams[idx], -np.inf, CATEGORY_MAX_G.get(c, np.inf))
        animal = np.concatenate([cat_index.get(c, np.array([], dtype=int))
                                 for c in ("meat", "fish", "shellfish")]).astype(int)
        if animal.size:
            add(nd[animal], grams[animal], -np.inf, ANIMAL_PROTEIN_MAX_G)
        for group_cats, floor in GROUP_MIN_G.values():
            parts = [cat_index[c] for c in group_cats if c in cat_index]
            if parts:
                idx = np.concatenate(parts)
                add(nd[idx], grams[idx], floor, np.inf)
        # link portions and use: n <= cap*y, y <= n
        for i in range(n_foods):
            add(np.array([nd[i], yd[i]]), np.array([1.0, -cap_portions[i]]), -np.inf, 0.0)
            add(np.array([yd[i], nd[i]]), np.array([1.0, -1.0]), -np.inf, 0.0)
    for i in range(n_foods):
        add(off_y + np.arange(n_days) * n_foods + i, np.ones(n_days), -np.inf, max_days[i])

    a = coo_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                   shape=(row, n_vars))
    constraint = LinearConstraint(csr_matrix(a), np.array(lo), np.array(hi))

    cost = np.zeros(n_vars)
    cost[off_y:off_y + nv] = settings.food_use_cost + _noise(n_days, n_foods, settings.seed).ravel()
    for d in range(n_days):
        for k, t in enumerate(mins):
            assert t.minimum is not None
            cost[off_s + d * n_min + k] = settings.shortfall_weight / max(t.minimum, 1e-9)
        cost[off_e + 2 * d: off_e + 2 * d + 2] = settings.energy_weight / e_target

    upper = np.full(n_vars, np.inf)
    upper[off_n:off_n + nv] = np.tile(cap_portions, n_days)
    upper[off_y:off_y + nv] = 1.0
    for d in range(n_days):
        for k, t in enumerate(mins):
            assert t.minimum is not None
            upper[off_s + d * n_min + k] = t.minimum
    integrality = np.zeros(n_vars)
    integrality[:2 * nv] = 1

    result = milp(cost, constraints=constraint, integrality=integrality,
                  bounds=Bounds(np.zeros(n_vars), upper),
                  options={"time_limit": settings.time_limit_s, "mip_rel_gap": settings.mip_rel_gap,
                           "disp": False})
    elapsed = time.perf_counter() - started
    if result.x is None:
        return WeekSolution(tuple(DayPlan(d + 1, ()) for d in range(n_days)), "failed",
                            str(result.message), elapsed)
    x = np.rint(result.x[:nv]).astype(int).reshape(n_days, n_foods)
    days = tuple(
        DayPlan(d + 1, tuple((foods[i], int(x[d, i])) for i in np.flatnonzero(x[d]))) for d in range(n_days)
    )
    shortfalls = {
        t.nutrient: tuple(max(0.0, (t.minimum or 0.0) - (day.total(t.nutrient) or 0.0)) for day in days)
        for t in mins
    }
    status = "optimal" if result.status == 0 else "time_limit"
    return WeekSolution(days, status, str(result.message), elapsed, shortfalls)
