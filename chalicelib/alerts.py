"""Telling the moderators at once: a child-safety report, a spent budget of automatic holds.

Always one log line (`{"type":"alert",...}`, which `make run` prints); deployed, also a message to the
stage's SNS topic (ALERT_TOPIC_ARN, `<prefix>-alerts`), to which infra/stack.yaml subscribes the abuse
address. Never fails the request that raised it: the case is in the queue whatever happens here.
"""
from __future__ import annotations

import json
import logging

from . import accesslog, settings
from .aws import sns

_log = logging.getLogger(__name__)


def alert(kind: str, subject: str, **fields: str | None) -> None:
    """Log the alert, and publish it to the stage's topic when there is one."""
    accesslog.emit_alert(kind, **fields)
    topic = settings.get().alert_topic_arn
    if not topic:
        return

    try:
        sns().publish(TopicArn=topic, Subject=subject[:100],
                      Message=json.dumps({"alert": kind, **fields, "queue": f"{settings.get().site_url}/moderation"}))
    except Exception:  # noqa: BLE001 - the log line stands; the moderators' queue has the case either way
        _log.warning("The %s alert was not published", kind, exc_info=True)
