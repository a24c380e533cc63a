"""Human-readable renderings of the plan document: plain text and a self-contained HTML page."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, select_autoescape

_TEXT_UNITS = {"calcium_mg": "mg", "vitamin_d_iu": "IU", "protein_g": "g", "magnesium_mg": "mg",
               "vitamin_k1_mcg": "µg", "potassium_mg": "mg", "sodium_mg": "mg", "energy_kcal": "kcal"}


def cited(item: dict[str, Any]) -> str:
    """An item's source keys and its evidence grade: "[LIFTMOR, ESSA; grade A]"."""
    grade = item.get("evidence_grade")
    return f"[{', '.join(item['sources'])}{f'; grade {grade}' if grade else ''}]"


def _rx_line(rx: dict[str, Any]) -> str:
    dose = (f"{rx['sets']} × {rx['reps']}" if rx["sets"] and rx["reps"]
            else f"{rx['sets']} sets" if rx["sets"] else f"{rx['duration_min']:g} min")
    extra = f" — {rx['notes']}" if rx["notes"] else ""
    sup = " [supervised]" if rx["supervised"] else ""
    return f"    {rx['name']}: {dose}, {rx['intensity']}{sup}{extra} {cited(rx)}"


def render_text(doc: dict[str, Any], *, sessions_shown: int = 14) -> str:
    """Plain-text plan: safety first, then the week, the first sessions, and the nutrition week."""
    ex, nu = doc["exercise"], doc["nutrition"]
    out = [f"osteotwin plan (as of {doc['as_of']}) — {doc['disclaimer']}", "", "SAFETY"]
    out += [f"  [{f['severity']}] {f['message']} {cited(f)}" for f in ex["safety"]]
    if ex["substitutions"]:
        out.append("  substitutions:")
        out += [f"    {s['instead_of_name']} → {s['use_name']}: {s['reason']} {cited(s)}"
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
    out += [f"    - {r['rule']} {cited(r)}" for r in ex["progression_rules"]]
    shown = ex["sessions"][:sessions_shown]
    out.append(f"  sessions (first {len(shown)} of {len(ex['sessions'])}; all in --format json):")
    for s in shown:
        out.append(f"   week {s['week']} {s['day']} ({s['kind_label']}, {s['phase']})")
        out += [_rx_line(rx) for rx in s["exercises"]]
    out += ["", "NUTRITION — targets per day"]
    out += [f"  {t['label']}: " + (f">= {t['minimum']:.0f} " if t["minimum"] is not None else "")
            + (f"<= {t['maximum']:.0f} " if t["maximum"] is not None else "")
            + (f"~{t['estimate']} " if t.get("estimate") else "")
            + f"{t['unit']} ({t['basis']}) {cited(t)}" for t in nu["target_details"]]
    for day in nu["days"]:
        out.append(f"  day {day['day']}:")
        out += [f"    {f['meal']:<9} {f['portion']} {f['description']} ({f['grams']:g} g)"
                for f in day["foods"]]
        out.append("    totals: " + ", ".join(f"{k.rsplit('_', 1)[0]} {v:g} {_TEXT_UNITS[k]}"
                                             for k, v in day["totals"].items()))
    for s in nu["supplements"]:
        out.append(f"  SUPPLEMENT ({s['status'].replace('_', ' ')}): {s['name']} "
                   f"{s['dose_per_day']:g} {s['unit']} — "
                   f"{s['reason']}")
    for g in nu["unmet"]:
        out.append(f"  NOT MET FROM FOOD: {g['explanation']}")
    out += [f"  note: {n}" for n in nu["notes"]]
    out += [f"  food rule: {r['rule']} {cited(r)}" for r in nu.get("food_rules", [])]
    out += ["", "SOURCES (" + "; ".join(f"grade {g}: {m}" for g, m in doc["evidence_grades"].items()) + ")"]
    out += [f"  [{k}] {v} — {_evidence_words(doc['source_evidence'][k])}" for k, v in doc["sources"].items()]
    return "\n".join(out)


def _evidence_words(evidence: dict[str, Any]) -> str:
    """"randomised controlled trial, grade A"; reference data say they are not graded."""
    grade = evidence["grade"]
    return f"{evidence['kind']}, " + (f"grade {grade}" if grade else "reference data, not graded")


_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>osteotwin plan {{ doc.as_of }}</title>
<style>*{box-sizing:border-box}body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.4}
td,th{overflow-wrap:break-word}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ccc;padding:.2rem .5rem;text-align:left}
.restriction{color:#a00}.caution{color:#a60}.src{color:#555;font-size:.85em}
.severity{font-weight:600}
:focus-visible{outline:3px solid #b45309;outline-offset:2px}
/* narrow screens: each table row becomes a card, each value named by its column (data-label) */
@media (max-width:700px){
 body{margin:1rem auto}
 table,tbody,tr,td,th{display:block;width:100%}
 thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
 tr{border:1px solid #ccc;border-radius:6px;margin-bottom:.5rem}
 td,th{border:0;padding:.15rem .5rem;overflow-wrap:anywhere}
 td:empty{display:none}
 td[data-label]::before{content:attr(data-label) ": ";font-weight:600;color:#555}
}</style></head><body>
{% if record_href %}<p><a href="{{ record_href }}">Back to the patient's record</a></p>{% endif %}
<h1>Personal plan <small>as of {{ doc.as_of }}</small></h1>
<p><strong>{{ doc.disclaimer }}</strong></p>
{# each safety item says its severity in words, not by its colour alone (WCAG 1.4.1) #}
<h2>Safety</h2><ul>{% for f in ex.safety %}<li class="{{ f.severity }}"><span class="severity">{{ severity_words.get(f.severity, f.severity|capitalize) }}:</span> {{ f.message }}
<span class="src">{{ cited(f) }}</span></li>{% endfor %}</ul>
{% if ex.substitutions %}<h3>Substitutions</h3><ul>{% for s in ex.substitutions %}<li>{{ s.instead_of_name }} →
{{ s.use_name }}: {{ s.reason }} <span class="src">{{ cited(s) }}</span></li>{% endfor %}</ul>{% endif %}
{% if ex.avoid %}<h3>Avoid</h3><ul>{% for a in ex.avoid %}<li>{{ a.instead_of_name }}: {{ a.reason }} (instead: {{ a.use_name }})
<span class="src">{{ cited(a) }}</span></li>{% endfor %}</ul>{% endif %}
<h2>Exercise ({{ ex.weeks }} weeks)</h2>
<table id="weekly-schedule"><thead><tr><th scope="col">Day</th><th scope="col">Session</th><th scope="col">What</th><th scope="col">Minutes</th></tr></thead><tbody>{% for d in ex.weekly_schedule %}
<tr><th scope="row">{{ d.day }}</th><td>{{ d.kind_label }}</td><td data-label="What">{{ d.summary }}</td><td data-label="Minutes">{{ '%.0f'|format(d.minutes) }}</td></tr>{% endfor %}</tbody></table>
<ul>{% for r in ex.progression_rules %}<li>{{ r.rule }} <span class="src">{{ cited(r) }}</span></li>{% endfor %}</ul>
{% for s in ex.sessions %}<h3>Week {{ s.week }} {{ s.day }} — {{ s.kind_label }} ({{ s.phase }})</h3>
<table><thead><tr><th scope="col">Exercise</th><th scope="col">Sets × reps / minutes</th><th scope="col">Intensity</th><th scope="col">Notes</th><th scope="col">Regression</th></tr></thead><tbody>
{% for x in s.exercises %}<tr><th scope="row">{{ x.name }}</th><td data-label="Sets × reps / minutes">{% if x.sets and x.reps %}{{ x.sets }} × {{ x.reps }}{% elif x.sets %}{{ x.sets }} sets{% else %}{{ '%g'|format(x.duration_min) }} min{% endif %}</td>
<td data-label="Intensity">{{ x.intensity }}{% if x.supervised %} (supervised){% endif %}</td><td data-label="Notes">{{ x.notes or '' }}</td><td data-label="Regression">{{ x.regression or '' }}</td></tr>{% endfor %}</tbody></table>{% endfor %}
<h2>Nutrition</h2>
<table id="nutrition-targets"><thead><tr><th scope="col">Per day</th><th scope="col">Target</th><th scope="col">Upper limit</th><th scope="col">Basis</th><th scope="col">Sources</th></tr></thead><tbody>
{% for t in nu.target_details %}<tr><th scope="row">{{ t.label }}</th><td data-label="Target">{% if t.estimate %}about {{ '{:,.0f}'.format(t.estimate) }} {{ t.unit }}{% elif t.minimum is not none %}at least {{ '{:,.0f}'.format(t.minimum) }} {{ t.unit }}{% endif %}</td>
<td data-label="Upper limit">{% if t.maximum is not none %}{{ '{:,.0f}'.format(t.maximum) }} {{ t.unit }}{% endif %}</td><td data-label="Basis">{{ t.basis }}</td><td data-label="Sources">{{ cited(t) }}</td></tr>{% endfor %}</tbody></table>
{% if nu.notes %}<ul>{% for n in nu.notes %}<li>{{ n }}</li>{% endfor %}</ul>{% endif %}
{% if nu.food_rules %}<ul>{% for r in nu.food_rules %}<li>{{ r.rule }} <span class="src">{{ cited(r) }}</span></li>{% endfor %}</ul>{% endif %}
{% for d in nu.days %}<h3>Day {{ d.day }}</h3><table><thead><tr><th scope="col">Meal</th><th scope="col">Food (SR28)</th><th scope="col">Portion</th><th scope="col">Grams</th></tr></thead><tbody>
{% for f in d.foods %}<tr><td data-label="Meal">{{ f.meal }}</td><td data-label="Food (SR28)">{{ f.description }} ({{ f.ndb_no }})</td><td data-label="Portion">{{ f.portion }}</td><td data-label="Grams">{{ f.grams }}</td></tr>{% endfor %}</tbody></table>
<p>Totals: {% for k, v in d.totals.items() %}{{ names.get(k, (k, ''))[0] }} {{ '{:,.0f}'.format(v) }} {{ names.get(k, ('', ''))[1] }}{% if not loop.last %}, {% endif %}{% endfor %}</p>{% endfor %}
{% for s in nu.supplements %}<p class="caution"><strong>Supplement ({{ s.status|replace('_', ' ') }}):</strong> {{ s.name }} {{ '%g'|format(s.dose_per_day) }} {{ s.unit }} — {{ s.reason }}</p>{% endfor %}
{% for g in nu.unmet %}<p class="restriction"><strong>Not met from food:</strong> {{ g.explanation }}</p>{% endfor %}
<h2>Sources</h2><p>Evidence grades: {% for g, m in doc.evidence_grades.items() %}<strong>{{ g }}</strong> {{ m }}{% if not loop.last %}; {% endif %}{% endfor %}.</p>
<ul>{% for k, v in doc.sources.items() %}<li>[{{ k }}] {{ v }} <span class="src">({{ evidence_words(doc.source_evidence[k]) }})</span></li>{% endfor %}</ul>
</body></html>
"""


#: A safety item's severity in words, written beside it (its colour alone says nothing to some readers).
SEVERITY_WORDS = {"restriction": "Restriction", "caution": "Caution", "info": "Information"}


def render_html(doc: dict[str, Any], *, record_href: str | None = None) -> str:
    """A self-contained HTML page of the whole plan (all values escaped); ``record_href``, where
    the caller knows it, adds a link back to the patient's record."""
    env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    names = {t["nutrient"]: (t["label"], t["unit"]) for t in doc["nutrition"]["target_details"]}
    return env.from_string(_HTML).render(doc=doc, ex=doc["exercise"], nu=doc["nutrition"],
                                         names=names, severity_words=SEVERITY_WORDS, cited=cited,
                                         evidence_words=_evidence_words,
                                         record_href=record_href)
