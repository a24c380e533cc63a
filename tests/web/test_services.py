"""The web services' assessment cache on a real SQLite file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event

from osteotwin.records import parse_patient_document, parse_text
from osteotwin.records.storage import (
    Actor,
    make_engine,
    make_sessionmaker,
    repository,
    upgrade_to_head,
)
from osteotwin.records.storage.seed import demo_record_text
from osteotwin.web import services


def test_cached_assessments_reads_each_patients_current_revision_in_one_query(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'cache.sqlite'}")
    upgrade_to_head(engine)
    demo = parse_patient_document(parse_text(demo_record_text(), source="demo"))
    with make_sessionmaker(engine)() as db:
        rows = [repository.create_patient(db, demo, Actor.system("test")) for _ in range(3)]
        db.commit()
        assert services.cached_assessments(db, rows) == {}
        computed = {row.id: services.assessment(db, row, services.assessed(row)) for row in rows}

        reads: list[str] = []

        def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            if "FROM assessments" in statement:
                reads.append(statement)

        event.listen(engine, "before_cursor_execute", count)
        cached = services.cached_assessments(db, rows)
        keys = {(row.id, row.revision, services.assessed(row).when) for row in rows}
        assert set(cached) == keys
        for row in rows:
            read = services.assessed(row)
            assert services.assessment(db, row, read, cached) == computed[row.id]
        assert len(reads) == 1
        event.remove(engine, "before_cursor_execute", count)

        # a changed record is a new revision: its old assessment is no longer read
        changed = rows[0]
        repository.add_entry(db, changed, "labs", {"test": "vitamin_d_25oh", "value": 12, "unit": "ng/mL",
                                                  "date": "2025-01-02"}, Actor.system("test"))
        db.commit()
        cached = services.cached_assessments(db, rows)
        assert {key[0] for key in cached} == {rows[1].id, rows[2].id}
        fresh = services.assessment(db, changed, services.assessed(changed), cached)
        assert fresh != computed[changed.id]
    engine.dispose()
