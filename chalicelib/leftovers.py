"""What a conversation's removal leaves outside the tables, recorded in the removal's own transaction.

The record is the cleanup item `cleanup#<id>` in the counters table (models.Counter): the S3 objects to
delete, the shared objects whose reference the transaction counted down, the CDN paths to invalidate, and
whether saves or comments are left under the conversation's key. The domain writes it (conversations.py);
the publishing layer does the work and deletes it (cleanup.py). Kept apart so the domain can name what it
leaves without knowing how pages are removed.
"""
from __future__ import annotations

from typing import Any

from .models import Counter


def actions(objects: list[str | None], releases: list[str], paths: list[str], rest: bool,
            entries: list[str] | None = None) -> list[Any]:
    """The update a removal's transaction makes to the conversation's cleanup item: add `objects` to delete
    from S3 (Nones skipped), `releases` (shared objects whose reference the transaction counted down), CDN
    `paths`, whether saves or comments are left under its key, and its search `entries` (keys.search_entry).
    Added, not put: work an earlier failure left on the item (an old card, a page) stays on it."""
    kept = {o for o in objects if o}
    found: list[Any] = [Counter.objects.add(kept)] if kept else []
    found += [Counter.releases.add(set(releases))] if releases else []
    found += [Counter.paths.add(set(paths))] if paths else []
    found += [Counter.rest.set(1)] if rest else []
    found += [Counter.entries.add(set(entries))] if entries else []
    return found
