"""DynamoDB tables, declared once with PynamoDB and used by production, `make run` and tests alike.

- conversations: per conversation a small `meta` item (title, counts, token hash...) and a `body`
  item (the compressed messages, or a pointer to S3 when too big), under one partition key so a
  single Query reads both. Only public meta items carry `list_pk`, which keeps the New and Top
  GSIs sparse: unlisted conversations can never appear in a listing.
  Saves (`~save#<user>`) and comments (`~comment#<id>`, replies `~comment#<parent>#<id>`) live in the
  same partition, sorted after `meta` so the conversation read (`part <= "meta"`) never touches them and
  deleting a conversation finds them with the same key. Items a user owns carry `user_key`
  (`conv#<sub>`, `save#<sub>`, `comment#<sub>`): one sparse `by_user` GSI serves /mine, saved
  conversations and account deletion.
- search: one item per (title word, conversation), queried by word, newest first.
- counters: short-lived keys with a TTL (rate-limit windows, view de-duplication) and totals.
- views: pending view counts, sharded per conversation, folded into `meta.views` by the roll-up.
"""
from __future__ import annotations

from pynamodb.attributes import (BinaryAttribute, DiscriminatorAttribute, NumberAttribute,
                                 TTLAttribute, UnicodeAttribute, UnicodeSetAttribute)
from pynamodb.indexes import GlobalSecondaryIndex, IncludeProjection
from pynamodb.models import Model

from . import settings

_cfg = settings.get()
PUBLIC = "public"
# What a list row needs, besides each index's own keys (DynamoDB refuses key attributes in NonKeyAttributes).
# `kind` too: PynamoDB filters polymorphic queries on it, so an index without it returns nothing.
ROW_ATTRIBUTES = ["kind", "title", "avatar_key", "saves", "comments"]


def _meta(name: str) -> type:
    class Meta:
        table_name = _cfg.table(name)
        region = _cfg.region
        host = _cfg.aws_endpoint
        billing_mode = "PAY_PER_REQUEST"
        connect_timeout_seconds = _cfg.aws_connect_timeout
        read_timeout_seconds = _cfg.aws_read_timeout
        max_retry_attempts = _cfg.aws_max_attempts - 1  # retries after the first attempt
    return Meta


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


class UserIndex(GlobalSecondaryIndex["ConversationItem"]):
    class Meta:
        index_name = "by_user"
        projection = IncludeProjection(ROW_ATTRIBUTES + ["views", "visibility"])
    user_key = UnicodeAttribute(hash_key=True)
    created = NumberAttribute(range_key=True)


# Parts of a conversation's partition; saves and comments sort after "meta" ("~" follows the letters).
META, BODY, SAVE_PREFIX, COMMENT_PREFIX = "meta", "body", "~save#", "~comment#"


class ConversationItem(Model):
    Meta = _meta("conversations")
    id = UnicodeAttribute(hash_key=True)
    part = UnicodeAttribute(range_key=True)
    kind = DiscriminatorAttribute()
    created = NumberAttribute(null=True)  # epoch ms: the conversation's creation, or when saved / commented
    user_key = UnicodeAttribute(null=True)  # "<what>#<user sub>" on items a user owns, absent otherwise
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
    body_key = UnicodeAttribute(null=True)  # S3 key of an oversized body, to delete it with the rest
    # Bumped by every owner edit: edits and deletes are conditional on the version they read, so two
    # racing edits cannot leave search entries of a title or visibility that lost (absent: never edited).
    version = NumberAttribute(null=True)
    new_index = NewIndex()
    top_index = TopIndex()


class ConversationBody(ConversationItem, discriminator="body"):
    data = BinaryAttribute(null=True, legacy_encoding=False)  # zlib-compressed JSON
    s3_key = UnicodeAttribute(null=True)  # set instead of data when the body is too big for an item


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


class ViewShard(Model):
    Meta = _meta("views")
    id = UnicodeAttribute(hash_key=True)
    shard = NumberAttribute(range_key=True)
    n = NumberAttribute(default=0)


class SaveItem(ConversationItem, discriminator="save"):
    """One user's save of one conversation (part `~save#<sub>`)."""


class CommentItem(ConversationItem, discriminator="comment"):
    """A comment on one message (part `~comment#<id>`), or a reply (`~comment#<parent id>#<id>`)."""
    position = NumberAttribute()  # index of the message it is about
    author = UnicodeAttribute(null=True)  # user sub; absent once the author deleted their account (anonymized)
    author_name = UnicodeAttribute()
    content = UnicodeAttribute()  # as written (plain text / light Markdown)
    html = UnicodeAttribute()  # rendered and sanitized once, on write
    replies = NumberAttribute(default=0)  # on top-level comments: how many replies hang under it


ALL_MODELS: list[type[Model]] = [ConversationMeta, SearchEntry, Counter, ViewShard]


def create_tables() -> None:
    """Create every table (and the TTL setting) if missing: used by `make run`, tests and benchmarks."""
    for model in ALL_MODELS:
        if not model.exists():
            model.create_table(wait=True)
    Counter.update_ttl(ignore_update_ttl_errors=True)
