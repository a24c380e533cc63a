"""Clinical assessment: densitometry, fracture risk, rules engine, ``assess()`` and its renderers."""

from osteotwin.clinic.assess import assess as assess
from osteotwin.clinic.model import Action as Action
from osteotwin.clinic.model import Assessment as Assessment
from osteotwin.clinic.model import Finding as Finding


def _engine_version() -> str:
    """Version of the assessment logic: changes whenever the packaged rules, citations, targets or
    the assessment's own code change (the web app caches assessments per version, so an upgrade
    never serves one computed by older logic)."""
    import hashlib
    from importlib import resources

    digest = hashlib.sha1(usedforsecurity=False)
    for name in ("rules.yaml", "citations.yaml", "targets.yaml", "densitometry.yaml"):
        digest.update(resources.files("osteotwin.data").joinpath("clinic", name).read_bytes())
    # the assessment's code, its renderers, and what it reads from outside the package
    for package, names in (("osteotwin.clinic", None), ("osteotwin.clinic.render", None),
                           ("osteotwin.plan.exercise", ("screening.py",)),
                           ("osteotwin.records", ("patient.py",)), ("osteotwin", ("vocabulary.py",))):
        folder = resources.files(package)
        for source in sorted((f for f in folder.iterdir() if f.name.endswith((".py", ".j2"))
                              and (names is None or f.name in names)), key=lambda f: f.name):
            digest.update(f"{package}/{source.name}".encode() + source.read_bytes())
    templates = resources.files("osteotwin.clinic.render").joinpath("templates")
    for source in sorted(templates.iterdir(), key=lambda f: f.name):
        digest.update(source.name.encode() + source.read_bytes())
    return f"1.0+{digest.hexdigest()[:10]}"


ENGINE_VERSION = _engine_version()
