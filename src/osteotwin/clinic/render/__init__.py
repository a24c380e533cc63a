"""Renderers of an ``Assessment``: JSON document (spec/cli.md), Rich text, standalone HTML.

All are pure: they return a value (dict or str) and print nothing.
"""

from osteotwin.clinic.render.document import to_document as to_document
from osteotwin.clinic.render.html import render_html as render_html
from osteotwin.clinic.render.text import render_text as render_text
