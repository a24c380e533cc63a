"""Plotly figure specifications (plain dicts rendered by the vendored plotly.js; no Python plotly needed).

Trend charts show recorded values in the canonical unit of each test (``osteotwin.units.LAB_SPECS``);
what-if charts show the current course beside the alternative with 5-95 % bands where available.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from osteotwin.clinic.conditions import numeric_bounds
from osteotwin.clinic.engine import load_rules
from osteotwin.records import PatientRecord
from osteotwin.records.patient import SITES

TREND_TESTS: tuple[tuple[str, str, str], ...] = (
    ("estradiol", "Estradiol", "pg/mL"),
    ("total_testosterone", "Total testosterone", "ng/dL"),
    ("vitamin_d_25oh", "25(OH) vitamin D", "ng/mL"),
)
SITE_LABELS: dict[str, str] = {"lumbar_spine": "Lumbar spine", "total_hip": "Total hip",
                               "femoral_neck": "Femoral neck"}
COURSE_COLOURS = ("#4c566a", "#d08770")
#: Reference lines on the trend charts: the assessment's own thresholds, read from its rules (rule
#: id, the fact it tests, the sex it applies to, the side of the line its finding lies on), so chart
#: and finding cannot disagree; estradiol's lines are drawn for men only (a woman's low estradiol on
#: an inhibitor is the intended effect).
TREND_REFERENCES: dict[str, tuple[tuple[str, str, str | None, str], ...]] = {
    "estradiol": (("e2-low-men-deficient", "estradiol_pg_ml", "male", "below"),
                  ("e2-high-men", "estradiol_pg_ml", "male", "above")),
    "total_testosterone": (("t-low-severe", "testosterone_ng_dl", "male", "below"),
                           ("t-low", "testosterone_ng_dl", "male", "below")),
    "vitamin_d_25oh": (("vitd-deficient", "vitamin_d_ng_ml", None, "below"),
                       ("vitd-insufficient", "vitamin_d_ng_ml", None, "below")),
}
_SIDE_OPERATORS = {"below": ("lt", "le"), "above": ("gt", "ge")}


def _layout(title: str, y_title: str, x_title: str = "date") -> dict[str, Any]:
    return {"title": {"text": title}, "xaxis": {"title": {"text": x_title}},
            "yaxis": {"title": {"text": y_title}}, "margin": {"l": 60, "r": 20, "t": 70, "b": 50},
            "height": 340, "showlegend": True,
            "legend": {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"}}


def _date_axis(layout: dict[str, Any], dates: list[str]) -> dict[str, Any]:
    """A calendar x axis; a lone point gets a year around it instead of a millisecond range."""
    layout["xaxis"].update(type="date", tickformat="%b %Y")
    if dates:
        first, last = dt.date.fromisoformat(min(dates)), dt.date.fromisoformat(max(dates))
        pad = dt.timedelta(days=180 if first == last else max(15, (last - first).days // 20))
        layout["xaxis"]["range"] = [(first - pad).isoformat(), (last + pad).isoformat()]
    return layout


def reference_lines(test: str, sex: str) -> list[tuple[float, str]]:
    """(value, label) of each threshold the assessment applies to ``test`` for this sex, in the
    chart's unit: the edge of each rule's finding ("below 10: ESTRADIOL_LOW, high (sources)")."""
    rules = {rule.id: rule for rule in load_rules()}
    lines: dict[float, str] = {}
    for rule_id, fact, applies_to, side in TREND_REFERENCES.get(test, ()):
        if applies_to is not None and applies_to != sex:
            continue
        rule = rules[rule_id]
        for op, value in numeric_bounds(rule.when, fact):
            if op in _SIDE_OPERATORS[side]:
                severity = f", {rule.severity}" if rule.severity else ""
                lines.setdefault(value, f"{side} {value:g}: {rule.emits}{severity} "
                                        f"({', '.join(rule.citations[:2])})")
    return sorted(lines.items())


def lab_trend(record: PatientRecord, test: str, title: str, unit: str) -> dict[str, Any]:
    """Recorded results of one test over time (markers and lines), with the assessment's
    thresholds for it as dashed reference lines."""
    labs = record.labs_for(test)
    dates = [lab.date.isoformat() for lab in labs]
    values = [round(lab.value, 4) for lab in labs]
    trace = {"type": "scatter", "mode": "lines+markers", "name": f"{title} ({unit})", "x": dates, "y": values,
             "hovertemplate": "%{x}: %{y} " + unit + "<extra></extra>"}
    layout = _date_axis(_layout(title, unit), dates)
    lines = reference_lines(test, record.patient.sex)
    if lines:
        layout["shapes"] = [{"type": "line", "xref": "paper", "x0": 0, "x1": 1, "yref": "y",
                             "y0": value, "y1": value,
                             "line": {"dash": "dash", "width": 1, "color": "#8a1c1c"}}
                            for value, _ in lines]
        layout["annotations"] = [{"xref": "paper", "x": 0, "xanchor": "left", "yref": "y",
                                  "y": value, "yanchor": "bottom", "text": label,
                                  "showarrow": False, "font": {"size": 10, "color": "#8a1c1c"}}
                                 for value, label in lines]
        span = [*values, *(value for value, _ in lines)]
        low, high = min(span), max(span)
        pad = 0.15 * (high - low or high or 1.0)
        layout["yaxis"]["range"] = [max(0.0, low - pad), high + pad]
    return {"data": [trace], "layout": layout}


def bmd_trend(record: PatientRecord) -> dict[str, Any]:
    """BMD per site over time (g/cm²), one trace per site with any measured BMD."""
    traces = []
    dates: list[str] = []
    for site in SITES:
        scans = [s for s in record.scans_for(site) if s.bmd_g_cm2 is not None]
        dates.extend(s.date.isoformat() for s in scans)
        traces.append({"type": "scatter", "mode": "lines+markers", "name": SITE_LABELS[site],
                       "x": [s.date.isoformat() for s in scans],
                       "y": [s.bmd_g_cm2 for s in scans]})
    return {"data": traces, "layout": _date_axis(_layout("BMD by site", "g/cm²"), dates)}


def trend_charts(record: PatientRecord) -> list[tuple[str, dict[str, Any], int]]:
    """(element id, figure, number of points) for the timeline page."""
    charts = []
    for test, title, unit in TREND_TESTS:
        figure = lab_trend(record, test, title, unit)
        charts.append((f"chart-{test}", figure, len(figure["data"][0]["x"])))
    figure = bmd_trend(record)
    charts.append(("chart-bmd", figure, sum(len(t["x"]) for t in figure["data"])))
    return charts


WHAT_IF_PANELS: tuple[tuple[str, str, str], ...] = (
    ("estradiol_pg_ml", "Predicted estradiol", "pg/mL"),
    ("lumbar_spine_bmd_change_pct", "Lumbar spine BMD change", "% from {start}"),
    ("total_hip_bmd_change_pct", "Total hip BMD change", "% from {start}"),
    ("femoral_neck_bmd_change_pct", "Femoral neck BMD change", "% from {start}"),
)


def what_if_charts(result: dict[str, Any], start: str = "today") -> list[tuple[str, dict[str, Any]]]:
    """One figure per quantity: each course as a line, its 5-95 % band shaded when present;
    ``start`` names t = 0 on the axes (today, or the record's assessment date)."""
    figures = []
    for key, title, unit_pattern in WHAT_IF_PANELS:
        unit = unit_pattern.format(start=start)
        traces: list[dict[str, Any]] = []
        for course, colour in zip(result.get("courses", []), COURSE_COLOURS, strict=False):
            if key not in course.get("series", {}):
                continue
            years = [round(t / 365.25, 3) for t in course["times_d"]]
            band = course.get("bands", {}).get(key)
            if isinstance(band, dict) and "low" in band and "high" in band:
                traces.append({"type": "scatter", "mode": "lines", "x": years, "y": band["high"],
                               "line": {"width": 0}, "showlegend": False, "hoverinfo": "skip"})
                traces.append({"type": "scatter", "mode": "lines", "x": years, "y": band["low"],
                               "fill": "tonexty", "line": {"width": 0}, "opacity": 0.3,
                               "name": f"{course['label']} 5-95 %", "fillcolor": colour + "44"})
            traces.append({"type": "scatter", "mode": "lines", "name": course["label"], "x": years,
                           "y": course["series"][key], "line": {"color": colour, "width": 2}})
        if traces:
            layout = _layout(title, unit, f"years from {start}")
            layout.update(height=420, margin={"l": 60, "r": 20, "t": 40, "b": 150},
                          legend={"orientation": "h", "x": 0, "y": -0.25, "yanchor": "top"})
            figures.append((f"whatif-{key}", {"data": traces, "layout": layout}))
    return figures
