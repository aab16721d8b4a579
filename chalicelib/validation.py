"""The request schema of POST /api/conversations, and the translation of its errors to ours.

Two shapes are accepted: the original ShareGPT payload (`items` of `{from, value}`, gpt values
being HTML from the chat page) and the richer one (`messages` of `{role, content}` in Markdown).
"""
from __future__ import annotations

import json
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .errors import ApiError, bad_request


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


class CreateConversation(BaseModel):
    """Body of POST /api/conversations: exactly one of `items` or `messages`."""
    model_config = ConfigDict(extra="ignore")
    title: Optional[str] = Field(None, max_length=2000)
    model: Optional[str] = Field(None, max_length=200)
    source: Optional[str] = Field(None, max_length=200)
    visibility: Literal["unlisted", "public"] = "unlisted"
    avatarUrl: Optional[str] = None
    items: Optional[list[SeedItem]] = None
    messages: Optional[list[Message]] = None

    @model_validator(mode="after")
    def _one_shape(self) -> "CreateConversation":
        if self.items is not None and self.messages is not None:
            raise ValueError("send either `items` or `messages`, not both")
        return self


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
    content: Optional[str] = None


class SeedItemOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    from_: str = Field(alias="from")
    value: str


class Conversation(BaseModel):
    id: str
    title: str
    model: Optional[str]
    source: Optional[str]
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
    field: Optional[str] = None


class ErrorResponse(BaseModel):
    error: ErrorDetail


def _field_name(loc: tuple) -> str | None:
    parts = [str(p) for p in loc if p != "__root__"]
    return ".".join(parts) or None


def parse_create(raw: bytes, max_messages: int) -> CreateConversation:
    """Parse and validate a create request body, raising ApiError(400) that names the bad field."""
    try:
        data = json.loads(raw.decode("utf-8")) if raw else None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise bad_request(f"The body is not valid JSON: {exc}", code="invalid_json") from None
    if not isinstance(data, dict):
        raise bad_request("The body must be a JSON object.", code="invalid_json")
    try:
        request = CreateConversation.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        field = _field_name(first["loc"])
        raise ApiError(400, "invalid_field", f"{field or 'body'}: {first['msg']}", field) from None
    turns = request.messages if request.messages is not None else request.items
    field = "messages" if request.messages is not None else "items"
    if not turns:
        raise ApiError(400, "no_messages", "A conversation needs at least one message.", "messages")
    if len(turns) > max_messages:
        raise ApiError(400, "too_many_messages",
                       f"A conversation may have at most {max_messages} messages.", field)
    return request
