"""How a simulated value is printed: no false precision, the same in every table.

Changes (percent or percentage points) are signed with one decimal; levels (hormones in pg/mL or
ng/dL) keep three significant figures, trailing zeros included, so a value and its band read with
the same precision ("4.50 [3.28, 5.63]", not "4.5 [3.28, 5.63]"); levels of 100 or more are whole
numbers. Used by the tables of ``osteotwin simulate``, the web what-if and the report (osteotwin's
choice: the model's uncertainty is far wider than a fourth figure).
"""

from __future__ import annotations

import math


def simulated_value(name: str, value: float) -> str:
    """``value`` of series ``name`` as text (``*_change_pct``: a change; anything else: a level)."""
    if not math.isfinite(value):
        return "-"
    if name.endswith("_change_pct"):
        return f"{round(value, 1) + 0.0:+.1f}"  # + 0.0: no "-0.0" for a change that rounds to 0
    if value == 0 or abs(value) >= 99.95:
        return f"{value:.0f}"
    decimals = max(0, 2 - math.floor(math.log10(abs(value))))
    return f"{value:.{decimals}f}"
