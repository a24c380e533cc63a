"""Readable terminal assessment (Rich): situation, findings, actions, densitometry, fracture risk."""

from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table
from rich.text import Text

from osteotwin.clinic.model import Assessment
from osteotwin.clinic.reference import citation_text
from osteotwin.clinic.render.document import DISCLAIMER

SEVERITY_STYLE = {"high": "bold red", "moderate": "yellow", "low": "cyan", "info": "dim"}


def _fmt(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def render_text(assessment: Assessment, *, width: int = 110, color: bool = False) -> str:
    """The assessment as text (ANSI colours only when ``color``)."""
    out = io.StringIO()
    console = Console(file=out, width=width, force_terminal=color, no_color=not color,
                      highlight=False, soft_wrap=False, markup=False)
    who = f" · patient {assessment.patient_id}" if assessment.patient_id else ""
    console.print(Text(f"osteotwin assessment · as of {assessment.as_of}{who}", style="bold"))
    for line in assessment.summary:
        console.print(f"  {line}")
    console.print()

    findings = Table(title="Findings", title_justify="left", expand=True, show_lines=True)
    findings.add_column("Severity", no_wrap=True)
    findings.add_column("Finding", no_wrap=True)
    findings.add_column("Details (data and dates)", ratio=3)
    findings.add_column("Sources · grade", ratio=1, overflow="fold")
    for f in assessment.findings:
        findings.add_row(Text(f.severity, style=SEVERITY_STYLE[f.severity]), f.code, f.message,
                         ", ".join(f.evidence) + f" · {f.grade}")
    console.print(findings if assessment.findings else "Findings: none")

    actions = Table(title="Actions (by priority)", title_justify="left", expand=True,
                    show_lines=True)
    actions.add_column("#", no_wrap=True)
    actions.add_column("Action", no_wrap=True)
    actions.add_column("Due", no_wrap=True)
    actions.add_column("What and why", ratio=3)
    actions.add_column("Sources · grade", ratio=1, overflow="fold")
    for a in assessment.actions:
        why = f" (because: {', '.join(a.because)})" if a.because else ""
        actions.add_row(str(a.priority), a.code, str(a.due or "—"), a.message + why,
                        ", ".join(a.evidence) + f" · {a.grade}")
    console.print(actions if assessment.actions else "Actions: none")

    dxa = assessment.densitometry
    table = Table(title=f"Densitometry ({dxa.choice.kind}-score: {dxa.choice.reason})",
                  title_justify="left", expand=True)
    for col in ("Site", "Date", "BMD g/cm²", "T", "Z", "Category", "Change since previous"):
        table.add_column(col)
    for site, r in dxa.sites.items():
        change = "—" if r.change is None else (
            f"{r.change.change_pct:+g} % since {r.change.earlier_date} (LSC {r.change.lsc_pct} %"
            f"{', significant loss' if r.change.significant_loss else ''})")
        t_text = _fmt(r.t_score, 1) + (" (computed)" if r.t_score_source and
                                       r.t_score_source.startswith("computed") else "")
        table.add_row(site.replace("_", " "), str(r.date), _fmt(r.bmd_g_cm2, 3), t_text,
                      _fmt(r.z_score, 1), (r.category or "—").replace("_", " "), change)
    console.print(table if dxa.sites else "Densitometry: no DXA on file")
    for r in dxa.sites.values():
        if r.note:
            console.print(f"  note ({r.site.replace('_', ' ')}): {r.note}")

    console.print(Text("Fracture risk", style="bold"))
    risk = assessment.fracture_risk
    for e in risk.estimates:
        values = [f"{label} {value:.1f} %" for label, value in (
            ("major osteoporotic 10 y", e.major_osteoporotic_10y_pct),
            ("any fragility 10 y", e.any_fragility_10y_pct),
            ("any fragility 5 y", e.any_fragility_5y_pct),
            ("hip 10 y", e.hip_10y_pct)) if value is not None]
        bound = f" ({e.qualifier} the nomogram range)" if e.qualifier else ""
        console.print(f"  {e.model}: {', '.join(values)}{bound} → {e.band or 'not banded'}")
        console.print(f"    bands: {e.band_basis}")
        for limit in e.limits:
            console.print(f"    limit: {limit}")
    for reason in risk.not_estimated:
        console.print(f"  not estimated: {reason}")

    if assessment.monitoring:
        console.print(Text("Monitoring schedule", style="bold"))
        for test, last, due, why in assessment.monitoring:
            console.print(f"  {test}: last {last or 'none on file'}, next due {due or '—'} ({why})")

    console.print(Text("References", style="bold"))
    for cid in assessment.citation_ids():
        console.print(f"  [{cid}] {citation_text(cid)}")
    console.print()
    console.print(Text(DISCLAIMER, style="italic"))
    return out.getvalue()
