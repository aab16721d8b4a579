"""Shared conversations: create, read, list, search, count and delete.

Plain values in, plain values out: nothing here knows about HTTP requests.
"""
from __future__ import annotations

import json
import re
import secrets
import time
import zlib
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Callable, Iterable

from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from . import cdn, cursors, ids, links, settings, tokens
from .aws import s3
from .avatars import decode_avatar, store_avatar
from .dynamo import any_condition_failed, cancelled_by_condition, connection, failed_condition
from .errors import ApiError, bad_request, not_found
from .models import (META, PUBLIC, ConversationBody, ConversationItem, ConversationMeta, Counter, SearchEntry,
                     ViewShard)
from .text import plain_text
from .words import index_words, normalize_words

if TYPE_CHECKING:  # pydantic, bleach and markdown-it load only on the create path
    from .validation import CreateConversation

TITLE_MAX = 180
DEFAULT_TITLES = {"new chat", "new conversation", "untitled", "untitled conversation"}
# A DynamoDB item holds 400 KB; leave room for the key and attribute names.
INLINE_BODY_LIMIT = 380_000
PUBLIC_COUNT_KEY = "stats#public"
MAX_ID_ATTEMPTS = 5
MAX_SEARCH_WORDS = 8
# Reads per search request: at most this many Queries, each reading at most SEARCH_PAGE_ENTRIES index
# entries (about 100 bytes each) when other words filter them; a count reads at most SEARCH_COUNT_ENTRIES.
SEARCH_QUERY_BUDGET = 5
SEARCH_PAGE_ENTRIES = 200
SEARCH_COUNT_ENTRIES = 5000
_SPACE_RE = re.compile(r"\s+")
_HUMAN_ROLES = {"human": "user", "gpt": "assistant"}
_SEED_NAMES = {"user": "human", "assistant": "gpt", "system": "system", "tool": "tool"}


# ---------------------------------------------------------------- create

def derive_title(given: str | None, first_human: str | None) -> str:
    """The given title unless empty or a chat site's default; else the first human message; else 'Untitled'."""
    for candidate in (given, first_human):
        text = _SPACE_RE.sub(" ", plain_text(candidate)).strip()
        if text and text.casefold() not in DEFAULT_TITLES:
            return _cut(text, TITLE_MAX)
    return "Untitled"


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    if " " in head and not text[limit - 1].isspace():
        head = head.rsplit(" ", 1)[0]
    return head.rstrip(" ,;:.-") + "…"


def _render_messages(request: "CreateConversation") -> list[dict[str, Any]]:
    """Every turn as {role, html[, content]}, sanitized once, here.

    The markup budget is checked for every message before any is rendered, so a refused request costs
    one linear pass and nothing else.
    """
    from .complexity import Budget
    from .highlight import highlight_code_blocks
    from .markup import markdown_to_html, text_to_html
    from .sanitize import clean_html

    budget = Budget()
    if request.messages is not None:
        for index, message in enumerate(request.messages):
            if message.role != "user":  # user turns are escaped text: no parser runs on them
                budget.charge_markdown(message.content, f"messages.{index}.content")
    else:
        for index, item in enumerate(request.items or []):
            if item.from_ == "gpt":
                budget.charge_html(item.value, f"items.{index}.value")
    rendered: list[dict[str, Any]] = []
    if request.messages is not None:
        for message in request.messages:
            if message.role == "user":
                rendered.append({"role": "user", "html": text_to_html(message.content), "content": message.content})
            else:
                rendered.append({"role": message.role,
                                 "html": highlight_code_blocks(markdown_to_html(message.content)),
                                 "content": message.content})
    else:
        for item in request.items or []:
            role = _HUMAN_ROLES[item.from_]
            if role == "user":
                rendered.append({"role": role, "html": text_to_html(item.value), "content": item.value})
            else:
                # The original client sends the chat page's rendered HTML: keep only what is safe.
                rendered.append({"role": role, "html": highlight_code_blocks(clean_html(item.value))})
    return rendered


def _encode_body(messages: list[dict[str, Any]]) -> bytes:
    return zlib.compress(json.dumps({"v": 1, "messages": messages}, separators=(",", ":")).encode("utf-8"), 6)


def _decode_body(data: bytes) -> list[dict[str, Any]]:
    return json.loads(zlib.decompress(data))["messages"]


def _search_sort(created: int, conversation_id: str) -> str:
    return f"{created:013d}#{conversation_id}"


def owner_key(user_sub: str) -> str:
    """The `user_key` of a conversation `user_sub` shared while signed in."""
    return f"conv#{user_sub}"


def create(request: "CreateConversation", *, owner: str | None = None, now: float | None = None,
           new_id: Callable[[], str] = ids.new_id) -> dict[str, str]:
    """Store a conversation (all of it or nothing) and return {id, url, shortUrl, deleteToken}.

    `owner` (a user sub) records who shared it, so they can manage it from any device.
    """
    cfg = settings.get()
    messages = _render_messages(request)
    first_human = next((m.get("content") for m in messages if m["role"] == "user"), None)
    title = derive_title(request.title, first_human)
    avatar_key = None
    if request.avatarUrl:
        data, content_type, extension = decode_avatar(request.avatarUrl, cfg.max_avatar_bytes)
        avatar_key = store_avatar(data, content_type, extension)
    body = _encode_body(messages)
    token = tokens.new_token()
    created = int((time.time() if now is None else now) * 1000)
    public = request.visibility == "public"
    words = index_words(title) if public else []

    for _ in range(MAX_ID_ATTEMPTS):
        conversation_id = new_id()
        body_key = None
        if len(body) > INLINE_BODY_LIMIT:
            # Random suffix: a colliding id must never overwrite another conversation's body.
            body_key = f"bodies/{conversation_id}/{secrets.token_hex(8)}.json.z"
            s3().put_object(Bucket=cfg.bucket, Key=body_key, Body=body,
                            ContentType="application/octet-stream", ContentEncoding="identity")
        meta = ConversationMeta(
            conversation_id, "meta", title=title, model=plain_text(request.model, 100) or None,
            source=plain_text(request.source, 40) or None, avatar_key=avatar_key, created=created,
            visibility=request.visibility, token_hash=tokens.hash_token(token), views=0, saves=0,
            comments=0, message_count=len(messages), words=set(words) or None,
            list_pk=PUBLIC if public else None, body_key=body_key, user_key=owner_key(owner) if owner else None)
        stored_body = ConversationBody(conversation_id, "body", data=None if body_key else body, s3_key=body_key)
        try:
            with TransactWrite(connection=connection()) as tx:
                tx.save(meta, condition=ConversationItem.id.does_not_exist())
                tx.save(stored_body)
                for word in words:
                    tx.save(SearchEntry(word, _search_sort(created, conversation_id), id=conversation_id,
                                        words=set(words)))
                if public:
                    tx.update(Counter(PUBLIC_COUNT_KEY), actions=[Counter.n.add(1)])
        except TransactWriteError as exc:
            if body_key:
                s3().delete_object(Bucket=cfg.bucket, Key=body_key)
            if cancelled_by_condition(exc, 0):
                continue  # the id is taken: draw another
            raise
        return {"id": conversation_id, "url": links.conversation_url(conversation_id),
                "shortUrl": links.short_url(conversation_id), "deleteToken": token}
    raise ApiError(503, "id_exhausted", "Could not allocate an id; please retry.")


# ---------------------------------------------------------------- read

def _iso(created_ms: int) -> str:
    return datetime.fromtimestamp(created_ms / 1000, tz=timezone.utc).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z")


def row(meta: ConversationMeta) -> dict[str, Any]:
    return {"id": meta.id, "title": meta.title, "avatar": links.avatar_url(meta.avatar_key, meta.id),
            "saves": int(meta.saves or 0), "comments": int(meta.comments or 0), "views": int(meta.views or 0),
            "createdAt": _iso(int(meta.created))}


def get(conversation_id: str) -> dict[str, Any]:
    """The whole conversation, read with one Query (plus one S3 read for an oversized body)."""
    if not ids.is_valid_id(conversation_id):
        raise not_found()
    meta: ConversationMeta | None = None
    body: ConversationBody | None = None
    # Only body and meta: the saves and comments sorting after them are not read here.
    for item in ConversationItem.query(conversation_id, ConversationItem.part <= META):
        if isinstance(item, ConversationMeta):
            meta = item
        elif isinstance(item, ConversationBody):
            body = item
    if meta is None or body is None:
        raise not_found()
    if body.s3_key:
        data = s3().get_object(Bucket=settings.get().bucket, Key=body.s3_key)["Body"].read()
    else:
        data = body.data
    messages = _decode_body(data)
    return {
        **row(meta),
        "model": meta.model, "source": meta.source, "visibility": meta.visibility,
        "messages": messages,
        "items": [{"from": _SEED_NAMES[m["role"]],
                   "value": m["content"] if m["role"] == "user" else m["html"]} for m in messages],
    }


# ---------------------------------------------------------------- list, search, count

def _index_start(kind: str, cursor: str | None) -> dict[str, Any] | None:
    """Rebuild the exclusive start key: the partition is always ours, whatever the cursor says."""
    if cursor is None:
        return None
    values = cursors.decode(cursor)
    # bool is an int to Python: [true, "abcdefg"] must not reach DynamoDB as the number "True".
    if len(values) != 2 or type(values[0]) is not int or not ids.is_valid_id(values[1]):
        raise cursors.invalid()
    sort_attr = "views" if kind == "top" else "created"
    return {"list_pk": {"S": PUBLIC}, sort_attr: {"N": str(values[0])},
            "id": {"S": values[1]}, "part": {"S": "meta"}}


def _search_start(cursor: str | None) -> str | None:
    if cursor is None:
        return None
    values = cursors.decode(cursor)
    if len(values) != 1 or not isinstance(values[0], str) or not re.fullmatch(r"\d{13}#[0-9A-Za-z]{7}", values[0]):
        raise cursors.invalid()
    return values[0]


def _index_page(kind: str, start: dict[str, Any] | None, size: int) -> tuple[list[ConversationMeta], str | None]:
    index = ConversationMeta.top_index if kind == "top" else ConversationMeta.new_index
    results = index.query(PUBLIC, scan_index_forward=False, limit=size, page_size=size, last_evaluated_key=start)
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


def _search_page(words: list[str], start: str | None, size: int,
                 budget: _ReadBudget) -> tuple[list[ConversationMeta], str | None]:
    """Up to `size` matches, newest first, reading at most SEARCH_PAGE_ENTRIES index entries per Query and
    as many Queries as `budget` allows. When the budget runs out first, the page holds what was found (maybe
    nothing) and the cursor where reading stopped, so the client can go on or refine its search."""
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
    found = {m.id: m for m in ConversationMeta.batch_get([(e.id, "meta") for e in entries])}
    metas = [found[e.id] for e in entries if e.id in found and found[e.id].list_pk == PUBLIC]
    return metas, cursor


def list_public(kind: str = "top", page: int | None = None, cursor: str | None = None,
                search: str | None = None, size: int | None = None) -> tuple[list[dict[str, Any]], str | None]:
    """One page of public conversations (rows in the seed API's shape) and the next page's cursor.

    `cursor` costs one Query per page. `page` (from 1) walks from the start, so it is capped.
    """
    cfg = settings.get()
    if kind not in ("top", "new"):
        raise bad_request("type must be 'top' or 'new'.", "type")
    if page is not None and (page < 1 or page > cfg.max_page):
        raise bad_request(f"page must be between 1 and {cfg.max_page}; use the cursor to go further.", "page")
    size = size or cfg.page_size
    words = normalize_words(search or "")[:MAX_SEARCH_WORDS]
    budget = _ReadBudget(SEARCH_QUERY_BUDGET)
    if words:
        fetch = lambda c: _search_page(words, _search_start(c), size, budget)  # noqa: E731
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


def sitemap_entries(limit: int = 5000) -> list[tuple[str, str]]:
    """(id, createdAt) of the most viewed public conversations, for /sitemap.xml (bounded Queries)."""
    results = ConversationMeta.top_index.query(PUBLIC, scan_index_forward=False, limit=limit, page_size=1000,
                                               attributes_to_get=["id", "created", "kind"])
    return [(meta.id, _iso(int(meta.created))) for meta in results]


def count_public(search: str | None = None) -> tuple[int, bool]:
    """How many public conversations there are, or how many match `search`; and whether the count stopped
    at the read budget (then it is a lower bound)."""
    words = normalize_words(search or "")[:MAX_SEARCH_WORDS]
    if not words:
        try:
            return max(0, int(Counter.get(PUBLIC_COUNT_KEY).n)), False
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


# ---------------------------------------------------------------- owner's list and changes

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
    items, next_cursor = by_user_page(owner_key(user_sub), META, cursor, size or settings.get().page_size)
    metas = [m for m in items if isinstance(m, ConversationMeta)]
    return [{**row(m), "visibility": m.visibility} for m in metas], next_cursor


def _read_meta(conversation_id: str) -> ConversationMeta:
    """The meta item, read consistently (a change or delete decides on it), or a 404."""
    if not ids.is_valid_id(conversation_id):
        raise not_found()
    try:
        return ConversationMeta.get(conversation_id, META, consistent_read=True)
    except DoesNotExist:
        raise not_found() from None


def _owned_meta(conversation_id: str, user_sub: str) -> ConversationMeta:
    meta = _read_meta(conversation_id)
    if meta.user_key != owner_key(user_sub):
        raise ApiError(403, "forbidden", "Only the person who shared this conversation can change it.")
    return meta


def _unchanged_since(meta: ConversationMeta) -> Any:
    """The condition that no owner edit happened since `meta` was read (optimistic locking)."""
    if meta.version is None:
        return ConversationMeta.version.does_not_exist()
    return ConversationMeta.version == meta.version


def update(conversation_id: str, user_sub: str, *, title: str | None = None,
           visibility: str | None = None) -> dict[str, Any]:
    """Change the title and/or visibility of a conversation its owner shared; listings and search follow.

    One transaction: the meta item (conditional on the owner and on the version read), the search entries
    and the public count. An edit that lost a race reads again and is applied once more; a second loss is
    a 409.
    """
    for attempt in range(2):
        meta = _owned_meta(conversation_id, user_sub)
        new_title = derive_title(title, None) if title is not None else meta.title
        new_visibility = visibility or meta.visibility
        was_public, now_public = meta.list_pk == PUBLIC, new_visibility == PUBLIC
        old_words = set(meta.words or ())
        new_words = set(index_words(new_title)) if now_public else set()
        sort = _search_sort(int(meta.created), conversation_id)
        actions = [ConversationMeta.title.set(new_title), ConversationMeta.visibility.set(new_visibility),
                   ConversationMeta.words.set(new_words) if new_words else ConversationMeta.words.remove(),
                   ConversationMeta.list_pk.set(PUBLIC) if now_public else ConversationMeta.list_pk.remove(),
                   ConversationMeta.version.set(int(meta.version or 0) + 1)]
        try:
            with TransactWrite(connection=connection()) as tx:
                tx.update(meta, actions=actions, condition=(ConversationMeta.user_key == owner_key(user_sub)) &
                          _unchanged_since(meta))
                for word in old_words - new_words:
                    tx.delete(SearchEntry(word, sort))
                for word in new_words:
                    tx.save(SearchEntry(word, sort, id=conversation_id, words=new_words))
                if was_public != now_public:
                    tx.update(Counter(PUBLIC_COUNT_KEY), actions=[Counter.n.add(1 if now_public else -1)])
        except TransactWriteError as exc:
            if any_condition_failed(exc) and attempt == 0:
                continue  # another edit (or a delete) won: read again
            raise ApiError(409, "conflict", "The conversation changed meanwhile; please retry.") from None
        cdn.invalidate_conversation(conversation_id)
        return {"id": conversation_id, "title": new_title, "visibility": new_visibility}
    raise AssertionError("unreachable")


# ---------------------------------------------------------------- delete

def token_matches(conversation_id: str, token: str | None) -> bool:
    """Whether `token` is this conversation's delete token (constant time), for a page to check a key it was
    handed in a link before keeping it; unknown conversations are a 404."""
    if not ids.is_valid_id(conversation_id):
        raise not_found()
    try:
        meta = ConversationMeta.get(conversation_id, META, attributes_to_get=["token_hash", "kind"])
    except DoesNotExist:
        raise not_found() from None
    return tokens.token_matches(token, meta.token_hash)


def delete(conversation_id: str, token: str | None, user_sub: str | None = None) -> None:
    """Remove a conversation and everything of it (saves and comments too), given its delete token
    (checked in constant time) or by its signed-in owner."""
    meta = _read_meta(conversation_id)
    if tokens.token_matches(token, meta.token_hash):
        _remove(meta, ConversationMeta.token_hash == meta.token_hash)
    elif user_sub and meta.user_key == owner_key(user_sub):
        _remove(meta, ConversationMeta.user_key == owner_key(user_sub))
    else:
        raise ApiError(403, "forbidden", "The delete token is missing or wrong.")


def _remove(meta: ConversationMeta, condition: Any, retry: bool = True) -> None:
    """Delete a conversation whole: one transaction for the conversation, then its saves and comments.

    The transaction also requires the save and comment counts it read: when both are 0 (the usual case)
    nothing else can be in the partition, so no second Query is needed; a save or comment landing in
    between fails the condition, and the delete reads again and retries once.
    """
    conversation_id = meta.id
    saves, comments = int(meta.saves or 0), int(meta.comments or 0)
    shards: Iterable[ViewShard] = list(ViewShard.query(conversation_id))
    try:
        with TransactWrite(connection=connection()) as tx:
            tx.delete(meta, condition=condition & (ConversationMeta.saves == saves) &
                      (ConversationMeta.comments == comments) & _unchanged_since(meta))
            tx.delete(ConversationBody(conversation_id, "body"))
            for word in meta.words or ():
                tx.delete(SearchEntry(word, _search_sort(int(meta.created), conversation_id)))
            for shard in shards:
                tx.delete(shard)
            if meta.list_pk == PUBLIC:
                tx.update(Counter(PUBLIC_COUNT_KEY), actions=[Counter.n.add(-1)])
    except TransactWriteError as exc:
        if not any_condition_failed(exc) or not retry:
            raise ApiError(409, "conflict", "The conversation changed meanwhile; please retry.") from None
        try:
            fresh = ConversationMeta.get(conversation_id, META, consistent_read=True)
        except DoesNotExist:
            return  # deleted meanwhile: done
        _remove(fresh, condition, retry=False)
        return
    if saves or comments:
        # The conversation is gone, so none can be added any more (their writes require the meta item).
        rest = list(ConversationItem.query(conversation_id, ConversationItem.part > META, consistent_read=True,
                                           attributes_to_get=["id", "part", "kind"]))
        with ConversationItem.batch_write() as batch:
            for item in rest:
                batch.delete(item)
    if meta.body_key:
        s3().delete_object(Bucket=settings.get().bucket, Key=meta.body_key)
    cdn.invalidate_conversation(conversation_id)


def remove_owned(user_sub: str, anonymize: bool) -> int:
    """Delete (or, with `anonymize`, disown) every conversation `user_sub` shared while signed in."""
    done = 0
    for item in ConversationItem.by_user.query(owner_key(user_sub), attributes_to_get=["id", "part", "kind"]):
        if anonymize:
            try:
                item.update(actions=[ConversationItem.user_key.remove()],
                            condition=ConversationItem.user_key == owner_key(user_sub))
            except UpdateError as exc:
                if not failed_condition(exc):  # else: changed hands meanwhile, nothing to do
                    raise
        else:
            try:
                meta = ConversationMeta.get(item.id, META, consistent_read=True)
            except DoesNotExist:
                continue
            _remove(meta, ConversationMeta.user_key == owner_key(user_sub))
        done += 1
    return done
