"""Clinical assessment: densitometry, fracture risk, rules engine, ``assess()`` and its renderers."""

from osteotwin.clinic.assess import assess as assess
from osteotwin.clinic.model import Action as Action
from osteotwin.clinic.model import Assessment as Assessment
from osteotwin.clinic.model import Finding as Finding
