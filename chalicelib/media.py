"""Images in shared conversations: uploaded by the browser straight to S3, checked and published by create.

1. `request_upload`: the browser names an image by its SHA-256, size and type, and gets either "already
   published" or a presigned S3 POST for `uploads/<sha256>.<ext>`: exact key, exact type, exact size, five
   minutes. The bytes never pass through API Gateway or Lambda on the way in. uploads/ is private and its
   objects expire after a day (an S3 lifecycle rule), so an upload no conversation took costs nothing later.
2. `resolve` (create, before anything is stored): every referenced image is either published already (its
   reference counter says so) or uploaded. Uploads are checked by a ranged GET of their first bytes (is it the
   image type it claims?) before any is read whole; then each is read and its hash checked against its name.
   Its structure says what decoding it would cost (pixels.inspect: canvas, frames, scans), and the create's
   new images must fit one budget of decoded pixels before any is decoded. They are then re-encoded from their
   pixels alone (pixels.reencode: no metadata, no profile, upright), one after another in one forked child
   under a memory ceiling and the create's time budget (sandbox.run_each).
3. `publish` (create, after its transaction counted the references): the clean image goes to
   `media/<sha256>.<ext>`, public through the CDN, immutable; the upload is deleted.
Removal is references.release, when the last conversation showing an image goes.

Why strip on the server rather than in the browser: what we publish must have no metadata whatever client
sent it (a script calling the API, an old extension), and re-encoding also drops anything appended to an
image (a polyglot's HTML): the published bytes are only what Pillow decoded.
"""
from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any, NamedTuple

from . import keys, pixels, sandbox, settings
from .aws import s3
from .errors import ApiError
from .models import Counter
from .settings import MAX_IMAGE_BYTES

if TYPE_CHECKING:
    from .validation import CreateConversation, ImageBlock

TYPES = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp", "image/gif": "gif"}
CONTENT_TYPES = {ext: content_type for content_type, ext in TYPES.items()}
UPLOAD_SECONDS = 300
IMMUTABLE = "public, max-age=31536000, immutable"
# Decoding is what costs, and a create decodes every new image it shows. Its budget: the pixels the decoders
# will produce (every frame counted, known before any decoding from pixels.inspect), sized so that the
# costliest codec's worst case (~35 ms a megapixel to decode and encode again, WebP and GIF animations) stays
# near 2 s; real chat images are 1 to 3 MP, 20 of them fit. Then wall time and memory, enforced on the
# decoding child (sandbox.run_each) whatever a file hides from inspect. Production Lambda has 1,024 MB; the child
# may add IMAGE_MEMORY to what the parent holds, less where the function has less (dev: 512 MB).
CREATE_PIXELS = 60_000_000
IMAGE_SECONDS = 2.5
# How far (in bits of pixels.looks) a new picture may be from a taken-down one and still be refused: copies
# measured 0 to 2 apart (re-encoded at quality 89, one byte appended, half the size, PNG), 300 different
# pictures never closer than 11 (tests/test_pixels.py measures it again).
LOOKS_DISTANCE = 6
IMAGE_MEMORY = 768 * 2**20  # a 40 MP WebP needs ~700 MB to decode and encode


class Image(NamedTuple):
    """A referenced image as create knows it: where it is shown from, its size, and (when not published yet)
    the clean bytes to publish."""
    media_id: str
    width: int
    height: int
    size: int
    clean: bytes | None = None
    looks: int | None = None  # the clean picture's dHash (pixels.looks), for a new image

    @property
    def key(self) -> str:
        return keys.media_object(self.media_id)

    @property
    def published_hash(self) -> str | None:
        """The SHA-256 of the bytes the site serves (a takedown blocks them too: they are what a re-share
        downloads)."""
        return hashlib.sha256(self.clean).hexdigest() if self.clean is not None else None


def sniff(head: bytes) -> str | None:
    """The image type (extension) the first bytes say, whatever the name or a label claims."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


def _counter_key(media_id: str) -> str:
    return keys.references(keys.media_object(media_id))


def _published(counter: Any) -> bool:
    """Whether an image's reference counter says it is public: some conversation shows it, none is removing it."""
    return counter is not None and counter.state is None and int(counter.n or 0) > 0


def request_upload(sha256: str, size: int, content_type: str) -> dict[str, Any]:
    """{id, stored: true} when the image is published already, else {id, stored: false, upload: {url,
    fields, expiresIn}}: a presigned POST that accepts exactly these bytes' size and type at exactly one key."""
    media_id = f"{sha256}.{TYPES[content_type]}"
    # One read: is it published already, and did a takedown block these bytes?
    found = {c.key: c for c in Counter.batch_get([_counter_key(media_id), keys.blocked(media_id)],
                                                 consistent_read=True)}
    if keys.blocked(media_id) in found:
        raise _blocked("sha256")
    if _published(found.get(_counter_key(media_id))):
        return {"id": media_id, "stored": True}
    post = s3().generate_presigned_post(
        settings.get().bucket, keys.upload_object(media_id),
        Fields={"Content-Type": content_type},
        Conditions=[{"Content-Type": content_type}, ["content-length-range", size, size]],
        ExpiresIn=UPLOAD_SECONDS)
    # The bucket's own address (the policy, not the URL, is signed), which the pages' CSP names.
    return {"id": media_id, "stored": False,
            "upload": {"url": settings.get().upload_url, "fields": post["fields"], "expiresIn": UPLOAD_SECONDS}}


def _refuse(field: str, message: str, code: str = "invalid_image", status: int = 400) -> ApiError:
    return ApiError(status, code, message, field)


def _blocked(field: str) -> ApiError:
    return _refuse(field, "This image was removed by the moderators and cannot be shared again.", "blocked_media",
                   403)


def _image_blocks(request: CreateConversation) -> list[tuple[str, str, ImageBlock]]:
    """(media id, field path, block) of every image block that references an upload, in order."""
    found = []
    for index, message in enumerate(request.messages or []):
        if isinstance(message.content, list):
            for number, block in enumerate(message.content):
                if block.type == "image" and block.media:
                    found.append((block.media, f"messages.{index}.content.{number}.media", block))
    return found


def resolve(request: CreateConversation) -> dict[str, Image]:
    """Every image the request references, checked (400 naming the block otherwise); each image block gets
    the image's real width and height. Costs one BatchGetItem, then for images not yet published one ranged
    GET each, then one whole GET each."""
    cfg = settings.get()
    refs = _image_blocks(request)
    first_field: dict[str, str] = {}
    for media_id, field, _block in refs:
        first_field.setdefault(media_id, field)
    if len(first_field) > cfg.max_images:
        field = list(first_field.values())[cfg.max_images]
        raise _refuse(field, f"A conversation may show at most {cfg.max_images} images.", "too_many_images", 413)
    images: dict[str, Image] = {}
    if not first_field:
        return images
    counters = {c.key: c for c in Counter.batch_get([_counter_key(m) for m in first_field] +
                                                    [keys.blocked(m) for m in first_field], consistent_read=True)}
    for media_id, field in first_field.items():
        if keys.blocked(media_id) in counters:
            raise _blocked(field)
    pending: dict[str, int] = {}
    for media_id, field in first_field.items():
        counter = counters.get(_counter_key(media_id))
        if counter is not None and _published(counter) and counter.width:
            images[media_id] = Image(media_id, int(counter.width), int(counter.height), int(counter.size or 0))
        else:
            pending[media_id] = _check_upload(media_id, field)
    total = sum(image.size for image in images.values()) + sum(pending.values())
    if total > cfg.max_images_total_bytes:
        raise _refuse(next(iter(first_field.values())),
                      f"The images of a conversation may total at most {cfg.max_images_total_bytes // 2**20} MB.",
                      "images_too_large", 413)
    uploads = {media_id: _download(media_id, first_field[media_id]) for media_id in pending}
    shapes = {media_id: _inspect(data, media_id, first_field[media_id]) for media_id, data in uploads.items()}
    cleaned = _clean_uploads(uploads, shapes, first_field, _within_budget(shapes, first_field))
    _refuse_blocked_looks(cleaned, first_field)
    images.update(cleaned)
    for media_id, _field, block in refs:
        block.width, block.height = images[media_id].width, images[media_id].height
    return images


def _refuse_blocked_looks(images: dict[str, Image], fields: dict[str, str]) -> None:
    """403 for a new image whose bytes were taken down under another hash (the bytes the site served, or a
    re-encode), or whose picture is within LOOKS_DISTANCE of a taken-down one's: one read of the blocked
    hashes (one item: takedowns are rare; a lookup by parts of the hash is the way past 20,000 of them)."""
    if not images:
        return
    found = {c.key: c for c in Counter.batch_get(
        [keys.BLOCKED_LOOKS] + [keys.blocked(image.published_hash or "") for image in images.values()],
        consistent_read=True)}
    blocked_looks = [int(value, 16) for value in (found[keys.BLOCKED_LOOKS].hashes or ())] \
        if keys.BLOCKED_LOOKS in found else []
    for media_id, image in images.items():
        near = image.looks is not None and pixels.informative(image.looks) and any(
            pixels.distance(image.looks, other) <= LOOKS_DISTANCE for other in blocked_looks)
        if near or keys.blocked(image.published_hash or "") in found:
            raise _blocked(fields[media_id])


def _check_upload(media_id: str, field: str) -> int:
    """The upload's size, after its first bytes proved it the type its name says (a ranged GET: a 10 MB
    upload that is not an image costs 32 bytes of reading)."""
    cfg = settings.get()
    client = s3()
    try:
        answer = client.get_object(Bucket=cfg.bucket, Key=keys.upload_object(media_id), Range="bytes=0-31")
    except client.exceptions.NoSuchKey:
        raise _refuse(field, "This image was not uploaded (or its upload expired): POST /api/media, upload it, "
                             "then share again.", "image_not_uploaded") from None
    head = answer["Body"].read()
    size = int(str(answer.get("ContentRange", "")).rpartition("/")[2] or answer.get("ContentLength") or 0)
    if sniff(head) != media_id.rpartition(".")[2]:
        raise _refuse(field, "The upload is not the PNG, JPEG, WebP or GIF image its name says.")
    if size > MAX_IMAGE_BYTES:
        raise _refuse(field, f"An image may be at most {MAX_IMAGE_BYTES // 2**20} MB.", "image_too_large", 413)
    return size


def _download(media_id: str, field: str) -> bytes:
    data: bytes = s3().get_object(Bucket=settings.get().bucket, Key=keys.upload_object(media_id))["Body"].read()
    if hashlib.sha256(data).hexdigest() != media_id.partition(".")[0]:
        raise _refuse(field, "The upload's SHA-256 is not the one in its name.")
    return data


def _inspect(data: bytes, media_id: str, field: str) -> pixels.Shape:
    try:
        return pixels.inspect(data, media_id.rpartition(".")[2])
    except pixels.TooComplex as exc:
        raise _refuse(field, str(exc), "image_too_complex", 413) from None
    except ValueError as exc:
        raise _refuse(field, str(exc)) from None


def _within_budget(shapes: dict[str, pixels.Shape], fields: dict[str, str]) -> int:
    """Refuses (naming the image) before any decoding when the create's new images are more pixels than its
    budget or one needs more memory than a child may have; returns that memory."""
    memory = sandbox.spare_memory(IMAGE_MEMORY)
    work = 0
    for media_id, shape in shapes.items():
        work += shape.work
        if work > CREATE_PIXELS:
            raise _refuse(fields[media_id], f"The images of this conversation are too many pixels to process (at "
                          f"most {CREATE_PIXELS // 10**6} million, every frame counted): share fewer or smaller "
                          "images.", "image_too_complex", 413)
        if shape.memory > memory:
            raise _refuse(fields[media_id], f"The image needs about {shape.memory // 2**20} MB to process, over "
                          f"the {memory // 2**20} MB there is for it: share a smaller image.",
                          "image_too_complex", 413)
    return memory


def _clean_uploads(uploads: dict[str, bytes], shapes: dict[str, pixels.Shape], fields: dict[str, str],
                   memory: int) -> dict[str, Image]:
    """The uploads re-encoded, in order, in one confined child (a fork costs ~8 ms: one per create, not one
    per image): at most `memory` more bytes and IMAGE_SECONDS for all. A refusal names the image it is about."""
    order = list(uploads)
    if not order:  # all published already: no fork
        return {}

    def reencode(media_id: str) -> tuple[bytes, int, int]:
        ext = media_id.rpartition(".")[2]
        clean, width, height = pixels.reencode(uploads[media_id], ext, shapes[media_id].frames)
        # The picture's dHash rides after the bytes (the sandbox answers bytes and two numbers).
        return clean + pixels.looks(clean, ext).to_bytes(8, "big"), width, height

    pixels.prepare()
    images: dict[str, Image] = {}
    answers = sandbox.run_each(reencode, order, seconds=IMAGE_SECONDS, memory=memory,
                               answer_bytes=3 * MAX_IMAGE_BYTES + 8, passes=(pixels.TooComplex, ValueError))
    try:
        for media_id, (answer, width, height) in zip(order, answers, strict=False):
            clean, looks = answer[:-8], int.from_bytes(answer[-8:], "big")
            images[media_id] = Image(media_id, width, height, len(clean), clean, looks)
    except pixels.TooComplex as exc:
        raise _refuse(fields[order[len(images)]], str(exc), "image_too_complex", 413) from None
    except ValueError as exc:
        raise _refuse(fields[order[len(images)]], str(exc)) from None
    except sandbox.Exceeded:
        raise _refuse(fields[order[len(images)]], f"The images of this conversation take too long or too much "
                      f"memory to process (at most {IMAGE_SECONDS:g} s in all): share fewer or smaller images.",
                      "image_too_complex", 413) from None
    finally:
        answers.close()  # reaps the child if we stopped early
    return images


def publish(images: dict[str, Image]) -> None:
    """Put each newly checked image where it is served, then drop its upload (the original, with its
    metadata). Called once the create's transaction counted the references: no removal can run meanwhile."""
    cfg = settings.get()
    client = s3()
    for image in images.values():
        if image.clean is None:
            continue
        client.put_object(Bucket=cfg.bucket, Key=image.key, Body=image.clean,
                          ContentType=CONTENT_TYPES[image.media_id.rpartition(".")[2]], CacheControl=IMMUTABLE)
        client.delete_object(Bucket=cfg.bucket, Key=keys.upload_object(image.media_id))

