"""The request schema of POST /api/conversations, and the translation of its errors to ours.

Two shapes are accepted: the original ShareGPT payload (`items` of `{from, value}`, gpt values
being HTML from the chat page) and the richer one (`messages` of `{role, content}` in Markdown).
"""
from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema

from .errors import ApiError, bad_request
from .keys import MEDIA_ID
from .settings import MAX_COMMENT_CHARS, MAX_IMAGE_BYTES

EARLIEST_START = datetime(2015, 1, 1, tzinfo=timezone.utc)


class SeedItem(BaseModel):
    """One turn in the original ShareGPT shape."""
    model_config = ConfigDict(populate_by_name=True, extra="ignore")
    from_: Literal["human", "gpt"] = Field(alias="from")
    value: str


# ---------------------------------------------------------------- content blocks of a structured turn

_LANGUAGE = r"^[A-Za-z0-9_+#.-]{1,40}$"


class _Block(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TextBlock(_Block):
    """Markdown (plain text in a user turn); TeX between \\( \\), \\[ \\], $$ $$ or $ $ becomes MathML."""
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"type": "text", "text": "The roots are $x = \\frac{-b \\pm \\sqrt{b^2-4ac}}{2a}$ [(Wikipedia)](https://en.wikipedia.org/)."}]})
    type: Literal["text"]
    text: str
    spoken: bool = Field(False, description="A voice transcript.")


class ReasoningBlock(_Block):
    """The reasoning summary the chat showed, collapsed."""
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"type": "reasoning", "title": "Thought for 12 s", "text": "**Checking the units.** Both sides are metres."}]})
    type: Literal["reasoning"]
    title: str | None = Field(None, max_length=200)
    text: str = ""


class CodeBlock(_Block):
    """Code the assistant ran, with its visible output, collapsed."""
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"type": "code", "language": "python", "code": "sum(range(10))", "output": "45"}]})
    type: Literal["code"]
    language: str | None = Field(None, pattern=_LANGUAGE)
    code: str
    output: str | None = Field(None, description="Text the run printed or returned.")


class ToolLink(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(max_length=2000)
    title: str | None = Field(None, max_length=300)


class ToolBlock(_Block):
    """Another tool step worth showing, in one line (with the links it found), collapsed."""
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"type": "tool", "title": "Searched the web: quadratic formula",
         "links": [{"url": "https://en.wikipedia.org/wiki/Quadratic_formula", "title": "Quadratic formula"}]}]})
    type: Literal["tool"]
    title: str = Field(min_length=1, max_length=500)
    links: list[ToolLink] = Field(default_factory=list, max_length=50)


class DocumentBlock(_Block):
    """A canvas document or an artifact, in its final version."""
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"type": "document", "title": "Trip plan", "format": "markdown", "content": "# Day 1\n\nLisbon."}]})
    type: Literal["document"]
    title: str = Field("Document", max_length=300)
    format: Literal["markdown", "code"] = "markdown"
    language: str | None = Field(None, pattern=_LANGUAGE)
    content: str


class ImageBlock(_Block):
    """An image: `media` is the id POST /api/media answered, once the bytes are uploaded (the server checks the
    upload, strips its metadata and sets `width` and `height` from it). Without `media`, a named placeholder."""
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"type": "image", "name": "IMG_2041.jpeg",
         "media": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08.jpg"},
        {"type": "image", "name": "IMG_2041.jpeg", "width": 1536, "height": 2048}]})
    type: Literal["image"]
    name: str = Field("image", max_length=300)
    media: str | None = Field(None, pattern=MEDIA_ID, description="`<sha256>.<png|jpg|webp|gif>` from POST /api/media.")
    alt: str | None = Field(None, max_length=1000, description="What the image shows (defaults to its name).")
    width: int | None = Field(None, ge=1, le=100_000)
    height: int | None = Field(None, ge=1, le=100_000)


class FileBlock(_Block):
    """An attachment chip: name, type and size. Never the file's content."""
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"type": "file", "name": "report.pdf", "mimeType": "application/pdf", "size": 482113}]})
    type: Literal["file"]
    name: str = Field(min_length=1, max_length=300)
    mimeType: str | None = Field(None, max_length=100)
    size: int | None = Field(None, ge=0, le=10**12)


Block = Annotated[TextBlock | ReasoningBlock | CodeBlock | ToolBlock | DocumentBlock | ImageBlock | FileBlock,
                  Field(discriminator="type")]
BLOCK_TYPES = ("text", "reasoning", "code", "tool", "document", "image", "file")
MAX_BLOCKS = 500


class Message(BaseModel):
    """One visible turn in the rich shape: `content` is Markdown (user turns are shown as plain text), or the
    turn's blocks in order (everything the assistant did between two user turns is one message)."""
    model_config = ConfigDict(extra="ignore")
    role: Literal["user", "assistant", "system", "tool"]
    content: str | list[Block] = Field(union_mode="left_to_right")

    @model_validator(mode="after")
    def _bounded(self) -> Message:
        if isinstance(self.content, list) and not 0 < len(self.content) <= MAX_BLOCKS:
            raise ValueError(f"content must hold 1 to {MAX_BLOCKS} blocks")
        return self


def _one_of_items_or_messages(schema: dict) -> None:
    """The documented body: exactly one of `items` or `messages`, a non-empty array (never null)."""
    for name in ("items", "messages"):
        field = schema["properties"][name]
        array = next(option for option in field.pop("anyOf") if option.get("type") == "array")
        field.pop("default", None)
        field.update(array)
    schema["oneOf"] = [{"required": ["items"]}, {"required": ["messages"]}]


DATASET_LICENSES = ("CC0-1.0", "CC-BY-4.0")


class DatasetConsent(BaseModel):
    """A donation to the open dataset: public in its daily snapshots (downloadable, used to train and study
    models), scrubbed of e-mail addresses, phone numbers, IP addresses, card numbers and secrets first (not of
    names or street addresses), 24 hours after it is given; withdrawable from later snapshots at any time."""
    # The schema says what the check below does: an attribution only with CC-BY-4.0.
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"license": "CC-BY-4.0", "attribution": "Ada L."}, {"license": "CC0-1.0"}],
        "if": {"properties": {"license": {"const": "CC0-1.0"}}}, "then": {"not": {"required": ["attribution"]}}})
    license: Literal["CC0-1.0", "CC-BY-4.0"] = Field(description="SPDX identifier of the license it is given under.")
    attribution: str | None = Field(None, min_length=1, max_length=100, pattern=r"\S",
                                    description="With CC-BY-4.0: the name to credit (none: credited as anonymous).")

    @field_validator("attribution")
    @classmethod
    def _one_line(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = " ".join(value.split())
        if not value:
            raise ValueError("an attribution is a name: leave it out to be credited as anonymous")
        return value

    @model_validator(mode="after")
    def _only_with_by(self) -> DatasetConsent:
        if self.attribution is not None and self.license != "CC-BY-4.0":
            raise ValueError("an attribution goes with CC-BY-4.0 only: CC0-1.0 asks for none")
        return self


class CreateConversation(BaseModel):
    """Body of POST /api/conversations: exactly one of `items` or `messages`."""
    model_config = ConfigDict(extra="ignore", json_schema_extra=_one_of_items_or_messages)
    title: str | None = Field(None, max_length=2000)
    model: str | None = Field(None, max_length=200)
    source: str | None = Field(None, max_length=200)
    visibility: Literal["unlisted", "public"] = "unlisted"
    avatarUrl: str | None = None
    startedAt: AwareDatetime | None = Field(None, description="When the conversation began on its site (ISO 8601 "
                                            "with a time zone), shown beside the share date; between 2015 and now.")
    items: list[SeedItem] | None = Field(None, json_schema_extra={"minItems": 1, "maxItems": 2000})
    messages: list[Message] | None = Field(None, json_schema_extra={"minItems": 1, "maxItems": 2000})
    dataset: DatasetConsent | None = Field(None, description="Also donate it to the open dataset (off unless sent).")

    @field_validator("startedAt", mode="before")
    @classmethod
    def _written_as_a_date(cls, value: Any) -> Any:
        if value is not None and not isinstance(value, str):  # a bare number could be seconds or ms: say which
            raise ValueError("write the date as ISO 8601 text, such as 2023-03-14T09:30:00Z")
        return value

    @field_validator("startedAt")
    @classmethod
    def _a_real_date(cls, value: datetime | None) -> datetime | None:
        if value is not None and not EARLIEST_START <= value <= datetime.now(timezone.utc) + timedelta(days=1):
            raise ValueError("a conversation begins between 2015 and now")
        return value

    @model_validator(mode="after")
    def _one_shape(self) -> CreateConversation:
        if self.items is not None and self.messages is not None:
            raise ValueError("send either `items` or `messages`, not both")
        for name in ("items", "messages"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"`{name}` must be an array of turns, not null")
        return self


class MediaUpload(BaseModel):
    """Body of POST /api/media: the image about to be uploaded, named by its content."""
    model_config = ConfigDict(extra="forbid")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the bytes, lowercase hex.")
    # Strict: 1e3 (a float) and true (a bool) are not a count of bytes, whatever Python would make of them.
    size: StrictInt = Field(ge=1, le=MAX_IMAGE_BYTES, description="Bytes: at most 10 MB, written as an integer "
                                                                 "(1000, not 1e3 or 1000.0).")
    contentType: Literal["image/png", "image/jpeg", "image/webp", "image/gif"]


class MediaUploadResponse(BaseModel):
    id: str = Field(description="Reference it as an image block's `media`.")
    stored: bool = Field(description="True: published already, nothing to upload.")
    upload: dict[str, Any] | None = Field(None, description="When not stored: POST `fields` then the file as "
                                                             "multipart/form-data to `url` within `expiresIn` s.")


class UpdateConversation(BaseModel):
    """Body of PATCH /api/conversations/{id} (owner only): what to change; what is left out stays."""
    # At least one field, none of them null: the schema says so, and the check below holds to it.
    model_config = ConfigDict(extra="forbid", json_schema_extra={"minProperties": 1})
    # The bound on the text, not the union: pydantic applies a union-wide max_length to null too (a TypeError).
    title: Annotated[str, Field(max_length=2000)] | SkipJsonSchema[None] = None
    visibility: Literal["unlisted", "public"] | SkipJsonSchema[None] = None
    comments: StrictBool | SkipJsonSchema[None] = None  # false: comments off (kept, shown only to the owner)
    dataset: DatasetConsent | None = Field(None, description="Donate it to the open dataset (or change the "
                                           "license); `null` withdraws it from every later snapshot.")

    @model_validator(mode="after")
    def _something(self) -> UpdateConversation:
        nullable = {"dataset"}
        if not self.model_fields_set or any(getattr(self, name) is None
                                            for name in self.model_fields_set - nullable):
            raise ValueError("send `title`, `visibility`, `comments`, `dataset` or several (only `dataset` "
                             "may be null)")
        return self


class HeldKey(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(max_length=32)
    token: str = Field(max_length=200, description="The delete key the create answered.")


class KeyCheck(BaseModel):
    """Body of POST /api/keys: the delete keys a browser holds, to learn which still hold a conversation."""
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"keys": [{"id": "aB3dE5f", "token": "k3y-from-the-create-answer"}]}]})
    keys: list[HeldKey] = Field(max_length=50)


class HeldConversation(BaseModel):
    id: str
    title: str
    visibility: Literal["unlisted", "public"]
    dataset: Literal["CC0-1.0", "CC-BY-4.0"] | None = Field(description="The license it is donated to the open "
                                                                         "dataset under; null: not donated.")


class KeysHeld(BaseModel):
    held: list[HeldConversation] = Field(description="The key is the conversation's: its current title and "
                                                     "visibility.")
    removed: list[str] = Field(description="Taken down by the moderators.")
    gone: list[str] = Field(description="Deleted, or never shared.")


class CreateComment(BaseModel):
    """Body of POST /api/conversations/{id}/comments: plain text or light Markdown on one message."""
    model_config = ConfigDict(extra="forbid")
    position: int = Field(ge=0, le=100_000, description="Index of the message (from 0) the comment is about.")
    content: str = Field(min_length=1, max_length=MAX_COMMENT_CHARS)
    parentId: str | None = Field(None, description="Reply to this top-level comment (one level deep).")

    @model_validator(mode="after")
    def _not_blank(self) -> CreateComment:
        if not self.content.strip():
            raise ValueError("content must not be blank")
        return self


EMAIL_PATTERN = r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{1,63}$"


class Credentials(BaseModel):
    """Sign-in form."""
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)
    email: str = Field(max_length=320, pattern=EMAIL_PATTERN)
    password: str = Field(min_length=1, max_length=256)


class SignUp(Credentials):
    """Sign-up form; Cognito applies the pool's password policy on top of the length here."""
    password: str = Field(min_length=8, max_length=256)
    name: str = Field(min_length=1, max_length=40, description="Shown on your comments.")


class PasswordReset(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)
    email: str = Field(max_length=320, pattern=EMAIL_PATTERN)
    code: str | None = Field(None, max_length=100)
    password: str | None = Field(None, min_length=8, max_length=256)


class Donated(BaseModel):
    """A donation to the open dataset, as its owner reads it."""
    license: Literal["CC0-1.0", "CC-BY-4.0"]
    attribution: str | None
    donatedAt: str = Field(description="When it was given (ISO 8601).")
    includedFrom: str = Field(description="The first moment a snapshot may hold it: its cooling-off day ends.")


class CreatedResponse(BaseModel):
    id: str
    url: str
    shortUrl: str
    deleteToken: str = Field(description="Shown once; send it as `Authorization: Bearer <token>` to delete.")
    dataset: Donated | None = Field(None, description="Present when it was donated to the open dataset.")


class DonationPreview(BaseModel):
    """For its owner: the donation's state and the row the open dataset would publish, scrubbed."""
    dataset: Donated | None = Field(description="null: not donated (the preview shows what a donation would hold).")
    row: dict[str, Any] = Field(description="The snapshot's row: id, source, model, created, license, "
                                            "attribution, title, messages (typed blocks), conversations (from/value).")
    scrubbed: dict[str, int] = Field(description="Placeholders put in, by kind (EMAIL, PHONE, IP, CARD, SECRET).")


class ConversationRow(BaseModel):
    id: str
    title: str
    avatar: str
    saves: int
    comments: int
    views: int
    createdAt: str
    commentsOff: bool | None = Field(None, description="True when its owner turned comments off (in your saves; "
                                                       "other lists leave it out).")


class RenderedMessage(BaseModel):
    role: Literal["user", "assistant", "system", "tool"]
    html: str = Field(description="The whole turn, sanitized.")
    content: str | list[Block] | None = Field(None, description="As shared: Markdown, or the turn's blocks.")


class SeedItemOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    from_: str = Field(alias="from")
    value: str


class Conversation(BaseModel):
    id: str
    title: str
    model: str | None
    source: str | None
    avatar: str
    card: str | None = Field(description="The link-preview card (1200×630 PNG); null for conversations shared "
                                         "before cards existed.")
    createdAt: str
    startedAt: str | None = Field(None, description="When the conversation began on its site, if it said.")
    views: int
    saves: int
    comments: int
    visibility: Literal["unlisted", "public"] = Field(description="`unlisted` also while the moderators keep it out "
                                                                 "of every listing.")
    commentsOff: bool = Field(False, description="Its owner turned comments off.")
    messages: list[RenderedMessage]
    items: list[SeedItemOut]


class ErrorDetail(BaseModel):
    code: str
    message: str
    field: str | None = None


class ErrorResponse(BaseModel):
    error: ErrorDetail


def _child(node: object, part: object) -> tuple[bool, Any]:
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return True, node[part]
    if isinstance(node, dict) and isinstance(part, str) and part in node:
        return True, node[part]
    return False, None


def _error_path(error: Any, data: object) -> str | None:
    """Where an error is, as a path into the body (`messages.4.content.2.type`): pydantic's location also
    names union branches (`str`, `list[...]`) and block tags, which are not in the body, so the path keeps
    only the keys and indexes the body has."""
    parts: list[str] = []
    node = data
    loc = [p for p in error["loc"] if p != "__root__"]
    for index, part in enumerate(loc):
        if index and isinstance(loc[index - 1], int) and isinstance(node, dict) and part == node.get("type"):
            continue  # the tag pydantic names after a block's index (a block "code" has a field "code" too)
        found, child = _child(node, part)
        if found:
            node = child
        elif index == len(loc) - 1 and error["type"] == "missing":
            parts.append(str(part))
            break
        else:
            continue  # a union branch or a block's tag: not in the body
        parts.append(str(part))
    if error["type"] in ("union_tag_invalid", "union_tag_not_found"):
        parts.append("type")
    return ".".join(parts) or None


def _first_error(errors: list[Any]) -> Any:
    """The error to report: a list of blocks is not also reported as "not a string"."""
    for error in errors:
        if not any(part == "str" for part in error["loc"]):
            return error
    return errors[0]


_MESSAGES = {"missing": "is required"}


M = TypeVar("M", bound=BaseModel)


def parse_model(model: type[M], data: object) -> M:
    """Validate `data` against `model`, raising ApiError(400, "invalid_field") naming the first bad field."""
    if not isinstance(data, dict):
        raise bad_request("The body must be a JSON object.", code="invalid_json")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = _first_error(exc.errors(include_url=False))
        field = _error_path(first, data)
        message = _MESSAGES.get(first["type"], first["msg"])
        if first["type"] == "string_pattern_mismatch" and field == "email":
            message = "is not a valid email address"
        if first["type"] in ("union_tag_invalid", "union_tag_not_found"):
            message = "type must be one of: " + ", ".join(BLOCK_TYPES)
        raise ApiError(400, "invalid_field", f"{field or 'body'}: {message}", field) from None


# JSON may spell a lone UTF-16 surrogate ("\ud800"); Python decodes it, but no UTF-8 can carry it, so a
# stored one made every later read of the conversation fail. Text is refused unless it is well-formed.
_SURROGATE_RE = re.compile("[\ud800-\udfff]")


def _check_unicode(data: object) -> None:
    """Refuse any string (or object key) holding a lone surrogate, naming where; iterative, so depth is free."""
    stack: list[tuple[object, str]] = [(data, "")]
    while stack:
        value, path = stack.pop()
        if isinstance(value, str):
            if _SURROGATE_RE.search(value):
                raise ApiError(400, "invalid_text", f"{path or 'body'}: holds a lone UTF-16 surrogate, which is "
                                                    "not text.", path or None)
        elif isinstance(value, dict):
            for key, item in value.items():
                stack.append((key, path or "body"))
                stack.append((item, f"{path}.{key}" if path else str(key)))
        elif isinstance(value, list):
            stack.extend((item, f"{path}.{index}" if path else str(index)) for index, item in enumerate(value))


def parse_json(raw: bytes) -> object:
    """The body as JSON of well-formed text, or ApiError(400): bad UTF-8, bad JSON, nesting too deep for the
    parser, integers past Python's 4,300-digit limit and lone surrogates are all the client's to fix."""
    try:
        data = json.loads(raw.decode("utf-8")) if raw else None
    except UnicodeDecodeError as exc:
        raise bad_request(f"The body is not UTF-8: {exc}", code="invalid_json") from None
    except RecursionError:
        raise bad_request("The body is nested too deeply.", code="invalid_json") from None
    except ValueError as exc:  # JSONDecodeError, and the integer digit limit
        raise bad_request(f"The body is not valid JSON: {exc}", code="invalid_json") from None
    _check_unicode(data)
    return data


def parse_create(raw: bytes, max_messages: int) -> CreateConversation:
    """Parse and validate a create request body, raising ApiError(400) that names the bad field."""
    request = parse_model(CreateConversation, parse_json(raw))
    turns = request.messages if request.messages is not None else request.items
    field = "messages" if request.messages is not None else "items"
    if not turns:
        raise ApiError(400, "no_messages", "A conversation needs at least one message.", "messages")
    if len(turns) > max_messages:
        raise ApiError(400, "too_many_messages",
                       f"A conversation may have at most {max_messages} messages.", field)
    return request
