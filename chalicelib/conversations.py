"""Shared conversations as stored: store, read, change and remove, each all or nothing.

Plain values in, plain values out: nothing here knows about HTTP requests, published pages or moderation.
The workflows that also publish, unpublish and invalidate sit above (sharing.py, closing.py, moderation.py):
each function here returns what changed, and they act on it. Rendering is in rendering.py, lists, search and
counts in listings.py, the key formats in keys.py. A removal names what it leaves outside the tables in its own
transaction (leftovers.py); cleanup.py does that work.
"""
from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, NamedTuple

from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError

from . import cards, donations, ids, keys, leftovers, links, pixels, references, settings, tokens
from .aws import s3
from .dynamo import ConditionsFailed, Transaction, failed_condition
from .errors import ApiError, not_found, unavailable_from, under_review
from .listings import iso, row
from .models import ConversationBody, ConversationItem, ConversationMeta, Counter, RemovedItem, SearchEntry
from .reasons import REASON_LABELS
from .rendering import Share, decode_body, derive_title, first_human, seed_items
from .words import index_words

if TYPE_CHECKING:
    from .avatars import Avatar
    from .media import Image
    from .validation import CreateConversation, DatasetConsent

# A DynamoDB item holds 400 KB; leave room for the key and attribute names.
INLINE_BODY_LIMIT = 380_000
MAX_ID_ATTEMPTS = 5
CONFLICT = "The conversation changed meanwhile; please retry."
# Holds by strictness: a hold is only ever replaced by a stricter one (a release is a decision of its own).
HOLD_RANK = {"personal_info": 1, "suspended": 2, "moderators": 2, "child_safety": 3}


class Owned(NamedTuple):
    """A conversation's meta item, and the condition that keeps a write to the owner who proved it (the delete
    key's hash, or the signed-in sharer)."""
    meta: ConversationMeta
    condition: Any


class Stored(NamedTuple):
    id: str
    token: str  # the delete key, shown once: only its hash is stored
    owned: Owned
    conversation: dict[str, Any]  # as every reader gets it (get)


def store(request: CreateConversation, share: Share, images: dict[str, Image], avatar: Avatar | None, *,
          owner: str | None = None, now: float | None = None, new_id: Callable[[], str] = ids.new_id) -> Stored:
    """Store a rendered conversation (all of its items or nothing) under a new id, with a new delete key, and
    count the references to the images and avatar it shows; their objects are stored after (store_objects).

    `owner` (a user sub) records who shared it, so they can manage it from any device.
    """
    cfg = settings.get()
    avatar_key = avatar.key if avatar else None
    token = tokens.new_token()
    created = int((time.time() if now is None else now) * 1000)
    public = request.visibility == "public"
    words = index_words(share.title) if public else []

    for attempt in range(MAX_ID_ATTEMPTS):
        conversation_id = new_id()
        # A taken-down conversation's id is never drawn again: its link must keep answering 410. One
        # consistent read (1 read unit) rather than a check in the transaction (2 write units): the id is
        # random, so only a takedown of this very id between the read and the commit could slip through.
        if taken_down(conversation_id):
            continue
        body_key = None
        if len(share.body) > INLINE_BODY_LIMIT:
            # Random suffix: a colliding id must never overwrite another conversation's body.
            body_key = keys.body_object(conversation_id, secrets.token_hex(8))
            try:
                s3().put_object(Bucket=cfg.bucket, Key=body_key, Body=share.body,
                                ContentType="application/octet-stream", ContentEncoding="identity")
            except Exception:
                s3().delete_object(Bucket=cfg.bucket, Key=body_key)  # it may have landed, its answer lost
                raise
        card_key = cards.card_key(conversation_id, share.title, share.model, share.source)
        meta = ConversationMeta(
            conversation_id, keys.META, title=share.title, model=share.model, source=share.source,
            avatar_key=avatar_key, card_key=card_key, created=created,
            started=int(request.startedAt.timestamp() * 1000) if request.startedAt else None,
            visibility=request.visibility, token_hash=tokens.hash_token(token), views=0, saves=0,
            comments=0, message_count=len(share.messages), words=set(words) or None,
            list_pk=keys.PUBLIC if public else None, source_pk=keys.source_list(share.source) if public else None,
            body_key=body_key, user_key=keys.owner(owner) if owner else None,
            media_keys={image.key for image in images.values()} or None)
        _donate(meta, request.dataset, share.messages, created)
        stored_body = ConversationBody(conversation_id, keys.BODY, data=None if body_key else share.body,
                                       s3_key=body_key, excerpt=card_excerpt(share.messages) if body_key else None)
        tx = Transaction()
        tx.put(meta, condition=ConversationItem.id.does_not_exist(), name="id")
        tx.put(stored_body)
        # The search entries are not in the transaction (index_new writes them after, at half the price):
        # `meta.words` names them, so every removal and edit finds them whether they exist yet or not.
        if public:
            tx.update(Counter(keys.PUBLIC_COUNT), actions=[Counter.n.add(1)])
        _count_references(tx, conversation_id, avatar_key, images)
        try:
            tx.commit()
        except Exception as exc:
            if isinstance(exc, ConditionsFailed) or not _created(conversation_id, meta.token_hash):
                if body_key:  # nothing refers to it: the conversation was not stored
                    s3().delete_object(Bucket=cfg.bucket, Key=body_key)
                if not isinstance(exc, ConditionsFailed):
                    raise
                if "media" in exc.names:
                    raise ApiError(409, "image_removed", "An image was removed meanwhile: upload it again "
                                   "(POST /api/media) and share again.") from None
                if exc.names & {"avatar", "upload"}:
                    time.sleep(0.05 * (attempt + 1))  # the removal takes three calls: then the object is new again
                continue  # the id is taken or was taken down (or an object was being removed): draw another
            # Stored, though the answer was lost on the way: go on as if it had come.
        return Stored(conversation_id, token, Owned(meta, ConversationMeta.token_hash == meta.token_hash),
                      as_read(meta, share.messages))
    raise ApiError(503, "id_exhausted", "Could not allocate an id; please retry.")


def _count_references(tx: Transaction, conversation_id: str, avatar_key: str | None,
                      images: dict[str, Any]) -> None:
    """One more conversation uses the avatar and shows each image (an image's counter also names the
    conversations, so a takedown finds the others). The avatar and a new image must not be in the middle of
    a removal ("avatar", "upload": retried, then stored again); a published image must still be alive (else
    it may be gone from S3 already: the create fails as "media"). A new image's counter keeps the hash of
    the bytes served and of the picture, which a takedown blocks."""
    if avatar_key:
        tx.update(Counter(keys.references(avatar_key)), actions=[Counter.n.add(1)],
                  condition=Counter.state.does_not_exist(), name="avatar")
    for image in images.values():
        counter = Counter(keys.references(image.key))
        shows = Counter.conversations.add({conversation_id})
        if image.clean is None:
            tx.update(counter, actions=[Counter.n.add(1), shows],
                      condition=(Counter.n >= 1) & Counter.state.does_not_exist(), name="media")
        else:
            tx.update(counter, actions=[Counter.n.add(1), shows, Counter.width.set(image.width),
                                        Counter.height.set(image.height), Counter.size.set(image.size),
                                        Counter.published.set(image.published_hash),
                                        Counter.looks.set(f"{image.looks or 0:016x}")],
                      condition=Counter.state.does_not_exist(), name="upload")


def _created(conversation_id: str, token_hash: str) -> bool:
    """Whether a create whose transaction answered an error was stored all the same (its answer lost): one
    consistent read of the meta item, which is ours if it holds our token's hash."""
    try:
        found = ConversationMeta.get(conversation_id, keys.META, consistent_read=True,
                                     attributes_to_get=["id", "part", "kind", "token_hash"])
    except DoesNotExist:
        return False
    return found.token_hash == token_hash


def index_new(meta: ConversationMeta) -> None:
    """Make a conversation just stored findable: its search entries, in batches (one write unit each, where
    its transaction would have paid two), then one consistent read of its meta item. An edit, a hold or a
    removal that came between the transaction and these writes worked from `meta.words` and may have run
    before them: the entries are then brought in line with what the conversation is now (none if it is gone),
    so no entry outlives its conversation or names a title it no longer has."""
    written = set(meta.words or ())
    if not written:
        return
    sort = keys.search_sort(int(meta.created), meta.id)
    with SearchEntry.batch_write() as batch:
        for word in sorted(written):
            batch.save(SearchEntry(word, sort, id=meta.id, words=written))
    try:
        now = ConversationMeta.get(meta.id, keys.META, consistent_read=True,
                                   attributes_to_get=["id", "part", "kind", "words", "version"])
    except DoesNotExist:
        current = set()
    else:
        if now.version is None:  # never edited nor held: the entries are what it holds
            return
        current = set(now.words or ())
    with SearchEntry.batch_write() as batch:
        for word in sorted(written - current):
            batch.delete(SearchEntry(word, sort))
        for word in sorted(written & current):
            batch.save(SearchEntry(word, sort, id=meta.id, words=current))


# ---------------------------------------------------------------- read

def get(conversation_id: str) -> dict[str, Any]:
    """The whole conversation, read with one Query (plus one S3 read for an oversized body)."""
    # Only body and meta: the saves and comments sorting after them are not read here.
    return from_items(conversation_id, read_partition(conversation_id, keys.META))


def read_partition(conversation_id: str, through: str, consistent: bool = False) -> list[ConversationItem]:
    """A conversation's items from `body` through the part `through` (keys.py orders them), with one Query
    (`consistent` for a page about to be published); 404 for an id that cannot be one."""
    if not ids.is_valid_id(conversation_id):
        raise not_found()
    return list(ConversationItem.query(conversation_id, ConversationItem.part <= through,
                                       consistent_read=consistent))


def revision(items: list[ConversationItem]) -> int:
    """The revision of what a conversation's page shows (its meta item's `rev`; 0 before any change)."""
    meta = next((item for item in items if isinstance(item, ConversationMeta)), None)
    return int(meta.rev or 0) if meta is not None else 0


def from_items(conversation_id: str, items: list[ConversationItem]) -> dict[str, Any]:
    """The conversation its partition's items hold (410 if taken down, 451 while held for child safety)."""
    meta, body = _readable(conversation_id, items)
    return as_read(meta, body_messages(body))


class CardText(NamedTuple):
    """What a conversation's link-preview card shows, and the card's key (its URL's path)."""

    key: str | None
    title: str
    model: str | None
    source: str | None
    excerpt: str


def card_text(conversation_id: str, items: list[ConversationItem]) -> CardText:
    """What the card of the conversation its partition's items hold shows (from_items' 404, 410 and 451). A
    body kept in S3 is not read: its item holds the excerpt (one stored before it did is read)."""
    meta, body = _readable(conversation_id, items)
    excerpt = body.excerpt if body.s3_key and body.excerpt is not None else card_excerpt(body_messages(body))
    return CardText(meta.card_key, meta.title, meta.model, meta.source, excerpt)


def card_excerpt(messages: list[dict[str, Any]]) -> str:
    """The card's excerpt: the first human words, as far as a card reads them."""
    return (first_human(messages) or "")[: cards.MAX_EXCERPT]


def _readable(conversation_id: str, items: list[ConversationItem]) -> tuple[ConversationMeta, ConversationBody]:
    meta: ConversationMeta | None = None
    body: ConversationBody | None = None
    for item in items:
        if isinstance(item, ConversationMeta):
            meta = item
        elif isinstance(item, ConversationBody):
            body = item
    if meta is None or body is None:
        explain_gone(conversation_id)
        raise not_found()
    if meta.held == "child_safety":
        raise under_review()
    return meta, body


def body_messages(body: ConversationBody) -> list[dict[str, Any]]:
    """The messages a body item holds, or the S3 object of an oversized one it points at."""
    data = s3().get_object(Bucket=settings.get().bucket, Key=body.s3_key)["Body"].read() if body.s3_key else body.data
    return decode_body(data)


def explain_gone(conversation_id: str) -> None:
    """A missing conversation the moderators took down is a 410 saying so (one read, on misses only)."""
    try:
        removed = RemovedItem.get(conversation_id, keys.REMOVED)
    except DoesNotExist:
        return
    label = REASON_LABELS.get(removed.category, "a report")
    raise ApiError(410, "removed", f"Removed by the moderators: {label}.")


def as_read(meta: ConversationMeta, messages: list[dict[str, Any]]) -> dict[str, Any]:
    """The conversation as every reader gets it (API, page, exports). A held one reads as what it is to them,
    unlisted (out of every listing, noindex), and says nothing of the moderators: a reader may not learn that
    someone reported it."""
    return {
        **row(meta),
        "model": meta.model, "source": meta.source,
        "visibility": "unlisted" if meta.held else meta.visibility,
        "commentsOff": bool(meta.comments_off),
        "startedAt": iso(int(meta.started)) if meta.started else None,
        "card": links.card_url(meta.card_key) if meta.card_key else None,
        "messages": messages,
        "items": seed_items(messages),
    }


# ---------------------------------------------------------------- owner's changes

def _read_meta(conversation_id: str) -> ConversationMeta:
    """The meta item, read consistently (a change or delete decides on it), or a 404."""
    if not ids.is_valid_id(conversation_id):
        raise not_found()
    try:
        return ConversationMeta.get(conversation_id, keys.META, consistent_read=True)
    except DoesNotExist:
        raise not_found() from None


def authorise(conversation_id: str, user_sub: str | None, token: str | None = None,
              refusal: str = "Only the person who shared this conversation can change it.") -> Owned:
    """The meta item if the caller owns it (holding its delete key, checked in constant time, or signed in as
    its sharer), with the condition that says so for the write; 404 if it does not exist, else 403 (`refusal`)."""
    meta = _read_meta(conversation_id)
    if token and tokens.token_matches(token, meta.token_hash):
        return Owned(meta, ConversationMeta.token_hash == meta.token_hash)
    if user_sub and meta.user_key == keys.owner(user_sub):
        return Owned(meta, ConversationMeta.user_key == keys.owner(user_sub))
    raise ApiError(403, "forbidden", refusal)


def _unchanged_since(meta: ConversationMeta) -> Any:
    """The condition that no owner edit happened since `meta` was read (optimistic locking)."""
    if meta.version is None:
        return ConversationMeta.version.does_not_exist()
    return ConversationMeta.version == meta.version


class Edit(NamedTuple):
    answer: dict[str, Any]  # {id, title, visibility, comments, dataset}
    changed: bool  # False: the page stays as it is (nothing was written, or only the donation)
    old_card: str | None  # the card of the old title, to remove


# `dataset=KEEP_DONATION`: the edit leaves the donation as it is (None withdraws it).
KEEP_DONATION: Any = object()


def _donate(meta: ConversationMeta, consent: DatasetConsent | None, messages: list[dict[str, Any]],
            now_ms: int) -> None:
    """Mark `meta` donated under `consent` now (nothing when None)."""
    if consent is None:
        return
    gift = donations.donation(consent, messages)
    meta.donated, meta.dataset_license, meta.dataset_attribution = now_ms, gift.license, gift.attribution
    meta.dataset_digest, meta.dataset_shard = gift.digest, gift.shard
    meta.dataset_pk = keys.dataset_list(gift.shard)


def _donation_actions(meta: ConversationMeta, dataset: DatasetConsent | None) -> list[Any]:
    """The meta item's writes for a donation given, changed (license, attribution: its cooling-off day goes
    on) or withdrawn (None); [] when it changes nothing. `meta` is changed to match, for the answer."""
    if dataset is None:
        if not meta.dataset_pk:
            return []
        meta.dataset_pk = meta.donated = None
        return [ConversationMeta.dataset_pk.remove(), ConversationMeta.donated.remove(),
                ConversationMeta.dataset_license.remove(), ConversationMeta.dataset_attribution.remove()]
    attribution = dataset.attribution if dataset.license == "CC-BY-4.0" else None
    if meta.dataset_pk and meta.dataset_license == dataset.license and meta.dataset_attribution == attribution:
        return []
    actions = [ConversationMeta.dataset_license.set(dataset.license),
               ConversationMeta.dataset_attribution.set(attribution) if attribution else
               ConversationMeta.dataset_attribution.remove()]
    if not meta.dataset_pk:  # given now: its cooling-off day starts now
        _donate(meta, dataset, read_messages(meta), int(time.time() * 1000))
        actions += [ConversationMeta.donated.set(meta.donated), ConversationMeta.dataset_digest.set(
            meta.dataset_digest), ConversationMeta.dataset_shard.set(meta.dataset_shard),
            ConversationMeta.dataset_pk.set(meta.dataset_pk)]
    meta.dataset_license, meta.dataset_attribution = dataset.license, attribution
    return actions


def read_messages(meta: ConversationMeta) -> list[dict[str, Any]]:
    """A conversation's stored messages (its body item, or the S3 object of an oversized one)."""
    try:
        body = ConversationBody.get(meta.id, keys.BODY)
    except DoesNotExist:
        raise not_found() from None
    return body_messages(body)


def update(conversation_id: str, user_sub: str | None, *, title: str | None = None,
           visibility: str | None = None, comments: bool | None = None, token: str | None = None,
           dataset: DatasetConsent | None = KEEP_DONATION) -> Edit:
    """Change the title, visibility, comments setting or donation of a conversation its owner shared;
    listings and search follow.

    One transaction: the meta item (conditional on the owner and on the version read), the search entries
    and the public count. An edit that lost a race reads again and is applied once more; a second loss is
    a 409.
    """
    for attempt in range(2):
        meta, owned = authorise(conversation_id, user_sub, token)
        new_title = derive_title(title, None) if title is not None else meta.title
        new_visibility = visibility or meta.visibility
        new_comments = not meta.comments_off if comments is None else comments
        donation_actions = [] if dataset is KEEP_DONATION else _donation_actions(meta, dataset)
        page_changes = not (new_title == meta.title and new_visibility == meta.visibility
                            and new_comments != bool(meta.comments_off))
        if not page_changes and not donation_actions:
            # Nothing changes: nothing is written, drawn, stored or invalidated.
            return Edit(_edit_answer(meta, new_title, new_visibility, new_comments), False, None)
        # Held by the moderators: the owner may change the setting, not list it before they decide.
        was_public, now_public = meta.list_pk == keys.PUBLIC, new_visibility == keys.PUBLIC and not meta.held
        old_words = set(meta.words or ())
        new_words = set(index_words(new_title)) if now_public else set()
        sort = keys.search_sort(int(meta.created), conversation_id)
        card = cards.card_key(meta.id, new_title, meta.model, meta.source) if new_title != meta.title else None
        actions = [ConversationMeta.title.set(new_title), ConversationMeta.visibility.set(new_visibility),
                   ConversationMeta.words.set(new_words) if new_words else ConversationMeta.words.remove(),
                   ConversationMeta.list_pk.set(keys.PUBLIC) if now_public else ConversationMeta.list_pk.remove(),
                   _source_listed(meta, now_public),
                   ConversationMeta.version.set(int(meta.version or 0) + 1), *donation_actions]
        if page_changes:  # what the published page shows: a publisher that finds a newer rev draws again
            actions.append(ConversationMeta.rev.add(1))
        if comments is not None:
            actions.append(ConversationMeta.comments_off.remove() if comments else ConversationMeta.comments_off.set(1))
        if card:  # drawn when first asked for, as a new conversation's
            actions.append(ConversationMeta.card_key.set(card))
        tx = Transaction()
        tx.update(meta, actions=actions, condition=owned & _unchanged_since(meta), name="meta")
        for word in old_words - new_words:
            tx.delete(SearchEntry(word, sort))
        for word in new_words:
            tx.put(SearchEntry(word, sort, id=conversation_id, words=new_words))
        if was_public != now_public:
            tx.update(Counter(keys.PUBLIC_COUNT), actions=[Counter.n.add(1 if now_public else -1)])
        if not _commit_edit(tx, meta, new_title, new_visibility, last=attempt == 1):
            continue  # another edit (or a delete) won: read again
        old_card = meta.card_key if card and meta.card_key and meta.card_key != card else None
        return Edit(_edit_answer(meta, new_title, new_visibility, new_comments), page_changes, old_card)
    raise AssertionError("unreachable")


def _edit_answer(meta: ConversationMeta, title: str, visibility: str, comments: bool) -> dict[str, Any]:
    return {"id": meta.id, "title": title, "visibility": visibility, "comments": comments,
            "dataset": donations.described(meta)}


def _commit_edit(tx: Transaction, meta: ConversationMeta, title: str, visibility: str, last: bool) -> bool:
    """Commit an owner's edit read from `meta`: True once stored (also when its answer was lost on the way),
    False when another edit won and this one should read again; a 409 when it lost twice."""
    try:
        tx.commit()
        return True
    except Exception as exc:
        if not isinstance(exc, ConditionsFailed) and _edited(meta.id, int(meta.version or 0) + 1, title, visibility):
            return True
        if isinstance(exc, ConditionsFailed) and not last:
            return False
        if isinstance(exc, (ConditionsFailed, TransactWriteError)) and not _unavailable(exc):
            raise ApiError(409, "conflict", CONFLICT) from None
        raise


def _edited(conversation_id: str, version: int, title: str, visibility: str) -> bool:
    """Whether an edit whose transaction answered an error was stored all the same: the meta item, read
    consistently, is at the version that edit wrote, with its title and visibility."""
    try:
        found = ConversationMeta.get(conversation_id, keys.META, consistent_read=True,
                                     attributes_to_get=["id", "part", "kind", "version", "title", "visibility"])
    except DoesNotExist:
        return False
    return int(found.version or 0) == version and found.title == title and found.visibility == visibility


def _unavailable(exc: BaseException) -> bool:
    return unavailable_from(exc) is not None


# ---------------------------------------------------------------- holds and takedowns (the moderators decide)

def set_held(conversation_id: str, reason: str | None,
             only: frozenset[str] | None = None) -> ConversationMeta | None:
    """Hold a conversation out of every listing (`reason`), or end the hold (None; `only` a hold of these
    reasons): one transaction with its search entries and the public count. A hold is only ever replaced
    by a stricter one (HOLD_RANK): suspending an owner or unlisting never lifts a child-safety
    hold. Returns the meta item as read before the change (what else to remove: its card), or None if
    nothing changed; 404 if it does not exist."""
    for _ in range(3):
        meta = _read_meta(conversation_id)
        if (meta.held or None) == reason:
            return None
        if reason is not None and meta.held and HOLD_RANK.get(meta.held, 0) >= HOLD_RANK.get(reason, 0):
            return None
        if reason is None and only is not None and meta.held not in only:
            return None
        listed = reason is None and meta.visibility == keys.PUBLIC
        words = set(index_words(meta.title)) if listed else set()
        sort = keys.search_sort(int(meta.created), conversation_id)
        tx = Transaction()
        tx.update(meta, actions=[
            ConversationMeta.held.set(reason) if reason else ConversationMeta.held.remove(),
            ConversationMeta.words.set(words) if words else ConversationMeta.words.remove(),
            ConversationMeta.list_pk.set(keys.PUBLIC) if listed else ConversationMeta.list_pk.remove(),
            _source_listed(meta, listed), ConversationMeta.rev.add(1),
            ConversationMeta.version.set(int(meta.version or 0) + 1)], condition=_unchanged_since(meta), name="meta")
        for word in set(meta.words or ()) - words:
            tx.delete(SearchEntry(word, sort))
        for word in words:
            tx.put(SearchEntry(word, sort, id=conversation_id, words=words))
        if (meta.list_pk == keys.PUBLIC) != listed:
            tx.update(Counter(keys.PUBLIC_COUNT), actions=[Counter.n.add(1 if listed else -1)])
        if reason == "child_safety":
            forget_donation(tx, meta)
        try:
            tx.commit()
            return meta
        except ConditionsFailed:
            continue  # an owner's edit won: read again
        except Exception:
            fresh = _read_meta(conversation_id)  # its answer may have been lost on the way: stored if so
            if (fresh.held or None) == reason and int(fresh.version or 0) == int(meta.version or 0) + 1:
                return meta
            raise
    raise ApiError(409, "conflict", CONFLICT)


def take_down(conversation_id: str, category: str, statement: str, now: float | None = None) -> list[str]:
    """The moderators' takedown: removed exactly as its owner's delete removes it and, in the same
    transaction, a tombstone that answers 410 (and keeps the id from being drawn again) and shows its owner
    the statement, its owner's count of takedowns, and the block of every image it showed: the hash of the
    bytes uploaded, of the bytes the site served, and of the picture (pixels.looks, for near copies). Returns
    the other conversations that show one of its images; a 404 if it does not exist (or no longer does:
    taken_down says which)."""
    removed = int((time.time() if now is None else now) * 1000)
    meta = _read_meta(conversation_id)
    # One read of the reference counters of what it showed: which to count down, and what to block.
    shared = [key for key in [meta.avatar_key, *sorted(meta.media_keys or ())] if key]
    counters = {c.key: c for c in Counter.batch_get([keys.references(k) for k in shared], consistent_read=True)} \
        if shared else {}
    shown = [counters[keys.references(k)] for k in sorted(meta.media_keys or ()) if keys.references(k) in counters]

    # First, and outside the removal's transaction (which would pass DynamoDB's 100 items): the hashes of
    # the bytes served and of the pictures. Blocking what is being taken down anyway is safe to repeat.
    with Counter.batch_write() as batch:
        for served in sorted({c.published for c in shown if c.published}):
            batch.save(Counter(keys.blocked(served), state="blocked"))
    looks = {c.looks for c in shown if c.looks and pixels.informative(int(c.looks, 16))}
    if looks:
        Counter(keys.BLOCKED_LOOKS).update(actions=[Counter.hashes.add(looks)])

    def tombstone(tx: Transaction, meta: ConversationMeta) -> None:
        tx.put(RemovedItem(conversation_id, keys.REMOVED, user_key=meta.user_key, created=int(meta.created),
                           category=category, statement=statement, removed=removed))
        for key in sorted(meta.media_keys or ()):  # at most 20 (a conversation's images): the uploads' hashes
            tx.put(Counter(keys.blocked(key.split("/", 1)[1]), state="blocked"))
        if meta.user_key:
            tx.update(Counter(keys.takedowns(meta.user_key)), actions=[Counter.n.add(1)])

    remove(Owned(meta, ConversationMeta.id.exists()), also=tombstone,
           counted=[k for k in shared if keys.references(k) in counters])
    return sorted({cid for c in shown for cid in c.conversations or ()} - {conversation_id})


def taken_down(conversation_id: str) -> bool:
    """Whether the moderators took this conversation down (its tombstone, read consistently)."""
    try:
        RemovedItem.get(conversation_id, keys.REMOVED, consistent_read=True, attributes_to_get=["id", "part"])
        return True
    except DoesNotExist:
        return False


def _source_listed(meta: ConversationMeta, listed: bool) -> Any:
    """The `by_source` key follows `list_pk`: listed, and from a known assistant."""
    key = keys.source_list(meta.source) if listed else None
    return ConversationMeta.source_pk.set(key) if key else ConversationMeta.source_pk.remove()


# ---------------------------------------------------------------- delete

def title_of(conversation_id: str) -> str | None:
    """A conversation's title (one small read), or None for one that does not exist: the report form names
    what is reported."""
    if not ids.is_valid_id(conversation_id):
        return None
    try:
        return ConversationMeta.get(conversation_id, keys.META, attributes_to_get=["id", "part", "kind", "title"]).title
    except DoesNotExist:
        return None


def token_matches(conversation_id: str, token: str | None) -> bool:
    """Whether `token` is this conversation's delete token (constant time), for a page to check a key it was
    handed in a link before keeping it; unknown conversations are a 404."""
    if not ids.is_valid_id(conversation_id):
        raise not_found()
    try:
        meta = ConversationMeta.get(conversation_id, keys.META, attributes_to_get=["token_hash", "kind"])
    except DoesNotExist:
        raise not_found() from None
    return tokens.token_matches(token, meta.token_hash)


MAX_KEYS_CHECKED = 50  # one BatchGetItem of two keys each


def keys_held(pairs: list[tuple[str, str]]) -> dict[str, list[Any]]:
    """What a browser's stored delete keys still hold, for its "My shares" list: one BatchGetItem.

    `pairs` are (id, key). Answers `held` (the key is that conversation's: its id, current title,
    visibility and donation's license, so a change made elsewhere shows), `removed` (taken down by the
    moderators) and `gone` (deleted, or never shared). A key that is not the conversation's is in none of them.
    """
    wanted = {cid: token for cid, token in pairs[:MAX_KEYS_CHECKED] if ids.is_valid_id(cid)}
    if not wanted:
        return {"held": [], "removed": [], "gone": []}
    metas: dict[str, ConversationMeta] = {}
    removed: set[str] = set()
    for item in ConversationItem.batch_get([(cid, part) for cid in wanted for part in (keys.META, keys.REMOVED)],
                                           attributes_to_get=["id", "part", "kind", "token_hash", "title",
                                                              "visibility", "dataset_pk", "dataset_license"]):
        if isinstance(item, RemovedItem):
            removed.add(item.id)
        elif isinstance(item, ConversationMeta):
            metas[item.id] = item
    held = [{"id": cid, "title": metas[cid].title, "visibility": metas[cid].visibility,
             "dataset": metas[cid].dataset_license if metas[cid].dataset_pk else None}
            for cid, token in wanted.items() if cid in metas and tokens.token_matches(token, metas[cid].token_hash)]
    return {"held": held, "removed": [cid for cid in wanted if cid in removed],
            "gone": [cid for cid in wanted if cid not in metas and cid not in removed]}


def remove(owned: Owned, retry: bool = True, also: Callable[[Transaction, ConversationMeta], None] | None = None,
           counted: list[str] | None = None) -> None:
    """Delete a conversation whole, under the condition that its owner is still the one who proved it: one
    transaction for its items, the reference counts of what it showed and the record of what it leaves
    outside the tables (leftovers.py: `cleanup.finish` does that work next). `also` adds a takedown's items;
    `counted` names the shared objects with a reference counter, when the caller read them already. Returns
    also when it was removed meanwhile by another (its leftovers are then for the caller to finish too).

    The first transaction also requires the save and comment counts it read: when both are 0 (the usual
    case) nothing else can be in the partition, so the cleanup needs no Query. A save or comment landing in
    between fails it; the delete reads again and retries without that condition, leaving the saves and
    comments to the cleanup's Query (none can land once the meta item is gone), so a stream of comments
    cannot hold a delete or a takedown off. A transaction whose answer was lost is judged by reading: stored
    if its cleanup item is there and its meta item is not.
    """
    meta, condition = owned
    conversation_id = meta.id
    saves, comments = int(meta.saves or 0), int(meta.comments or 0)
    releases = counted if counted is not None else \
        references.counted([key for key in [meta.avatar_key, *sorted(meta.media_keys or ())] if key])
    counted = (ConversationMeta.saves == saves) & (ConversationMeta.comments == comments) if retry else None
    tx = Transaction()
    tx.delete(meta, condition=condition & _unchanged_since(meta) & counted if counted is not None else
              condition & _unchanged_since(meta), name="meta")
    tx.delete(ConversationBody(conversation_id, keys.BODY))
    # Its search entries go after, with the cleanup (two write units each here, one there); a search skips
    # them meanwhile, as it finds no conversation for them.
    sort = keys.search_sort(int(meta.created), conversation_id)
    entries = [keys.search_entry(word, sort) for word in sorted(meta.words or ())]
    if meta.list_pk == keys.PUBLIC:
        tx.update(Counter(keys.PUBLIC_COUNT), actions=[Counter.n.add(-1)])
    for key in releases:
        tx.update(Counter(keys.references(key)),
                  actions=[Counter.n.add(-1), Counter.conversations.delete({conversation_id})])
    card = [f"/{meta.card_key}"] if meta.card_key else []
    tx.update(Counter(keys.cleanup(conversation_id)),
              actions=leftovers.actions([keys.page_object(conversation_id), meta.body_key, meta.card_key],
                                        releases, links.conversation_paths(conversation_id) + card,
                                        rest=bool(saves or comments) or not retry, entries=entries))
    forget_donation(tx, meta)
    if also:
        also(tx, meta)
    try:
        tx.commit()
    except Exception as exc:
        if isinstance(exc, ConditionsFailed):
            if not retry:
                raise ApiError(409, "conflict", CONFLICT) from None
            try:
                fresh = ConversationMeta.get(conversation_id, keys.META, consistent_read=True)
            except DoesNotExist:
                return  # deleted meanwhile: what it left is on its record
            remove(Owned(fresh, condition), retry=False, also=also)
            return
        if not _removed(conversation_id):
            if isinstance(exc, TransactWriteError) and not _unavailable(exc):
                raise ApiError(409, "conflict", CONFLICT) from None
            raise


def forget_donation(tx: Transaction, meta: ConversationMeta) -> None:
    """A conversation ever donated, removed or held for child safety: the snapshots still served lose it too
    (the quarter-hourly job rewrites the shard that may hold it: dataset.apply_removals), in the same
    transaction as the change, so no failure between them can leave it published."""
    if meta.dataset_shard is not None:
        tx.update(Counter(keys.DATASET_REMOVALS),
                  actions=[Counter.removals.add({f"{int(meta.dataset_shard)}/{meta.id}"})])


def _removed(conversation_id: str) -> bool:
    """Whether a removal whose transaction answered an error was stored all the same (two consistent reads)."""
    try:
        Counter.get(keys.cleanup(conversation_id), consistent_read=True, attributes_to_get=["key"])
    except DoesNotExist:
        return False
    try:
        ConversationMeta.get(conversation_id, keys.META, consistent_read=True, attributes_to_get=["id", "part", "kind"])
        return False
    except DoesNotExist:
        return True


def remove_owned(user_sub: str, anonymize: bool) -> Iterator[tuple[str, bool]]:
    """Delete (or, with `anonymize`, disown) every conversation `user_sub` shared while signed in, one at a
    time, yielding (its id, whether it was removed) after each: a removed one's leftovers are the caller's
    to finish. A takedown's tombstone keeps answering 410, but names no one now."""
    for item in ConversationItem.by_user.query(keys.owner(user_sub), attributes_to_get=["id", "part", "kind"]):
        if isinstance(item, RemovedItem):
            RemovedItem(item.id, keys.REMOVED).update(actions=[RemovedItem.user_key.remove()])
            continue
        if anonymize:
            try:
                item.update(actions=[ConversationItem.user_key.remove()],
                            condition=ConversationItem.user_key == keys.owner(user_sub))
            except UpdateError as exc:
                if not failed_condition(exc):  # else: changed hands meanwhile, nothing to do
                    raise
            yield item.id, False
            continue
        try:
            meta = ConversationMeta.get(item.id, keys.META, consistent_read=True)
        except DoesNotExist:
            continue
        remove(Owned(meta, ConversationMeta.user_key == keys.owner(user_sub)))
        yield item.id, True
