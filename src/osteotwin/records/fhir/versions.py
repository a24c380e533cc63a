"""The current entries of a Bundle: superseded versions and repeated entries left out (pure).

FHIR R4 Bundle invariant bdl-7: "FullUrl must be unique in a bundle, or else entries with the same
fullUrl must have different meta.versionId (except in history bundles)". So entries sharing a
fullUrl are either versions of one resource (the newest, by ``meta.versionId``, else
``meta.lastUpdated``, is current) or repeats: a repeat of the same content is left out, one with
other content is refused (which one is right cannot be told). A ``history`` bundle (the result of
a ``_history`` interaction) holds versions of each resource, newest first, and deletions: only the
current version of each resource (``Type/id``) is read, and none where it was deleted last.
Everything left out is noted, one line each.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from osteotwin.errors import UserInputError

_ETAG = re.compile(r'^(?:W/)?"([^"]*)"$')


@dataclass(frozen=True)
class Entry:
    """One bundle entry as far as versions go."""

    index: int
    label: str  # "Bundle.entry[3] Observation/o2"
    key: str | None  # what identifies the resource (fullUrl, or Type/id in a history bundle)
    version: str | None  # meta.versionId (a deletion's: its response etag)
    updated: str | None  # meta.lastUpdated (a deletion's: its response lastModified)
    resource: Mapping[str, Any] | None  # None: a deletion (history bundles)


def entry_version(resource: Mapping[str, Any] | None, entry: Mapping[str, Any]
                  ) -> tuple[str | None, str | None]:
    """(versionId, lastUpdated) of an entry: the resource's meta, else its response's etag
    (``W/"3"``) and lastModified."""
    meta = (resource or {}).get("meta") or {}
    response = entry.get("response")
    response = response if isinstance(response, Mapping) else {}
    etag = _ETAG.match(str(response.get("etag") or ""))
    version = meta.get("versionId") or (etag.group(1) if etag else None)
    updated = meta.get("lastUpdated") or response.get("lastModified")
    return (None if version is None else str(version)), (None if updated is None else str(updated))


def _number(version: str | None) -> int | None:
    return int(version) if version is not None and version.isdigit() else None


def _instant(text: str | None) -> dt.datetime | None:
    """An instant with its offset, or None (no time zone: not comparable)."""
    try:
        when = dt.datetime.fromisoformat(str(text))
    except (TypeError, ValueError):
        return None
    return when if when.tzinfo is not None else None


def _order(a: Entry, b: Entry, *, history: bool) -> int:
    """> 0 if ``a`` is newer than ``b``, < 0 if older, 0 if it cannot be told: by versionId
    (numbers), else lastUpdated, else (history bundles list the newest first) position."""
    va, vb = _number(a.version), _number(b.version)
    if va is not None and vb is not None and va != vb:
        return va - vb
    ta, tb = _instant(a.updated), _instant(b.updated)
    if ta is not None and tb is not None and ta != tb:
        return 1 if ta > tb else -1
    return b.index - a.index if history else 0


def _same(a: Entry, b: Entry) -> bool:
    return json.dumps(a.resource, sort_keys=True) == json.dumps(b.resource, sort_keys=True)


def _without_repeats(group: list[Entry], notes: list[str], source: str, *, history: bool
                     ) -> list[Entry]:
    """``group`` (entries with one key) with the repeats of one version left out: a repeat of the
    same content is noted, one with other content refused (bdl-7). In a history bundle, entries
    without a versionId are versions told apart by their order."""
    kept: list[Entry] = []
    for entry in group:
        twin = None if history and entry.version is None else \
            next((k for k in kept if k.version == entry.version), None)
        if twin is None:
            kept.append(entry)
        elif entry.resource is None or twin.resource is None or _same(entry, twin):
            notes.append(f"{entry.label}: repeats {twin.label} (same fullUrl and version); left out")
        else:
            raise UserInputError(
                f"{entry.label}.fullUrl", entry.key,
                f"each fullUrl once in a bundle, or versions of one resource with different "
                f"meta.versionId (FHIR R4 bdl-7); {twin.label} has the same one",
                source=source, problem="one resource twice with different content")
    return kept


def current(entries: list[Entry], *, history: bool, source: str = "FHIR bundle"
            ) -> tuple[list[Entry], list[str]]:
    """The current entries, in bundle order, and a note for each one left out (``history``: the
    bundle's type is ``history``). Raises ``UserInputError`` for a repeat with other content, or
    versions of which none can be told newest."""
    groups: dict[str, list[Entry]] = {}
    kept: list[Entry] = []
    for entry in entries:
        if entry.key is None:
            kept.append(entry)
        else:
            groups.setdefault(entry.key, []).append(entry)
    notes: list[str] = []
    for group in groups.values():
        versions = _without_repeats(group, notes, source, history=history)
        newest = versions[0]
        for entry in versions[1:]:
            order = _order(entry, newest, history=history)
            if order == 0:
                raise UserInputError(
                    f"{entry.label}.meta.versionId", entry.version,
                    f"versions of one resource told apart by a numeric meta.versionId or by "
                    f"meta.lastUpdated with a time zone ({newest.label} is another version)",
                    source=source, problem="cannot tell which version is current")
            newest = entry if order > 0 else newest
        for entry in versions:
            if entry is not newest:
                notes.append(f"{entry.label}: version {entry.version or '?'} superseded by "
                             f"{newest.label} (version {newest.version or '?'}); left out")
        if newest.resource is None:
            notes.append(f"{newest.label}: {newest.key} deleted in its latest version; none of "
                         "its versions is imported")
        else:
            kept.append(newest)
    return sorted(kept, key=lambda e: e.index), notes
