"""Moderation: anyone reports, corroborated reports protect before review, moderators act, all of it is logged.

A report names a target (a conversation, or one of its comments) and a reason. A reporter is a signed-in
account, or else a network (an IPv6 /64, an IPv4 address; salted hashes): each counts once per target, ever
(a ReporterMark), so repeats are accepted and change nothing, and rotating the addresses of one block is one
reporter. Reports never delete anything, and no single one changes what readers see: it queues the case
(child safety first, with an alert). Corroborated reports hold a conversation until a moderator decides:
reports of the same reason from distinct networks since the last decision (settings: three for child
safety, two if a signed-in account older than a day is among them; three for someone's private information), at most
HOLD_BUDGET_PER_HOUR holds a stage an hour. A private-information hold unlists a public conversation; a
child-safety hold also makes its page, API and exports answer 451. Holds only get stricter: nothing but a
decision on that case (dismiss, restore) lifts a child-safety hold. Moderators dismiss, unlist, restore,
take down (a delete that stays done: a tombstone answers 410 and the images' bytes are blocked), hide a
comment, or suspend an owner; each action, and each automatic hold, is appended to an audit log the Lambda
role cannot change (infra/policy.json denies it).
"""
from __future__ import annotations

import json
import logging
import secrets
import time
from typing import Any, NamedTuple

from pynamodb.exceptions import DoesNotExist

from . import (
    accounts,
    alerts,
    cdn,
    cleanup,
    comments,
    conversations,
    cursors,
    ids,
    keys,
    published,
    ratelimit,
    settings,
)
from .comments import COMMENT_ID_RE
from .conversations import HOLD_RANK
from .dynamo import ConditionsFailed, Transaction
from .errors import ApiError, bad_request, cleanup_pending, not_found
from .listings import iso
from .models import AuditEntry, CaseItem, CommentItem, ConversationItem, ConversationMeta, Counter, ReporterMark
from .reasons import ACTIONS, REASON_LABELS, REASONS
from .sanitize import clean_html

# Networks a reason's tally keeps (more than any rule needs: the tally is the corroboration, not the count).
TALLY_NETWORKS = 10
# A signed-in reporter corroborates with one network less only with an account at least this old.
ESTABLISHED_SECONDS = 86_400
# Notes kept per reason, and per network within it: a flood of junk from many networks cannot push out a
# note from a signed-in reporter or one who left a way to answer them (those are kept first).
NOTES_PER_REASON = 5
NOTES_PER_NETWORK = 2
NOTE_CHARS = 1000
PREVIEW_CHARS = 20_000
STATEMENT_CHARS = 1000
HIDDEN_COMMENT = "<p><em>Removed by the moderators.</em></p>"
_log = logging.getLogger(__name__)


# ---------------------------------------------------------------- reports

def report(conversation_id: str, comment_id: str | None, reason: str, note: str, contact: str, network: str,
           account: str | None = None, now: float | None = None) -> dict[str, Any]:
    """Record a report by a network (a salted hash) and, when signed in, an account (202 whether or not it
    counted: a reporter learns nothing about others). Unknown targets are 404; an unknown reason a 400 naming
    it. Holds the conversation when reports of one reason are corroborated (see the module).

    The reporter's mark and the case it counts in are written in one transaction, the case conditional on
    the count it was read at (a report racing this one reads again), so a report is counted exactly once or
    not at all. A report sent again after a failure finds its mark, and applies the hold the case calls for
    if the failure came before it.
    """
    if reason not in REASONS:
        raise bad_request(f"reason must be one of: {', '.join(REASONS)}.", "reason")
    cfg = settings.get()
    meta, comment_html, owner = _target(conversation_id, comment_id)
    ratelimit.check("report", network, cfg.report_limit, 3600, now)
    if account:
        ratelimit.check("report-account", account, cfg.report_limit, 3600, now)
    pk = keys.case(conversation_id, comment_id)
    mark = ReporterMark(pk, keys.reporter(f"account:{account}" if account else network))
    at = int((time.time() if now is None else now) * 1000)
    established = _established(account, reason, now)
    if reason == "child_safety":
        alerts.alert("child_safety_report", f"A child-safety report: {conversation_id}",
                     conversation=conversation_id, comment=comment_id)
    for _ in range(3):
        case = _read_case(pk)
        counts = _counted(case, reason)
        tally = _tallied(case, reason, network, established)
        if case is not None and case.preview is not None:
            preview = case.preview  # the first report keeps what was reported; later ones read nothing more
        else:
            preview = comment_html if comment_id else _preview(conversation_id)
        said = [reason, note, contact, network, "1" if account else ""]
        written = _next_case(case, pk, conversation_id, comment_id, owner, counts, said, preview, at)
        written.tally = json.dumps(tally)
        tx = Transaction()
        tx.put(mark, condition=ReporterMark.pk.does_not_exist(), name="mark")
        tx.put(written, condition=_unchanged_case(case), name="case")
        try:
            tx.commit()
        except ConditionsFailed as exc:
            if "mark" in exc.names:  # this reporter counted already: accepted, not counted again
                _hold_if_due(conversation_id, comment_id, meta, json.loads(case.tally or "{}") if case else {}, now)
                return {"received": True}
            continue  # another report changed the case meanwhile: read again
        except Exception:
            if not _marked(mark):
                raise
            # Stored, though the answer was lost on the way: go on as if it had come.
        _hold_if_due(conversation_id, comment_id, meta, tally, now)
        return {"received": True}
    raise ApiError(409, "conflict", "Many reports arrived at once; please retry.")


def _tallied(case: Any, reason: str, network: str, established: bool) -> dict[str, dict[str, Any]]:
    """Who reported each reason since the case's last decision, with this report: its network, and whether
    it came from an established account (signed in, older than a day)."""
    tally: dict[str, dict[str, Any]] = json.loads(case.tally or "{}") if case is not None else {}
    entry = tally.setdefault(reason, {"networks": [], "accounts": 0})
    if network not in entry["networks"] and len(entry["networks"]) < TALLY_NETWORKS:
        entry["networks"].append(network)
    entry["accounts"] += 1 if established else 0
    return tally


def _established(account: str | None, reason: str, now: float | None) -> bool:
    """Whether a child-safety reporter's account is older than a day (one Cognito read, only for that reason:
    the only rule an account changes). A new account is anyone's for the asking; an old one is not."""
    if not account or reason != "child_safety":
        return False
    return accounts.age_seconds(account, now) >= ESTABLISHED_SECONDS


def corroborated(tally: dict[str, dict[str, Any]]) -> str | None:
    """The strictest hold the reports since the last decision call for, by the stage's rule, or None."""
    cfg = settings.get()
    child = tally.get("child_safety", {})
    networks = len(child.get("networks", []))
    if networks >= cfg.hold_child_safety_networks or (
            child.get("accounts") and networks >= cfg.hold_child_safety_networks_signed_in):
        return "child_safety"
    if len(tally.get("personal_info", {}).get("networks", [])) >= cfg.hold_personal_info_networks:
        return "personal_info"
    return None


def _read_case(pk: str) -> Any:
    try:
        return CaseItem.get(pk, keys.CASE, consistent_read=True)
    except DoesNotExist:
        return None


def _marked(mark: Any) -> bool:
    try:
        type(mark).get(mark.pk, mark.sk, consistent_read=True)
        return True
    except DoesNotExist:
        return False


def _counted(case: Any, reason: str) -> dict[str, int]:
    counts: dict[str, int] = json.loads(case.reasons) if case is not None and case.reasons else {}
    counts[reason] = counts.get(reason, 0) + 1
    return counts


def _next_case(case: Any, pk: str, conversation_id: str, comment_id: str | None, owner: str | None,
               counts: dict[str, int], said: list[str], preview: str, at: int) -> Any:
    """The case as it is with this report ([reason, note, contact, network, "1" if signed in]) counted:
    whole, as one put writes it."""
    notes = json.loads(case.notes or "[]") if case is not None else []
    notes, dropped = _kept_notes(notes, said)
    severity = min(REASONS[r] for r in counts)
    reporters = (int(case.reporters) if case is not None else 0) + 1
    first = int(case.first) if case is not None else at
    return CaseItem(pk, keys.CASE, conversation=conversation_id, comment=comment_id, state="open",
                    reporters=reporters, reasons=json.dumps(counts), notes=json.dumps(notes), first=first,
                    severity=severity, preview=preview, owner=owner if owner else (case.owner if case else None),
                    queue_pk=keys.OPEN, queue_sort=keys.queue_sort(severity, reporters, first),
                    notes_dropped=int(case.notes_dropped or 0) + dropped if case is not None else dropped)


def _note_rank(note: list[Any]) -> int:
    """Signed-in reporters first, then those who left a contact: the notes a flood must not push out."""
    signed_in = len(note) > 4 and note[4] == "1"
    return 2 * signed_in + bool(note[2])


def _kept_notes(notes: list[list[Any]], said: list[str]) -> tuple[list[list[Any]], int]:
    """The notes with this report's added if it earns a place (per reason at most NOTES_PER_REASON, per
    network NOTES_PER_NETWORK; a better-ranked note takes the place of the worst, the newest of equals
    waits outside); returns them and how many notes were not kept (0 or 1)."""
    reason, note, contact, network, signed_in = said
    if not note.strip():
        return notes, 0
    new = [reason, note.strip()[:NOTE_CHARS], contact.strip()[:320], network, signed_in]
    same_network = [n for n in notes if n[0] == reason and len(n) > 3 and n[3] == network]
    if len(same_network) >= NOTES_PER_NETWORK:
        return notes, 1
    same_reason = [n for n in notes if n[0] == reason]
    if len(same_reason) < NOTES_PER_REASON:
        return notes + [new], 0
    worst = min(reversed(same_reason), key=_note_rank)  # of equals, the newest goes
    if _note_rank(new) <= _note_rank(worst):
        return notes, 1
    return [n for n in notes if n is not worst] + [new], 1


def _unchanged_case(case: Any) -> Any:
    return CaseItem.pk.does_not_exist() if case is None else CaseItem.reporters == case.reporters


def _hold_if_due(conversation_id: str, comment_id: str | None, meta: Any, tally: dict[str, dict[str, Any]],
                 now: float | None) -> None:
    """Hold the conversation when its reports are corroborated (a public one out of listings for private
    information; any one, page included, for child safety), within the stage's hourly budget; each hold
    made here is in the audit log."""
    held = corroborated(tally) if comment_id is None and meta is not None else None
    if held is None or (held == "personal_info" and meta.list_pk != keys.PUBLIC):
        return
    if meta.held and HOLD_RANK.get(meta.held, 0) >= HOLD_RANK[held]:
        return
    if not _within_budget(now):
        alerts.alert("hold_budget_spent", f"The hourly budget of automatic holds is spent: {conversation_id} "
                     "only queued", conversation=conversation_id, reason=held)
        return
    if hold(conversation_id, held):
        reporters = len(tally.get(held, {}).get("networks", []))
        _audit(AUTOMATIC, conversation_id, None, "hold", f"Held automatically: {REASON_LABELS[held]}, "
               f"{reporters} networks reporting.", reporters, now)


def _within_budget(now: float | None) -> bool:
    """One more automatic hold this hour for the whole stage, if the budget allows (one counter update)."""
    try:
        ratelimit.check("holds", "stage", settings.get().hold_budget_per_hour, 3600, now)
        return True
    except ApiError:
        return False


class _System(NamedTuple):
    sub: str
    name: str


AUTOMATIC = _System("automatic", "Automatic hold")


def _preview(conversation_id: str) -> str:
    """The first turns of a reported conversation, as stored (sanitized HTML), for the moderators' queue."""
    try:
        messages = conversations.get(conversation_id)["messages"]
    except ApiError as exc:
        if exc.status != 451:  # held for child safety: still reportable, shown to moderators by its id
            raise
        messages = []
    return preview_of(messages)


def preview_of(messages: list[dict[str, Any]]) -> str:
    """The first turns as the queue shows them: whole messages while they fit in PREVIEW_CHARS; a message
    that does not is cut, and what is kept sanitized again, so a cut can never open a tag that swallows
    the rest of the page (the case's form with it)."""
    parts: list[str] = []
    left = PREVIEW_CHARS
    for message in messages[:4]:
        part = f"<h4>{message['role']}</h4>{message.get('html', '')}"
        if len(part) > left:
            parts.append(clean_html(part[:left]) + "<p><em>(cut)</em></p>")
            break
        parts.append(part)
        left -= len(part)
    return "".join(parts)


def _target(conversation_id: str, comment_id: str | None) -> tuple[Any, str | None, str | None]:
    """(meta, the reported comment's stored HTML or None, its owner's user key), or a 404: one read."""
    if not ids.is_valid_id(conversation_id):
        raise not_found()
    try:
        meta = ConversationMeta.get(conversation_id, keys.META)
    except DoesNotExist:
        raise not_found() from None
    if comment_id is None:
        return meta, None, meta.user_key
    if not COMMENT_ID_RE.fullmatch(comment_id):
        raise not_found("comment")
    parent, _, own = comment_id.rpartition("-")
    try:
        comment = CommentItem.get(conversation_id, keys.comment_part(own, parent or None))
    except DoesNotExist:
        raise not_found("comment") from None
    return meta, comment.html, keys.commenter(comment.author) if comment.author else None


# ---------------------------------------------------------------- holding out of listings

def hold(conversation_id: str, reason: str) -> bool:
    """Keep a conversation out of Explore, search, the sitemap and the count until a moderator restores it;
    for child safety, its page and API also answer 451 meanwhile. Returns whether it was held now."""
    held = conversations.set_held(conversation_id, reason)
    if held is not None:
        if reason == "child_safety":
            cleanup.remove_page(conversation_id)  # and its paths; queued if S3 refuses
            if held.card_key:  # its title and first words must not live on in a preview either
                cdn.invalidate(cleanup.remove_object(conversation_id, held.card_key), conversation_id)
        else:  # published again as readers may see it now: unlisted, noindex
            published.publish_after_change(conversation_id)
            cdn.invalidate_conversation(conversation_id)
    return held is not None


def release(conversation_id: str, only: frozenset[str] | None = None) -> bool:
    """Undo a hold (`only` those of these reasons): listed again if its owner made it public."""
    if conversations.set_held(conversation_id, None, only=only) is None:
        return False
    published.publish_after_change(conversation_id)
    cdn.invalidate_conversation(conversation_id)
    return True


# ---------------------------------------------------------------- the queue

def queue(cursor: str | None = None, size: int = 20) -> tuple[list[dict[str, Any]], str | None]:
    """One page of open cases, most severe first, then most reporters, then oldest: one Query (and one
    BatchGet of their owners' earlier takedowns)."""
    start = None
    if cursor:
        sort, pk = cursors.decode(cursor)
        if not isinstance(sort, str) or not isinstance(pk, str) or not pk.startswith("case#"):
            raise bad_request("cursor is not valid.", "cursor", "invalid_cursor")
        start = {"queue_pk": {"S": keys.OPEN}, "queue_sort": {"S": sort}, "pk": {"S": pk}, "sk": {"S": keys.CASE}}
    results = CaseItem.queue.query(keys.OPEN, limit=size, page_size=size, last_evaluated_key=start)
    cases = list(results)
    next_cursor = None
    if len(cases) == size and results.last_evaluated_key is not None:
        next_cursor = cursors.encode([cases[-1].queue_sort, cases[-1].pk])
    return _rows(cases), next_cursor


def case_row(conversation_id: str, comment_id: str | None) -> dict[str, Any] | None:
    """One case as the queue shows it (a refused action's case, which may not be on the queue's first page)."""
    case = _read_case(keys.case(conversation_id, comment_id))
    return _rows([case])[0] if case is not None else None


def _rows(cases: list[Any]) -> list[dict[str, Any]]:
    """Cases as the queue shows them: with their conversation's title, source and state, the owner's
    earlier takedowns, and the actions that make sense (two BatchGets for a page)."""
    past = _past_takedowns(cases)
    shown = _targets(cases)
    rows = []
    for c in cases:
        target = shown.get(c.conversation)
        rows.append({**_case(c), "ownerTakedowns": past.get(c.owner or "", 0),
                     "title": target.title if target else None, "source": target.source if target else None,
                     "held": target.held if target else None, "gone": target is None,
                     "actions": _actions_for(c, target)})
    return rows


def _targets(cases: list[Any]) -> dict[str, Any]:
    """The cases' conversations as they are now (title, source, hold, visibility, owner): one BatchGet."""
    ids = sorted({c.conversation for c in cases})
    if not ids:
        return {}
    return {m.id: m for m in ConversationMeta.batch_get(
        [(cid, keys.META) for cid in ids],
        attributes_to_get=["id", "part", "kind", "title", "source", "held", "visibility", "list_pk", "user_key"])}


def _actions_for(case: Any, target: Any) -> list[str]:
    """The actions that make sense for a case as things stand: a comment's case dismisses or hides it; a
    conversation gone can only be dismissed; Restore only for a held one; Unlist only for a listed one;
    Suspend only where there is an owner."""
    if case.comment:
        return ["dismiss", "hide_comment"]
    if target is None:
        return ["dismiss"]
    found = ["dismiss"]
    found += ["restore"] if target.held else ["unlist"] if target.list_pk == keys.PUBLIC else []
    found += ["takedown"]
    found += ["suspend_owner"] if target.user_key and target.held != "suspended" else []
    return found


def _past_takedowns(cases: list[Any]) -> dict[str, int]:
    """Each owner's earlier takedowns, for the page's cases: one BatchGet of counters."""
    owners = {c.owner for c in cases if c.owner}
    if not owners:
        return {}
    found = {c.key: int(c.n or 0) for c in Counter.batch_get([keys.takedowns(o) for o in owners])}
    return {o: found.get(keys.takedowns(o), 0) for o in owners}


def _case(case: Any) -> dict[str, Any]:
    return {"conversation": case.conversation, "comment": case.comment, "reporters": int(case.reporters),
            "reasons": json.loads(case.reasons or "{}"), "severity": int(case.severity), "state": case.state,
            "firstReported": iso(int(case.first)), "preview": case.preview or "",
            "notes": [{"reason": n[0], "note": n[1], "contact": n[2], "signedIn": len(n) > 4 and n[4] == "1"}
                      for n in sorted(json.loads(case.notes or "[]"), key=_note_rank, reverse=True)],
            "notesNotKept": int(case.notes_dropped or 0)}


# ---------------------------------------------------------------- actions

def act(moderator: Any, conversation_id: str, comment_id: str | None, action: str, reason: str,
        now: float | None = None) -> dict[str, Any]:
    """Apply a moderator's action and append it to the audit log; returns the audit entry."""
    if action not in ACTIONS:
        raise bad_request(f"action must be one of: {', '.join(ACTIONS)}.", "action")
    reason = " ".join(reason.split())[:STATEMENT_CHARS]
    if action != "dismiss" and not reason:
        raise bad_request("Give the statement of reasons the owner will see.", "reason")
    if action == "hide_comment" and not comment_id:
        raise bad_request("hide_comment needs the comment.", "comment")
    case = _read_case(keys.case(conversation_id, comment_id))
    category = _category(case)
    finished = {"dismiss": lambda: _dismiss(conversation_id, comment_id, case),
                "unlist": lambda: hold(conversation_id, "moderators"),  # 404 when there is nothing to hold
                "restore": lambda: _restore(conversation_id),
                "takedown": lambda: take_down(conversation_id, category, reason, now),
                "hide_comment": lambda: _hide_comment(conversation_id, comment_id or ""),
                "suspend_owner": lambda: _suspend_owner(conversation_id)}[action]()
    if case is not None:
        # A decision: only reports made after it count toward a new hold (the tally starts again).
        state = "dismissed" if action == "dismiss" else "actioned"
        case.update(actions=[CaseItem.state.set(state), CaseItem.queue_pk.remove(), CaseItem.queue_sort.remove(),
                             CaseItem.tally.remove(),
                             CaseItem.decided.set(int((time.time() if now is None else now) * 1000))])
    entry = _audit(moderator, conversation_id, comment_id, action, reason, int(case.reporters) if case else 0, now)
    if action == "takedown" and finished is False:  # taken down and logged, its copies wait for the job: say so
        raise cleanup_pending()
    return entry


def _category(case: Any) -> str:
    counts = json.loads(case.reasons) if case is not None and case.reasons else {}
    return min(counts, key=lambda r: REASONS[r]) if counts else "other"


def _meta(conversation_id: str) -> Any:
    """The conversation's meta item, read consistently (an action decides on it), or a 404."""
    try:
        return ConversationMeta.get(conversation_id, keys.META, consistent_read=True)
    except DoesNotExist:
        raise not_found() from None


def _dismiss(conversation_id: str, comment_id: str | None, case: Any) -> None:
    if case is None:
        raise not_found("report")
    if comment_id is None:
        release(conversation_id)  # a hold the reports made ends with them


def _restore(conversation_id: str) -> None:
    meta = _meta(conversation_id)
    if meta.held == "suspended" and meta.user_key:
        accounts.enable_user(meta.user_key.split("#", 1)[1])
        for other in _owned_ids(meta.user_key):
            release(other, only=frozenset({"suspended"}))  # another hold of theirs is another case's decision
    release(conversation_id)


def take_down(conversation_id: str, category: str, statement: str, now: float | None = None) -> bool:
    """Take it down; every other conversation that shows one of its images is held for review, as strictly
    as the reason calls for (child safety: its page unavailable; else out of every listing), in the audit
    log and in the queue with a note saying why. The image stays on those pages until a moderator decides:
    holding is reversible, removing the bytes from under a conversation that may be fine is not."""
    try:
        others = conversations.take_down(conversation_id, category, statement, now)
    except ApiError as exc:
        # Taken down already (a moderator acting again after a failure): finish what is left, and let the
        # action close its case and reach the audit log.
        if exc.status == 404 and (cleanup.finish(conversation_id) or conversations.taken_down(conversation_id)):
            return True
        raise
    finished = cleanup.finish_or_defer(conversation_id)  # its page and objects, then the edge's copies
    why = f"Shows an image of {conversation_id}, taken down for {REASON_LABELS.get(category, category)}."
    for other in others:
        held = "child_safety" if category == "child_safety" else "moderators"
        try:
            _refer(other, category, why, now)  # first: the preview is read while the page is still readable
            if hold(other, held):
                _audit(AUTOMATIC, other, None, "hold", why, 0, now)
        except ApiError as exc:
            if exc.status != 404:  # deleted meanwhile
                raise
    return finished


def _refer(conversation_id: str, category: str, note: str, now: float | None) -> None:
    """Put a conversation in the queue on the moderators' own account (no reporter counted)."""
    at = int((time.time() if now is None else now) * 1000)
    pk = keys.case(conversation_id)
    case = _read_case(pk)
    reporters = int(case.reporters) if case is not None else 0
    first = int(case.first) if case is not None else at
    severity = min([REASONS[category]] + ([int(case.severity)] if case is not None else []))
    notes = (json.loads(case.notes or "[]") if case is not None else []) + [[category, note, "", "moderators", ""]]
    actions: list[Any] = [CaseItem.kind.set(CaseItem), CaseItem.conversation.set(conversation_id),
                          CaseItem.state.set("open"), CaseItem.reporters.set(reporters),
                          CaseItem.reasons.set(case.reasons if case is not None and case.reasons else "{}"),
                          CaseItem.first.set(first), CaseItem.severity.set(severity),
                          CaseItem.notes.set(json.dumps(notes)), CaseItem.queue_pk.set(keys.OPEN),
                          CaseItem.queue_sort.set(keys.queue_sort(severity, reporters, first))]
    if case is None or case.preview is None:
        actions.append(CaseItem.preview.set(_preview(conversation_id)))
    CaseItem(pk, keys.CASE).update(actions=actions)


def _hide_comment(conversation_id: str, comment_id: str) -> None:
    comments.hide(conversation_id, comment_id, HIDDEN_COMMENT)
    published.publish_after_change(conversation_id)


def _suspend_owner(conversation_id: str) -> None:
    """Disable the owner's account, end their sessions, hold their public conversations (restore undoes it)."""
    meta = _meta(conversation_id)
    if not meta.user_key:
        raise ApiError(409, "no_owner", "This conversation was shared without an account: there is no one to "
                       "suspend. Take it down instead.")
    sub = meta.user_key.split("#", 1)[1]
    accounts.disable_user(sub)
    for other in _owned_ids(meta.user_key):
        hold(other, "suspended")


def _owned_ids(user_key: str) -> list[str]:
    return [item.id for item in ConversationItem.by_user.query(user_key, attributes_to_get=["id", "part", "kind"])
            if isinstance(item, ConversationMeta)]


# ---------------------------------------------------------------- the audit log

def _audit(moderator: Any, conversation_id: str, comment_id: str | None, action: str, reason: str,
           reporters: int, now: float | None) -> dict[str, Any]:
    at = int((time.time() if now is None else now) * 1000)
    entry = AuditEntry(keys.AUDIT, keys.audit_sort(at, secrets.token_hex(4)), moderator=moderator.sub,
                       moderator_name=moderator.name, at=at, conversation=conversation_id, comment=comment_id,
                       action=action, reason=reason, reporters=reporters)
    entry.save(condition=AuditEntry.sk.does_not_exist())  # appended, never overwritten
    return _entry(entry)


def _entry(entry: Any) -> dict[str, Any]:
    return {"at": iso(int(entry.at)), "moderator": entry.moderator_name, "conversation": entry.conversation,
            "comment": entry.comment, "action": entry.action, "reason": entry.reason,
            "reporters": int(entry.reporters)}


def audit_log(cursor: str | None = None, size: int = 50) -> tuple[list[dict[str, Any]], str | None]:
    """The audit log, newest first: one Query per page."""
    start = None
    if cursor:
        (sort,) = cursors.decode(cursor)
        if not isinstance(sort, str):
            raise bad_request("cursor is not valid.", "cursor", "invalid_cursor")
        start = {"pk": {"S": keys.AUDIT}, "sk": {"S": sort}}
    results = AuditEntry.query(keys.AUDIT, scan_index_forward=False, limit=size, page_size=size,
                               last_evaluated_key=start)
    entries = list(results)
    next_cursor = None
    if len(entries) == size and results.last_evaluated_key is not None:
        next_cursor = cursors.encode([entries[-1].sk])
    return [_entry(e) for e in entries], next_cursor
