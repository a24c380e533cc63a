"""Standalone, printable HTML page of an assessment (Jinja2, autoescaped, inline CSS, no scripts)."""

from __future__ import annotations

from functools import lru_cache

import jinja2

from osteotwin.clinic.model import Assessment
from osteotwin.clinic.render.document import to_document
from osteotwin.clinic.render.labels import FILTERS


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("osteotwin.clinic.render", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(FILTERS)
    return env


def render_html(assessment: Assessment) -> str:
    """A complete HTML document a clinician can print."""
    template = _environment().get_template("assessment.html.j2")
    return template.render(doc=to_document(assessment))
