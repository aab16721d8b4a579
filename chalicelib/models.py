"""DynamoDB tables, declared once with PynamoDB and used by production, `make run` and tests alike.

The layout (what each table holds, every key format) is in keys.py. Table names, region and endpoint are
read from the settings when a table is first used, not at import: tests and tools may set the environment
after importing this module.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pynamodb.attributes import (
    BinaryAttribute,
    DiscriminatorAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, IncludeProjection
from pynamodb.models import Model

from . import settings

# What a list row needs, besides each index's own keys (DynamoDB refuses key attributes in NonKeyAttributes).
# `kind` too: PynamoDB filters polymorphic queries on it, so an index without it returns nothing.
ROW_ATTRIBUTES = ["kind", "title", "avatar_key", "saves", "comments"]


# PynamoDB probes each Meta's attributes while a model class is declared; nothing is read from the settings
# until the declarations below are done, so importing this module reads no environment variable.
_declaring = True


class _SettingsMeta(type):
    """A model's `Meta` whose connection values come from the settings when PynamoDB reads them."""
    table: str

    def _read(cls, pick: Callable[[settings.Settings], Any]) -> Any:
        return None if _declaring else pick(settings.get())

    @property
    def table_name(cls) -> str:
        return cls._read(lambda s: s.table(cls.table))

    @property
    def region(cls) -> str:
        return cls._read(lambda s: s.region)

    @property
    def host(cls) -> str | None:
        return cls._read(lambda s: s.aws_endpoint)

    @property
    def connect_timeout_seconds(cls) -> float:
        return cls._read(lambda s: s.aws_connect_timeout)

    @property
    def read_timeout_seconds(cls) -> float:
        return cls._read(lambda s: s.aws_read_timeout)

    @property
    def max_retry_attempts(cls) -> int:
        return cls._read(lambda s: s.aws_max_attempts - 1)  # retries after the first attempt


def _meta(name: str) -> Any:  # PynamoDB types Meta as a protocol that a class built at run time cannot name
    return _SettingsMeta("Meta", (), {"table": name, "billing_mode": "PAY_PER_REQUEST"})


class NewIndex(GlobalSecondaryIndex["ConversationMeta"]):
    class Meta:
        index_name = "new"
        projection = IncludeProjection(ROW_ATTRIBUTES + ["views"])
    list_pk = UnicodeAttribute(hash_key=True)
    created = NumberAttribute(range_key=True)


class TopIndex(GlobalSecondaryIndex["ConversationMeta"]):
    class Meta:
        index_name = "top"
        projection = IncludeProjection(ROW_ATTRIBUTES + ["created"])
    list_pk = UnicodeAttribute(hash_key=True)
    views = NumberAttribute(range_key=True)


class SourceIndex(GlobalSecondaryIndex["ConversationMeta"]):
    class Meta:
        index_name = "by_source"
        projection = IncludeProjection(ROW_ATTRIBUTES + ["views"])
    source_pk = UnicodeAttribute(hash_key=True)
    created = NumberAttribute(range_key=True)


class DatasetIndex(GlobalSecondaryIndex["ConversationMeta"]):
    """The conversations donated to the open dataset, one partition per snapshot shard, oldest donation
    first: a shard's worker reads what it needs from here and only the bodies from the table."""
    class Meta:
        index_name = "dataset"
        projection = IncludeProjection(["kind", "title", "source", "model", "created", "held", "dataset_license",
                                        "dataset_attribution", "dataset_digest", "body_key"])
    dataset_pk = UnicodeAttribute(hash_key=True)
    donated = NumberAttribute(range_key=True)


class UserIndex(GlobalSecondaryIndex["ConversationItem"]):
    class Meta:
        index_name = "by_user"
        projection = IncludeProjection(ROW_ATTRIBUTES + ["views", "visibility"])
    user_key = UnicodeAttribute(hash_key=True)
    created = NumberAttribute(range_key=True)


class ConversationItem(Model):
    Meta = _meta("conversations")
    id = UnicodeAttribute(hash_key=True)
    part = UnicodeAttribute(range_key=True)
    kind = DiscriminatorAttribute()
    created = NumberAttribute(null=True)  # epoch ms: the conversation's creation, or when saved / commented
    user_key = UnicodeAttribute(null=True)  # keys.owner / saver / commenter on items a person owns, else absent
    by_user = UserIndex()


class ConversationMeta(ConversationItem, discriminator="meta"):
    title = UnicodeAttribute()
    model = UnicodeAttribute(null=True)
    source = UnicodeAttribute(null=True)
    avatar_key = UnicodeAttribute(null=True)
    visibility = UnicodeAttribute()
    token_hash = UnicodeAttribute()
    views = NumberAttribute(default=0)
    saves = NumberAttribute(default=0)
    comments = NumberAttribute(default=0)
    message_count = NumberAttribute(default=0)
    words = UnicodeSetAttribute(null=True)  # the title's search words, to find its index entries
    list_pk = UnicodeAttribute(null=True)  # "public" for listed conversations, absent otherwise
    source_pk = UnicodeAttribute(null=True)  # "public#<source>" for listed ones from a known assistant
    body_key = UnicodeAttribute(null=True)  # S3 key of an oversized body, to delete it with the rest
    media_keys = UnicodeSetAttribute(null=True)  # the images it shows (media/...): released when it goes
    card_key = UnicodeAttribute(null=True)  # its link-preview card (cards/<id>/...)
    started = NumberAttribute(null=True)  # epoch ms: when the conversation began on its site, if it said
    # Bumped by every owner edit: edits and deletes are conditional on the version they read, so two
    # racing edits cannot leave search entries of a title or visibility that lost (absent: never edited).
    version = NumberAttribute(null=True)
    # Set while the conversation is kept out of every listing pending review (reports, a moderator's unlist,
    # a suspended owner): the reason. The owner cannot list it again until a moderator restores it.
    held = UnicodeAttribute(null=True)
    comments_off = NumberAttribute(null=True)  # 1: its owner turned comments off (kept, shown only to them)
    # The view fold's batch that last added to `views`: applying a batch again (a run resumed) adds nothing.
    fold_batch = UnicodeAttribute(null=True)
    # Bumped by every write that changes what its published page shows (edits, holds, comments); the page
    # object carries the revision it was drawn from, and a publisher that finds a newer one draws again.
    rev = NumberAttribute(null=True)
    # Donated to the open dataset (dataset.py): when (epoch ms: its cooling-off day starts), under which
    # license (SPDX) and with what attribution; `dataset_pk` while donated (the sparse `dataset` GSI);
    # `dataset_digest` of its text and `dataset_shard`, kept once ever donated, so a takedown finds the
    # snapshot shards that may hold it even after a withdrawal.
    donated = NumberAttribute(null=True)
    dataset_license = UnicodeAttribute(null=True)
    dataset_attribution = UnicodeAttribute(null=True)
    dataset_pk = UnicodeAttribute(null=True)
    dataset_digest = UnicodeAttribute(null=True)
    dataset_shard = NumberAttribute(null=True)
    new_index = NewIndex()
    top_index = TopIndex()
    source_index = SourceIndex()
    dataset_index = DatasetIndex()


class RemovedItem(ConversationItem, discriminator="removed"):
    """What a moderators' takedown leaves (part `~removed`): the id answers 410 and is never drawn again, and
    its owner (`user_key`, as the conversation had it) sees the statement in /mine. Never the content."""
    category = UnicodeAttribute()  # the report reason the takedown was for
    statement = UnicodeAttribute()  # the moderators' statement of reasons, shown to the owner
    removed = NumberAttribute()  # epoch ms


class ConversationBody(ConversationItem, discriminator="body"):
    data = BinaryAttribute(null=True, legacy_encoding=False)  # zlib-compressed JSON
    s3_key = UnicodeAttribute(null=True)  # set instead of data when the body is too big for an item
    # Beside an s3_key only: the card's excerpt (the first human words, as cards.draw reads them), so a card
    # drawn on an edge miss never reads and decodes a body of up to 5 MB. Never in the meta item, which every
    # fold update rewrites (its write units are its size).
    excerpt = UnicodeAttribute(null=True)


class SearchEntry(Model):
    Meta = _meta("search")
    word = UnicodeAttribute(hash_key=True)
    sort = UnicodeAttribute(range_key=True)  # "<created ms, 13 digits>#<id>": newest first when descending
    id = UnicodeAttribute()
    words = UnicodeSetAttribute(null=True)  # all title words, to filter multi-word searches


class Counter(Model):
    Meta = _meta("counters")
    key = UnicodeAttribute(hash_key=True)
    n = NumberAttribute(default=0)
    expires = TTLAttribute(null=True)
    state = UnicodeAttribute(null=True)  # on reference counters: "deleting" while the object is being removed
    # On an image's reference counter: what its blocks show (set by the create that published it).
    width = NumberAttribute(null=True)
    height = NumberAttribute(null=True)
    size = NumberAttribute(null=True)
    # On `cdn#pending`: paths CloudFront refused to invalidate, until the scheduled job sends them again;
    # on `cleanup#<id>`: the paths the removal of that conversation must invalidate.
    paths = UnicodeSetAttribute(null=True)
    # On `cleanup#<id>` (cleanup.py): the S3 objects to delete, the shared objects (avatar, images) whose
    # reference the removal gave up, and whether saves and comments are left under the conversation's key.
    objects = UnicodeSetAttribute(null=True)
    releases = UnicodeSetAttribute(null=True)
    rest = NumberAttribute(null=True)
    # On `cleanup#<id>`: its search entries (keys.search_entry), deleted after the removal at one write unit
    # each rather than two in its transaction (a search skips a match whose conversation is gone meanwhile).
    entries = UnicodeSetAttribute(null=True)
    # On `cdn#pending`: conversations whose cleanup item waits for the scheduled job; on an image's reference
    # counter: the conversations that show it (a takedown holds the others).
    conversations = UnicodeSetAttribute(null=True)
    # On an image's reference counter: the SHA-256 of the bytes served and the picture's dHash (hex), which a
    # takedown blocks; on `blocked#looks`, every blocked dHash.
    published = UnicodeAttribute(null=True)
    looks = UnicodeAttribute(null=True)
    hashes = UnicodeSetAttribute(null=True)
    # On `dataset#removals`: `<shard>/<id>` of taken-down conversations to remove from served snapshots.
    removals = UnicodeSetAttribute(null=True)


class QueueIndex(GlobalSecondaryIndex["CaseItem"]):
    class Meta:
        index_name = "queue"
        projection = AllProjection()
    queue_pk = UnicodeAttribute(hash_key=True)
    queue_sort = UnicodeAttribute(range_key=True)


class ModerationItem(Model):
    """The moderation table: report cases, their reporters, and the audit log (layout in keys.py)."""
    Meta = _meta("moderation")
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    kind = DiscriminatorAttribute()


class CaseItem(ModerationItem, discriminator="case"):
    """Everything reported about one target (a conversation, or one of its comments)."""
    conversation = UnicodeAttribute()
    comment = UnicodeAttribute(null=True)
    state = UnicodeAttribute()  # open, dismissed, actioned
    reporters = NumberAttribute(default=0)  # distinct clients, ever
    reasons = UnicodeAttribute()  # JSON {reason: distinct reporters}
    # JSON [[reason, note, contact or "", network, "1" if signed in], ...]: per reason the best 5 (moderation.py)
    notes = UnicodeAttribute(null=True)
    notes_dropped = NumberAttribute(null=True)  # notes that were not kept (the queue says how many)
    first = NumberAttribute()  # epoch ms of the first report since the case last opened
    severity = NumberAttribute()
    # What was reported, as stored when first reported (sanitized HTML): the queue shows it without a read.
    preview = UnicodeAttribute(null=True)
    owner = UnicodeAttribute(null=True)  # the target's owner's user key (conv#<sub> / comment#<sub>)
    # JSON {reason: {"networks": [network hashes], "accounts": n}}: who reported since the last decision,
    # what an automatic hold counts (a dismissal or restore starts it again); `decided`: that decision's ms.
    tally = UnicodeAttribute(null=True)
    decided = NumberAttribute(null=True)
    queue_pk = UnicodeAttribute(null=True)  # "open" while in the queue: a sparse index
    queue_sort = UnicodeAttribute(null=True)
    queue = QueueIndex()


class ReporterMark(ModerationItem, discriminator="mark"):
    """One reporter (a signed-in account, else a network: salted hashes) reported this target: it counts once,
    whatever it sends again."""


class AuditEntry(ModerationItem, discriminator="audit"):
    """One moderation action, appended and never changed (the Lambda role may not update or delete these)."""
    moderator = UnicodeAttribute()  # the moderator's sub
    moderator_name = UnicodeAttribute()
    at = NumberAttribute()
    conversation = UnicodeAttribute()
    comment = UnicodeAttribute(null=True)
    action = UnicodeAttribute()
    reason = UnicodeAttribute()
    reporters = NumberAttribute(default=0)


class SaveItem(ConversationItem, discriminator="save"):
    """One user's save of one conversation (part `~save#<sub>`)."""


class CommentItem(ConversationItem, discriminator="comment"):
    """A comment on one message (part `~comment#<id>`), or a reply (`~comment#<parent id>#<id>`)."""
    position = NumberAttribute()  # index of the message it is about
    author = UnicodeAttribute(null=True)  # user sub; absent once the author deleted their account (anonymized)
    author_name = UnicodeAttribute()
    content = UnicodeAttribute()  # as written (plain text / light Markdown)
    html = UnicodeAttribute()  # rendered and sanitized once, on write
    hidden = NumberAttribute(null=True)  # 1: removed by the moderators (the replies stay)
    replies = NumberAttribute(default=0)  # on top-level comments: how many replies hang under it


ALL_MODELS: list[type[Model]] = [ConversationMeta, SearchEntry, Counter, CaseItem]


_declaring = False


def create_tables() -> None:
    """Create every table (and the TTL setting) if missing: used by `make run`, tests and benchmarks."""
    for model in ALL_MODELS:
        if not model.exists():
            model.create_table(wait=True)
    Counter.update_ttl(ignore_update_ttl_errors=True)
