"""Human-readable renderings of the plan document: plain text and a self-contained HTML page."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, select_autoescape

_TEXT_UNITS = {"calcium_mg": "mg", "vitamin_d_iu": "IU", "protein_g": "g", "magnesium_mg": "mg",
               "vitamin_k1_mcg": "µg", "potassium_mg": "mg", "sodium_mg": "mg", "energy_kcal": "kcal"}


def _rx_line(rx: dict[str, Any]) -> str:
    dose = (f"{rx['sets']} × {rx['reps']}" if rx["sets"] and rx["reps"]
            else f"{rx['sets']} sets" if rx["sets"] else f"{rx['duration_min']:g} min")
    extra = f" — {rx['notes']}" if rx["notes"] else ""
    sup = " [supervised]" if rx["supervised"] else ""
    return f"    {rx['name']}: {dose}, {rx['intensity']}{sup}{extra} [{', '.join(rx['sources'])}]"


def render_text(doc: dict[str, Any], *, sessions_shown: int = 14) -> str:
    """Plain-text plan: safety first, then the week, the first sessions, and the nutrition week."""
    ex, nu = doc["exercise"], doc["nutrition"]
    out = [f"osteotwin plan (as of {doc['as_of']}) — {doc['disclaimer']}", "", "SAFETY"]
    out += [f"  [{f['severity']}] {f['message']} [{', '.join(f['sources'])}]" for f in ex["safety"]]
    if ex["substitutions"]:
        out.append("  substitutions:")
        out += [f"    {s['instead_of_name']} → {s['use_name']}: {s['reason']} [{', '.join(s['sources'])}]"
                for s in ex["substitutions"]]
    if ex["avoid"]:
        out.append("  avoid: " + "; ".join(f"{a['instead_of_name']} ({a['reason']})"
                                           for a in ex["avoid"]))
    out += ["", f"EXERCISE — {ex['weeks']} weeks"]
    out += [f"  {p['name']}: weeks {p['weeks'][0]}-{p['weeks'][1]}: {p['description']}"
            for p in ex["phases"]]
    out.append("  weekly schedule:")
    out += [f"    {d['day']}: {d['summary']}" for d in ex["weekly_schedule"]]
    out.append("  progression rules:")
    out += [f"    - {r['rule']} [{', '.join(r['sources'])}]" for r in ex["progression_rules"]]
    shown = ex["sessions"][:sessions_shown]
    out.append(f"  sessions (first {len(shown)} of {len(ex['sessions'])}; all in --format json):")
    for s in shown:
        out.append(f"   week {s['week']} {s['day']} ({s['kind_label']}, {s['phase']})")
        out += [_rx_line(rx) for rx in s["exercises"]]
    out += ["", "NUTRITION — targets per day"]
    out += [f"  {t['label']}: " + (f">= {t['minimum']:.0f} " if t["minimum"] is not None else "")
            + (f"<= {t['maximum']:.0f} " if t["maximum"] is not None else "")
            + (f"~{t['estimate']} " if t.get("estimate") else "")
            + f"{t['unit']} ({t['basis']}) [{', '.join(t['sources'])}]" for t in nu["target_details"]]
    for day in nu["days"]:
        out.append(f"  day {day['day']}:")
        out += [f"    {f['meal']:<9} {f['portion']} {f['description']} ({f['grams']:g} g)"
                for f in day["foods"]]
        out.append("    totals: " + ", ".join(f"{k.rsplit('_', 1)[0]} {v:g} {_TEXT_UNITS[k]}"
                                             for k, v in day["totals"].items()))
    for s in nu["supplements"]:
        out.append(f"  SUPPLEMENT ({s['status']}): {s['name']} {s['dose_per_day']:g} {s['unit']} — "
                   f"{s['reason']}")
    for g in nu["unmet"]:
        out.append(f"  NOT MET FROM FOOD: {g['explanation']}")
    out += [f"  note: {n}" for n in nu["notes"]]
    out += [f"  food rule: {r['rule']} [{', '.join(r['sources'])}]" for r in nu.get("food_rules", [])]
    out += ["", "SOURCES"] + [f"  [{k}] {v}" for k, v in doc["sources"].items()]
    return "\n".join(out)


_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>osteotwin plan {{ doc.as_of }}</title>
<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;line-height:1.4}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ccc;padding:.2rem .5rem;text-align:left}
.restriction{color:#a00}.caution{color:#a60}.src{color:#555;font-size:.85em}</style></head><body>
<h1>Personal plan <small>as of {{ doc.as_of }}</small></h1>
<p><strong>{{ doc.disclaimer }}</strong></p>
<h2>Safety</h2><ul>{% for f in ex.safety %}<li class="{{ f.severity }}">{{ f.message }}
<span class="src">[{{ f.sources|join(', ') }}]</span></li>{% endfor %}</ul>
{% if ex.substitutions %}<h3>Substitutions</h3><ul>{% for s in ex.substitutions %}<li>{{ s.instead_of_name }} →
{{ s.use_name }}: {{ s.reason }} <span class="src">[{{ s.sources|join(', ') }}]</span></li>{% endfor %}</ul>{% endif %}
{% if ex.avoid %}<h3>Avoid</h3><ul>{% for a in ex.avoid %}<li>{{ a.instead_of_name }}: {{ a.reason }} (instead: {{ a.use_name }})
<span class="src">[{{ a.sources|join(', ') }}]</span></li>{% endfor %}</ul>{% endif %}
<h2>Exercise ({{ ex.weeks }} weeks)</h2>
<table><tr><th>Day</th><th>Session</th><th>What</th><th>Minutes</th></tr>{% for d in ex.weekly_schedule %}
<tr><td>{{ d.day }}</td><td>{{ d.kind_label }}</td><td>{{ d.summary }}</td><td>{{ '%.0f'|format(d.minutes) }}</td></tr>{% endfor %}</table>
<ul>{% for r in ex.progression_rules %}<li>{{ r.rule }} <span class="src">[{{ r.sources|join(', ') }}]</span></li>{% endfor %}</ul>
{% for s in ex.sessions %}<h3>Week {{ s.week }} {{ s.day }} — {{ s.kind_label }} ({{ s.phase }})</h3>
<table><tr><th>Exercise</th><th>Sets × reps / minutes</th><th>Intensity</th><th>Notes</th><th>Regression</th></tr>
{% for x in s.exercises %}<tr><td>{{ x.name }}</td><td>{% if x.sets and x.reps %}{{ x.sets }} × {{ x.reps }}{% elif x.sets %}{{ x.sets }} sets{% else %}{{ '%g'|format(x.duration_min) }} min{% endif %}</td>
<td>{{ x.intensity }}{% if x.supervised %} (supervised){% endif %}</td><td>{{ x.notes }}</td><td>{{ x.regression }}</td></tr>{% endfor %}</table>{% endfor %}
<h2>Nutrition</h2>
<table><tr><th>Per day</th><th>Target</th><th>Upper limit</th><th>Basis</th><th>Sources</th></tr>
{% for t in nu.target_details %}<tr><td>{{ t.label }}</td><td>{% if t.estimate %}about {{ '{:,.0f}'.format(t.estimate) }} {{ t.unit }}{% elif t.minimum is not none %}at least {{ '{:,.0f}'.format(t.minimum) }} {{ t.unit }}{% endif %}</td>
<td>{% if t.maximum is not none %}{{ '{:,.0f}'.format(t.maximum) }} {{ t.unit }}{% endif %}</td><td>{{ t.basis }}</td><td>{{ t.sources|join(', ') }}</td></tr>{% endfor %}</table>
{% if nu.notes %}<ul>{% for n in nu.notes %}<li>{{ n }}</li>{% endfor %}</ul>{% endif %}
{% if nu.food_rules %}<ul>{% for r in nu.food_rules %}<li>{{ r.rule }} <span class="src">[{{ r.sources|join(', ') }}]</span></li>{% endfor %}</ul>{% endif %}
{% for d in nu.days %}<h3>Day {{ d.day }}</h3><table><tr><th>Meal</th><th>Food (SR28)</th><th>Portion</th><th>Grams</th></tr>
{% for f in d.foods %}<tr><td>{{ f.meal }}</td><td>{{ f.description }} ({{ f.ndb_no }})</td><td>{{ f.portion }}</td><td>{{ f.grams }}</td></tr>{% endfor %}</table>
<p>Totals: {% for k, v in d.totals.items() %}{{ names.get(k, (k, ''))[0] }} {{ '{:,.0f}'.format(v) }} {{ names.get(k, ('', ''))[1] }}{% if not loop.last %}, {% endif %}{% endfor %}</p>{% endfor %}
{% for s in nu.supplements %}<p class="caution"><strong>Supplement ({{ s.status }}):</strong> {{ s.name }} {{ s.dose_per_day }} {{ s.unit }} — {{ s.reason }}</p>{% endfor %}
{% for g in nu.unmet %}<p class="restriction"><strong>Not met from food:</strong> {{ g.explanation }}</p>{% endfor %}
<h2>Sources</h2><ul>{% for k, v in doc.sources.items() %}<li>[{{ k }}] {{ v }}</li>{% endfor %}</ul>
</body></html>
"""


def render_html(doc: dict[str, Any]) -> str:
    """A self-contained HTML page of the whole plan (all values escaped)."""
    env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    names = {t["nutrient"]: (t["label"], t["unit"]) for t in doc["nutrition"]["target_details"]}
    return env.from_string(_HTML).render(doc=doc, ex=doc["exercise"], nu=doc["nutrition"],
                                         names=names)
