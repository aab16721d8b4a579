"""The scheduled work (app.py's schedules), each a workflow over the domain and the publisher."""
from __future__ import annotations

from . import published, views


def fold_views(now: float | None = None) -> dict[str, int]:
    """Fold the CDN's new access-log files into the views, then draw again the pages whose printed count
    crossed a 1-2-5 step. Returns what it did (views.Folded's counts and "published")."""
    folded = views.fold(now)
    return {**folded.counts, "published": published.publish_all(folded.crossed)}

