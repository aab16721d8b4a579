"""The data layout: every table's keys, and every key format, in this one place (the models are in models.py).

conversations (hash `id`, range `part`): one partition per conversation.
    `meta`                          title, counts, token hash... (ConversationMeta)
    `body`                          the compressed messages, or a pointer to S3 when too big and the card's
                                    excerpt (ConversationBody)
    `~comment#<id>`                 a comment; `~comment#<parent id>#<id>` a reply (CommentItem)
    `~save#<sub>`                   one person's save (SaveItem)
  `body` < `meta` < `~...`, so the conversation read (`part <= "meta"`) never touches saves or comments, and
  `part between meta and ~comment#\\uffff` reads meta with the comments but no saves.
  Only public meta items carry `list_pk` = "public", which keeps the `new` (by `created`) and `top` (by `views`)
  GSIs sparse: unlisted conversations can never appear in a listing. Public ones from a known assistant also
  carry `source_pk` = `public#<source>`, the sparse `by_source` GSI (by `created`): Explore by assistant.
  Items a person owns carry `user_key`: `conv#<sub>` (shared while signed in), `save#<sub>`, `comment#<sub>`;
  one sparse `by_user` GSI (sorted by `created`) serves /mine, /saved and account deletion.
  `~removed`                      a moderators' takedown's tombstone (RemovedItem): the id answers 410, is
                                  never drawn again, and its owner's `user_key` shows the statement in /mine.
  A conversation the moderators hold out of listings carries `held` (the reason) on `meta`.
  A conversation donated to the open dataset carries `dataset_pk` = `dataset#<shard>` on `meta` (the sparse
  `dataset` GSI, by `donated` ms): the snapshot job reads one shard per Query. The shard is of the
  conversation's text (`dataset_shard`, kept after a withdrawal), so near-duplicates share one shard.
moderation (hash `pk`, range `sk`):
    `case#<id>#<comment id or ->` / `case`       what was reported about one target (CaseItem); while open it
                                                 carries `queue_pk` = "open" and `queue_sort` = `<severity>#
                                                 <99999 - reporters>#<first report ms>`, the sparse `queue`
                                                 GSI: one Query per page of the moderators' queue
    `case#<id>#<comment id or ->` / `by#<client>` one client reported it (ReporterMark): it counts once, ever
    `audit` / `<ms, 13 digits>#<random>`         one moderation action (AuditEntry), appended only: the Lambda
                                                 role is denied UpdateItem and DeleteItem on this partition
search (hash `word`, range `sort` = `<created ms, 13 digits>#<id>`): one entry per (title word, public
  conversation), queried by word, newest first.
counters (hash `key`, TTL `expires`): `rl#<scope>#<client>#<window>` rate-limit windows,
  `cdnlog#<log file key>` the claim of a CDN access-log file by the view fold (each file counts once),
  `revoked#<sub>` ended sessions, `blocked#<sha256>` an image hash a takedown blocked (a create or upload
  request with those bytes is refused), `takedowns#<sub>` how many of a person's conversations were taken
  down (shown beside their cases in the queue), `stats#public`, the count of public conversations, and
  `refs#<S3 key>`, how many conversations use an avatar or an image (`state` "deleting" while the last one
  removes it; an image's counter also keeps its width, height and size), `cleanup#<id>`, what the removal
  of a conversation still has to do outside the tables (S3 objects, shared objects, CDN paths: cleanup.py),
  and `cdn#pending`, the durable queue the five-minute job drains: the paths CloudFront refused to invalidate
  and the conversations whose cleanup did not finish; for the open dataset, `dataset#removals` (the
  `<shard>/<id>` to rewrite out of served snapshots), `dataset#run#<day>` (a snapshot's shards done, then its
  figures) and `dataset#part#<day>#<shard>` (one shard's figures).
S3: `avatars/<sha256>.<ext>` (content-addressed), `bodies/<id>/<random>.json.z` (oversized bodies),
  `uploads/<sha256>.<ext>` (an image as its sharer's browser uploaded it: private, expires after a day),
  `media/<sha256>.<ext>` (the published image, metadata stripped; the hash is of the upload), and
  `cards/<id>/<sha256 prefix>.png` (a conversation's link-preview card), `pages/c/<id>` (the conversation's
  published page, HTML), and locally `cdn-logs/` (the W3C access-log files `make run` writes as CloudFront would;
  deployed, CloudFront writes them to the stage's log bucket), `views/seen/<hour>.json.gz` (which clients
  the view fold counted for which conversation in that hour, as salted hashes), `views/journal/<batch>.json.gz`
  (a fold's batch, until it is done) and `views/pending.json.gz` (views counted and not yet added, when they
  are added every few hours: counts per conversation, nothing of a client). avatars/, media/, cards/ and
  pages/ are public through the CDN; uploads/, bodies/, views/ and logs never are. `dataset/<day>/` holds a
  snapshot of the open dataset (Parquet shards and README.md) and `dataset/latest.json` names the latest: public.

Plain functions of plain values: importing this module costs nothing (rate limits load it on every write).
"""
from __future__ import annotations

META = "meta"
BODY = "body"
SAVE_PREFIX = "~save#"
COMMENT_PREFIX = "~comment#"
# Past every comment part, before the first save ("~s" > "~c").
COMMENTS_END = COMMENT_PREFIX + "\uffff"
PUBLIC = "public"
PUBLIC_COUNT = "stats#public"
FOLD_LEASE = "views#lease"  # held by the one view fold running (views.py)
FOLD_JOURNAL = "views#journal"  # names the batch a fold counted and has not finished applying (views.py)
CDN_PENDING = "cdn#pending"
# The open dataset (dataset.py): `DATASET_SHARDS` Parquet shards a snapshot, by the donation's text (64: at
# 1M donations, ~16,000 rows a shard, one worker's few minutes); `dataset#removals` lists the `<shard>/<id>`
# of conversations removed or held whose served shards the quarter-hourly job rewrites without them.
DATASET_SHARDS = 64
DATASET_REMOVALS = "dataset#removals"
DATASET_PREFIX = "dataset/"
DATASET_LATEST = "dataset/latest.json"


def dataset_shard(digest: str) -> int:
    """The snapshot shard of a donation whose text hashes to `digest` (hex)."""
    return int(digest[:8], 16) % DATASET_SHARDS


def dataset_run(day: str) -> str:
    """The counters item of a day's snapshot: the shards done (`conversations`), then its figures (`state`)."""
    return f"dataset#run#{day}"


def dataset_part(day: str, shard: int) -> str:
    """The counters item of one shard of a day's snapshot: its figures (`state`, JSON)."""
    return f"dataset#part#{day}#{shard:02d}"


def dataset_list(shard: int) -> str:
    return f"dataset#{shard:02d}"


def dataset_object(day: str, name: str) -> str:
    """A snapshot's file: `dataset/<YYYY-MM-DD>/<name>` (shards, README.md)."""
    return f"{DATASET_PREFIX}{day}/{name}"


def dataset_shard_name(shard: int) -> str:
    return f"data/train-{shard:05d}-of-{DATASET_SHARDS:05d}.parquet"


def cleanup(conversation_id: str) -> str:
    """The counters item naming what a conversation's removal still has to do outside the tables."""
    return f"cleanup#{conversation_id}"


def owner(user_sub: str) -> str:
    """The `user_key` of a conversation `user_sub` shared while signed in."""
    return f"conv#{user_sub}"


def saver(user_sub: str) -> str:
    """The `user_key` of `user_sub`'s saves."""
    return f"save#{user_sub}"


def commenter(user_sub: str) -> str:
    """The `user_key` of `user_sub`'s comments."""
    return f"comment#{user_sub}"


def save_part(user_sub: str) -> str:
    return SAVE_PREFIX + user_sub


def comment_part(comment_id: str, parent_id: str | None = None) -> str:
    return COMMENT_PREFIX + (f"{parent_id}#{comment_id}" if parent_id else comment_id)


def comment_path(part: str) -> list[str]:
    """[id] of a comment, [parent id, id] of a reply, from its part."""
    return part[len(COMMENT_PREFIX):].split("#")


def search_sort(created_ms: int, conversation_id: str) -> str:
    return f"{created_ms:013d}#{conversation_id}"


def search_entry(word: str, sort: str) -> str:
    """A search entry named on a removal's cleanup item (a title word holds no space)."""
    return f"{word} {sort}"


def search_entry_key(entry: str) -> tuple[str, str]:
    word, _, sort = entry.partition(" ")
    return word, sort


def rate_window(scope: str, client: str, window: int) -> str:
    return f"rl#{scope}#{client}#{window}"


# The assistants a conversation can come from (what the extension's readers send as `source`), and their names.
SOURCES = {"chatgpt": "ChatGPT", "claude": "Claude", "deepseek": "DeepSeek", "gemini": "Gemini", "grok": "Grok",
           "perplexity": "Perplexity"}


def source_list(source: str | None) -> str | None:
    """The `by_source` index key of a public conversation from a known assistant (None for any other)."""
    return f"public#{source}" if source in SOURCES else None


REMOVED = "~removed"
OPEN = "open"
AUDIT = "audit"
CASE = "case"


def case(conversation_id: str, comment_id: str | None = None) -> str:
    """The moderation partition of one reported target."""
    return f"case#{conversation_id}#{comment_id or '-'}"


def reporter(client: str) -> str:
    return f"by#{client}"


def queue_sort(severity: int, reporters: int, first_ms: int) -> str:
    """Most severe first, then most reporters, then oldest: the queue index sorts ascending."""
    return f"{severity}#{99999 - min(reporters, 99999):05d}#{first_ms:013d}"


def audit_sort(at_ms: int, nonce: str) -> str:
    return f"{at_ms:013d}#{nonce}"


def takedowns(user_key: str) -> str:
    """How many of a person's conversations the moderators took down (`conv#<sub>` -> `takedowns#<sub>`)."""
    return f"takedowns#{user_key.split('#', 1)[-1]}"


# The perceptual hashes (pixels.looks, hex) of taken-down images: one counters item, a string set.
BLOCKED_LOOKS = "blocked#looks"


def blocked(media_id: str) -> str:
    """An image's bytes a takedown blocked, by their hash (the media id without its extension)."""
    return f"blocked#{media_id.split('.', 1)[0]}"


def revoked(user_sub: str) -> str:
    return f"revoked#{user_sub}"


def body_object(conversation_id: str, nonce: str) -> str:
    """S3 key of an oversized body; the random `nonce` keeps a colliding id from overwriting another body."""
    return f"bodies/{conversation_id}/{nonce}.json.z"


def avatar_object(digest: str, extension: str) -> str:
    return f"avatars/{digest}.{extension}"


def references(object_key: str) -> str:
    """The counter of conversations using a shared S3 object (an avatar): the object goes with the last one."""
    return f"refs#{object_key}"


# A media id: the uploaded bytes' SHA-256 and their type, as POST /api/media hands it out.
MEDIA_ID = r"^[0-9a-f]{64}\.(png|jpg|webp|gif)$"


def upload_object(media_id: str) -> str:
    """Where a browser uploads an image (`<sha256>.<ext>`): private, with its metadata, gone within a day."""
    return f"uploads/{media_id}"


def media_object(media_id: str) -> str:
    """Where the published image (`<sha256 of the upload>.<ext>`) is served from."""
    return f"media/{media_id}"


def page_object(conversation_id: str) -> str:
    """A conversation's published page: the CDN serves /c/<id> from it (the stage bucket's `pages/` origin)."""
    return f"pages/c/{conversation_id}"


CDN_LOGS = "cdn-logs/"


def site_object(name: str) -> str:
    """The bucket key of a root file of the site (`/favicon.ico`, `/robots.txt`), served by CloudFront."""
    return f"site/{name}"


def log_claim(log_key: str) -> str:
    """The counters item that says a CDN log file was folded into the view counts (once, ever)."""
    return f"cdnlog#{log_key}"


def card_object(conversation_id: str, digest: str) -> str:
    """A conversation's link-preview card (its URL's path; drawn on request, not stored since issue 34): a new
    title makes a new URL."""
    return f"cards/{conversation_id}/{digest[:16]}.png"


def card_object_named(conversation_id: str, name: str) -> str | None:
    """The card object a request's file name would be (`<16 hex>.png`), or None for a name no card has."""
    if len(name) != 20 or not name.endswith(".png") or any(c not in "0123456789abcdef" for c in name[:16]):
        return None
    return f"cards/{conversation_id}/{name}"
