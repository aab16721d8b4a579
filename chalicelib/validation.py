"""The request schema of POST /api/conversations, and the translation of its errors to ours.

Two shapes are accepted: the original ShareGPT payload (`items` of `{from, value}`, gpt values
being HTML from the chat page) and the richer one (`messages` of `{role, content}` in Markdown).
"""
from __future__ import annotations

import json
import re
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .errors import ApiError, bad_request
from .settings import MAX_COMMENT_CHARS


class SeedItem(BaseModel):
    """One turn in the original ShareGPT shape."""
    model_config = ConfigDict(populate_by_name=True, extra="ignore")
    from_: Literal["human", "gpt"] = Field(alias="from")
    value: str


class Message(BaseModel):
    """One turn in the rich shape; `content` is Markdown (user turns are shown as plain text)."""
    model_config = ConfigDict(extra="ignore")
    role: Literal["user", "assistant", "system", "tool"]
    content: str


def _one_of_items_or_messages(schema: dict) -> None:
    """The documented body: exactly one of `items` or `messages`, a non-empty array (never null)."""
    for name in ("items", "messages"):
        field = schema["properties"][name]
        array = next(option for option in field.pop("anyOf") if option.get("type") == "array")
        field.pop("default", None)
        field.update(array)
    schema["oneOf"] = [{"required": ["items"]}, {"required": ["messages"]}]


class CreateConversation(BaseModel):
    """Body of POST /api/conversations: exactly one of `items` or `messages`."""
    model_config = ConfigDict(extra="ignore", json_schema_extra=_one_of_items_or_messages)
    title: str | None = Field(None, max_length=2000)
    model: str | None = Field(None, max_length=200)
    source: str | None = Field(None, max_length=200)
    visibility: Literal["unlisted", "public"] = "unlisted"
    avatarUrl: str | None = None
    items: list[SeedItem] | None = Field(None, json_schema_extra={"minItems": 1, "maxItems": 2000})
    messages: list[Message] | None = Field(None, json_schema_extra={"minItems": 1, "maxItems": 2000})

    @model_validator(mode="after")
    def _one_shape(self) -> CreateConversation:
        if self.items is not None and self.messages is not None:
            raise ValueError("send either `items` or `messages`, not both")
        for name in ("items", "messages"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"`{name}` must be an array of turns, not null")
        return self


class UpdateConversation(BaseModel):
    """Body of PATCH /api/conversations/{id} (owner only): what to change."""
    model_config = ConfigDict(extra="forbid")
    title: str | None = Field(None, max_length=2000)
    visibility: Literal["unlisted", "public"] | None = None

    @model_validator(mode="after")
    def _something(self) -> UpdateConversation:
        if self.title is None and self.visibility is None:
            raise ValueError("send `title`, `visibility` or both")
        return self


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


class CreatedResponse(BaseModel):
    id: str
    url: str
    shortUrl: str
    deleteToken: str = Field(description="Shown once; send it as `Authorization: Bearer <token>` to delete.")


class ConversationRow(BaseModel):
    id: str
    title: str
    avatar: str
    saves: int
    comments: int
    views: int
    createdAt: str


class RenderedMessage(BaseModel):
    role: Literal["user", "assistant", "system", "tool"]
    html: str
    content: str | None = None


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
    createdAt: str
    views: int
    saves: int
    comments: int
    visibility: Literal["unlisted", "public"]
    messages: list[RenderedMessage]
    items: list[SeedItemOut]


class ErrorDetail(BaseModel):
    code: str
    message: str
    field: str | None = None


class ErrorResponse(BaseModel):
    error: ErrorDetail


def _field_name(loc: tuple) -> str | None:
    parts = [str(p) for p in loc if p != "__root__"]
    return ".".join(parts) or None


_MESSAGES = {"string_pattern_mismatch": "is not a valid email address", "missing": "is required"}


M = TypeVar("M", bound=BaseModel)


def parse_model(model: type[M], data: object) -> M:
    """Validate `data` against `model`, raising ApiError(400, "invalid_field") naming the first bad field."""
    if not isinstance(data, dict):
        raise bad_request("The body must be a JSON object.", code="invalid_json")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        field = _field_name(first["loc"])
        message = _MESSAGES.get(first["type"], first["msg"])
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
