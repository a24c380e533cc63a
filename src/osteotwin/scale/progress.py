"""Rich progress bar for virtual trials (on stderr, so ``--format json`` keeps stdout clean)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol


class Advance(Protocol):
    def __call__(self, people: int) -> None: ...


@contextmanager
def people_progress(total: int, done: int, label: str, enabled: bool = True) -> Iterator[Advance]:
    """A bar counting simulated people; ``done`` people were already on disk (resumed run)."""
    if not enabled:
        yield lambda people: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("people"), TimeElapsedColumn(), TextColumn("eta"),
               TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True), transient=False) as bar:
        task = bar.add_task(label, total=total, completed=done)
        yield lambda people: bar.advance(task, people)
