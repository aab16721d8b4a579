"""The moderators' vocabulary: what a report may say, how each reason reads, and what a moderator may do.

Plain constants, apart from moderation.py, so the pages, the OpenAPI document and the request layer can name
them without loading the moderation workflow (and without importing what sits above them).
"""
from __future__ import annotations

# Most severe first: the queue's order.
REASONS = {"child_safety": 0, "personal_info": 1, "illegal": 2, "harassment": 3, "copyright": 4, "spam": 5,
           "other": 6}
REASON_LABELS = {"child_safety": "child safety", "personal_info": "someone's private information",
                 "illegal": "illegal content", "harassment": "harassment", "copyright": "copyright",
                 "spam": "spam", "other": "another reason"}
ACTIONS = ("dismiss", "unlist", "restore", "takedown", "hide_comment", "suspend_owner")
# What a reporter picks from: each reason as a phrase about the conversation.
REPORT_PHRASES = {"child_safety": "Sexualises or endangers a child",
                  "personal_info": "Shares someone's private information (an address, a phone number, a photo)",
                  "illegal": "Is illegal content", "harassment": "Harasses or threatens someone",
                  "copyright": "Copies someone's work without permission", "spam": "Spam or advertising",
                  "other": "Something else the moderators should see"}
# The Cognito group whose members see the queue and act on it.
MODERATORS_GROUP = "moderators"
