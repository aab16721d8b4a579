"""Closing an account: everything of a person removed (or kept without their name), pages following.

A workflow above the domain: each domain step yields what it changed, one conversation at a time, and the
pages follow at once, so a request that fails half way leaves no page showing what is gone; a repeated
request finishes the rest.
"""
from __future__ import annotations

from . import accounts, auth, cleanup, comments, conversations, published, saves
from .errors import cleanup_pending


def delete_account(user: auth.User, anonymize: bool) -> dict[str, int]:
    """Remove a person: their sessions ended everywhere first, then their conversations deleted (or kept
    without an owner), their comments deleted (or kept as a former member's), their saves undone, and the
    Cognito user itself. A 503 if a deleted conversation's cleanup is left to the scheduled job."""
    accounts.end_all_sessions(user.sub)
    counts = {"conversations": _conversations(user.sub, anonymize),
              "comments": _comments(user.sub, anonymize),
              "saves": saves.remove_all(user.sub)}
    accounts.delete_user(user.sub)
    return counts


def _conversations(user_sub: str, anonymize: bool) -> int:
    """Their conversations, each removed one unpublished and invalidated at once. The ids whose cleanup waits
    for the scheduled job are kept under `user#<sub>`: a repeated request finishes them first, as a deleted
    conversation no longer shows in the person's index."""
    group = f"user#{user_sub}"
    cleanup.finish_group(group)
    done = 0
    pending: set[str] = set()
    for conversation_id, removed in conversations.remove_owned(user_sub, anonymize):
        if removed and not cleanup.finish_or_defer(conversation_id):
            pending.add(conversation_id)
        done += 1
    if pending:
        cleanup.remember_group(group, pending)
        raise cleanup_pending()
    return done


def _comments(user_sub: str, anonymize: bool) -> int:
    """Their comments, each conversation's page published again as soon as its comments are done (the name,
    or the comment, must leave the page too)."""
    done = 0
    for conversation_id, count in comments.remove_all(user_sub, anonymize):
        published.publish_after_change(conversation_id)
        done += count
    return done
