"""Lists of conversations: Top and New, title search, counts, the sitemap, and a person's own items.

Every list is a Query of one index (never a Scan) with a bounded number of reads per request: a page of
an index, or at most SEARCH_QUERY_BUDGET Queries of the search table.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

from pynamodb.exceptions import DoesNotExist

from . import cursors, ids, keys, links, settings
from .errors import bad_request
from .models import ConversationItem, ConversationMeta, Counter, RemovedItem, SearchEntry
from .words import normalize_words

MAX_SEARCH_WORDS = 8
# Reads per search request: at most this many Queries, each reading at most SEARCH_PAGE_ENTRIES index
# entries (about 100 bytes each) when other words filter them; a count reads at most SEARCH_COUNT_ENTRIES.
SEARCH_QUERY_BUDGET = 5
SEARCH_PAGE_ENTRIES = 200
SEARCH_COUNT_ENTRIES = 5000
_SEARCH_SORT_RE = re.compile(r"\d{13}#[0-9A-Za-z]{7}")


def iso(created_ms: int) -> str:
    return datetime.fromtimestamp(created_ms / 1000, tz=timezone.utc).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z")


def row(meta: ConversationMeta) -> dict[str, Any]:
    """A conversation as a list row (the seed API's shape)."""
    return {"id": meta.id, "title": meta.title, "avatar": links.avatar_url(meta.avatar_key, meta.id),
            "saves": int(meta.saves or 0), "comments": int(meta.comments or 0), "views": int(meta.views or 0),
            "createdAt": iso(int(meta.created)),
            # Lists read from a full item (Saved) say so when its owner turned comments off; the indexes'
            # rows do not carry it.
            **({"commentsOff": True} if getattr(meta, "comments_off", None) else {})}


def _index_start(kind: str, cursor: str | None) -> dict[str, Any] | None:
    """Rebuild the exclusive start key: the partition is always ours, whatever the cursor says."""
    if cursor is None:
        return None
    values = cursors.decode(cursor)
    # bool is an int to Python: [true, "abcdefg"] must not reach DynamoDB as the number "True".
    if len(values) != 2 or type(values[0]) is not int or not ids.is_valid_id(values[1]):
        raise cursors.invalid()
    sort_attr = "views" if kind == "top" else "created"
    return {"list_pk": {"S": keys.PUBLIC}, sort_attr: {"N": str(values[0])},
            "id": {"S": values[1]}, "part": {"S": keys.META}}


def _search_start(cursor: str | None) -> str | None:
    if cursor is None:
        return None
    values = cursors.decode(cursor)
    if len(values) != 1 or not isinstance(values[0], str) or not _SEARCH_SORT_RE.fullmatch(values[0]):
        raise cursors.invalid()
    return values[0]


def _index_page(kind: str, start: dict[str, Any] | None, size: int) -> tuple[list[ConversationMeta], str | None]:
    index = ConversationMeta.top_index if kind == "top" else ConversationMeta.new_index
    results = index.query(keys.PUBLIC, scan_index_forward=False, limit=size, page_size=size, last_evaluated_key=start)
    metas = list(results)
    more = len(metas) == size and results.last_evaluated_key is not None
    cursor = None
    if more:
        last = metas[-1]
        cursor = cursors.encode([int(last.views if kind == "top" else last.created), last.id])
    return metas, cursor


def _search_plan(words: list[str]) -> tuple[str, Any]:
    """The word to Query by and a filter requiring every other word."""
    key_word = max(words, key=len)  # the longest word is usually the rarest: fewest entries to read
    condition = None
    for word in words:
        if word != key_word:
            clause = SearchEntry.words.contains(word)
            condition = clause if condition is None else condition & clause
    return key_word, condition


class _ReadBudget:
    """The Query calls one request may still make: a search with a common word and a word that never
    matches would otherwise page through the common word's whole partition (3,000 entries: 60 Queries)."""
    def __init__(self, calls: int) -> None:
        self.calls = calls

    def spend(self) -> bool:
        self.calls -= 1
        return self.calls >= 0


def _search_page(words: list[str], start: str | None, size: int, budget: _ReadBudget,
                 source: str | None = None) -> tuple[list[ConversationMeta], str | None]:
    """Up to `size` matches, newest first, reading at most SEARCH_PAGE_ENTRIES index entries per Query and
    as many Queries as `budget` allows. When the budget runs out first, the page holds what was found (maybe
    nothing) and the cursor where reading stopped, so the client can go on or refine its search. `source`
    keeps one assistant's matches, read from the items the page reads anyway: such a page may hold fewer."""
    key_word, condition = _search_plan(words)
    start_key = {"word": {"S": key_word}, "sort": {"S": start}} if start else None
    pages = SearchEntry.query(key_word, scan_index_forward=False, filter_condition=condition,
                              page_size=size if condition is None else SEARCH_PAGE_ENTRIES,
                              last_evaluated_key=start_key).page_iter
    entries: list[SearchEntry] = []
    cursor = None
    while budget.spend():
        try:
            page = next(pages)
        except StopIteration:
            break
        for raw in page.get("Items", []):
            entries.append(SearchEntry.from_raw_data(raw))
            if len(entries) == size:
                break
        last = page.get("LastEvaluatedKey")
        if len(entries) == size:
            cursor = cursors.encode([entries[-1].sort])
            break
        if not last:
            break
        cursor = cursors.encode([last["sort"]["S"]])  # where to go on, should the budget end here
    if not entries:
        return [], cursor
    found = {m.id: m for m in ConversationMeta.batch_get([(e.id, keys.META) for e in entries])}
    # The conversation as it is now decides, not its entry: an entry written after a create's transaction
    # may briefly outlive a retitle or a removal (conversations.index_new settles it).
    metas = [found[e.id] for e in entries if e.id in found and found[e.id].list_pk == keys.PUBLIC
             and set(words) <= set(found[e.id].words or ()) and (source is None or found[e.id].source == source)]
    return metas, cursor


def list_public(kind: str = "top", page: int | None = None, cursor: str | None = None,
                search: str | None = None, size: int | None = None,
                source: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
    """One page of public conversations (rows in the seed API's shape) and the next page's cursor.

    `cursor` costs one Query per page. `page` (from 1) walks from the start, so it is capped. `source` (an
    assistant) lists that assistant's conversations, newest first, from its own sparse index; with a search,
    that assistant's matches.
    """
    cfg = settings.get()
    if kind not in ("top", "new"):
        raise bad_request("type must be 'top' or 'new'.", "type")
    if source is not None:
        if source not in keys.SOURCES:
            raise bad_request(f"source must be one of: {', '.join(keys.SOURCES)}.", "source")
        if not normalize_words(search or ""):
            return _source_page(source, page, cursor, size or cfg.page_size)
    if page is not None and (page < 1 or page > cfg.max_page):
        raise bad_request(f"page must be between 1 and {cfg.max_page}; use the cursor to go further.", "page")
    size = size or cfg.page_size
    words = normalize_words(search or "")[:MAX_SEARCH_WORDS]
    budget = _ReadBudget(SEARCH_QUERY_BUDGET)
    if words:
        fetch = lambda c: _search_page(words, _search_start(c), size, budget, source)  # noqa: E731
    else:
        fetch = lambda c: _index_page(kind, _index_start(kind, c), size)  # noqa: E731
    metas, next_cursor = fetch(cursor)
    for _ in range((page or 1) - 1):
        if next_cursor is None:
            return [], None
        if budget.calls <= 0:
            raise bad_request(f"This search reads too much to reach page {page}: follow the Link header's cursor "
                              "page by page, or add a word.", "page", code="search_too_broad")
        metas, next_cursor = fetch(next_cursor)
    return [row(m) for m in metas], next_cursor


def _source_page(source: str, page: int | None, cursor: str | None,
                 size: int) -> tuple[list[dict[str, Any]], str | None]:
    """One page of one assistant's public conversations, newest first: one Query of `by_source` a page."""
    if page is not None and (page < 1 or page > settings.get().max_page):
        raise bad_request(f"page must be between 1 and {settings.get().max_page}.", "page")
    key = keys.source_list(source)
    for _ in range(page or 1):
        start: dict[str, dict[str, Any]] | None = None
        if cursor is not None:
            values = cursors.decode(cursor)
            if len(values) != 2 or type(values[0]) is not int or not ids.is_valid_id(values[1]):
                raise cursors.invalid()
            start = {"source_pk": {"S": str(key)}, "created": {"N": str(values[0])}, "id": {"S": values[1]},
                     "part": {"S": keys.META}}
        results = ConversationMeta.source_index.query(key, scan_index_forward=False, limit=size, page_size=size,
                                                      last_evaluated_key=start)
        metas = list(results)
        cursor = (cursors.encode([int(metas[-1].created), metas[-1].id])
                  if len(metas) == size and results.last_evaluated_key is not None else None)
        if cursor is None:
            break
    return [row(m) for m in metas], cursor


def with_assistants(*lists: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The rows of each list with `source` and `model`: the assistant and model each conversation came from
    (absent when unknown), for pages that show them. One BatchGet of just those attributes for all the lists,
    as the `new` and `top` indexes do not project them: changing an index's projection means replacing the
    index, one deploy per index created or deleted (a follow-up)."""
    wanted = list(dict.fromkeys(r["id"] for rows in lists for r in rows))[:100]  # BatchGetItem's limit
    found = ({m.id: m for m in ConversationMeta.batch_get([(i, keys.META) for i in wanted],
                                                           attributes_to_get=["id", "part", "kind", "source", "model"])}
             if wanted else {})
    return [[{**r, **({"source": m.source, "model": m.model} if (m := found.get(r["id"])) else {})} for r in rows]
            for rows in lists]


def sitemap_entries(limit: int = 5000) -> list[tuple[str, str]]:
    """(id, createdAt) of the most viewed public conversations, for /sitemap.xml (bounded Queries)."""
    results = ConversationMeta.top_index.query(keys.PUBLIC, scan_index_forward=False, limit=limit, page_size=1000,
                                               attributes_to_get=["id", "created", "kind"])
    return [(meta.id, iso(int(meta.created))) for meta in results]


def count_public(search: str | None = None) -> tuple[int, bool]:
    """How many public conversations there are, or how many match `search`; and whether the count stopped
    at the read budget (then it is a lower bound)."""
    words = normalize_words(search or "")[:MAX_SEARCH_WORDS]
    if not words:
        try:
            return max(0, int(Counter.get(keys.PUBLIC_COUNT).n)), False
        except DoesNotExist:
            return 0, False
    key_word, condition = _search_plan(words)
    # A count reads index entries like a search does, so it has the same budget: past it, the answer is the
    # matches among the newest SEARCH_COUNT_ENTRIES entries of the word (`capped`).
    results = SearchEntry.query(key_word, scan_index_forward=False, filter_condition=condition,
                                page_size=SEARCH_COUNT_ENTRIES // SEARCH_QUERY_BUDGET,
                                attributes_to_get=["word", "sort"] if condition is None else None)
    matched = 0
    pages = results.page_iter
    for _ in range(SEARCH_QUERY_BUDGET):
        try:
            page = next(pages)
        except StopIteration:
            return matched, False
        matched += len(page.get("Items", []))
        if not page.get("LastEvaluatedKey"):
            return matched, False
    return matched, True


# ---------------------------------------------------------------- a person's items

def by_user_page(user_key: str, part: str, cursor: str | None, size: int) -> tuple[list[ConversationItem],
                                                                                   str | None]:
    """One page of a person's items of one kind (`conv#`, `save#`... + sub) from the by_user index, newest
    first (one Query), and the next page's cursor. `part` is what those items' sort key is in their
    conversation's partition: the cursor holds only (created, id), so the start key is rebuilt from checked values.
    """
    start = None
    if cursor is not None:
        created, conversation_id = cursors.decode_time_and_id(cursor, ids.is_valid_id)
        start = {"user_key": {"S": user_key}, "created": {"N": str(created)},
                 "id": {"S": conversation_id}, "part": {"S": part}}
    results = ConversationItem.by_user.query(user_key, scan_index_forward=False, limit=size, page_size=size,
                                             last_evaluated_key=start)
    items = list(results)
    next_cursor = None
    if len(items) == size and results.last_evaluated_key is not None:
        next_cursor = cursors.encode([int(items[-1].created), items[-1].id])
    return items, next_cursor


def list_owned(user_sub: str, cursor: str | None = None, size: int | None = None) -> tuple[list[dict[str, Any]],
                                                                                              str | None]:
    """The conversations `user_sub` shared while signed in, newest first (one Query of the by_user index)."""
    items, next_cursor = by_user_page(keys.owner(user_sub), keys.META, cursor, size or settings.get().page_size)
    # A takedown's statement is not in the index: read those tombstones whole (rare: one BatchGet).
    removed_ids = [item.id for item in items if isinstance(item, RemovedItem)]
    statements = {r.id: r for r in RemovedItem.batch_get([(i, keys.REMOVED) for i in removed_ids])} \
        if removed_ids else {}
    rows: list[dict[str, Any]] = []
    for item in items:
        if isinstance(item, ConversationMeta):
            rows.append({**row(item), "visibility": item.visibility})
        elif isinstance(item, RemovedItem) and item.id in statements:
            tomb = statements[item.id]
            rows.append({"id": tomb.id, "createdAt": iso(int(tomb.created)), "removed": {
                "category": tomb.category, "statement": tomb.statement, "at": iso(int(tomb.removed))}})
    return rows, next_cursor
