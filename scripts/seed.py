"""A few demo conversations for `make run SEED=1` (public and unlisted, both payload shapes)."""
from __future__ import annotations

DEMOS = [
    {"title": "Reverse a linked list in Python", "model": "gpt-4o", "source": "chatgpt", "visibility": "public",
     "messages": [
         {"role": "user", "content": "How do I reverse a singly linked list in Python?"},
         {"role": "assistant", "content": "Walk the list once, re-pointing each node:\n\n```python\n"
          "def reverse(head):\n    prev = None\n    while head:\n        head.next, prev, head = prev, head, head.next\n"
          "    return prev\n```\n\nIt runs in **O(n)** time and O(1) space."}]},
    {"title": "Compare DynamoDB and PostgreSQL", "model": "claude-sonnet", "source": "claude", "visibility": "public",
     "messages": [
         {"role": "user", "content": "When would I pick DynamoDB over PostgreSQL?"},
         {"role": "assistant", "content": "| | DynamoDB | PostgreSQL |\n|---|---|---|\n| Idle cost | ~0 | an instance |\n"
          "| Queries | by key | anything SQL |\n\n> Pick by access patterns you know up front."}]},
    {"items": [{"from": "human", "value": "Write a haiku about serverless"},
               {"from": "gpt", "value": "<p>No servers to tend<br>functions wake when called upon<br>"
                                        "the bill sleeps with them</p>"}],
     "visibility": "public"},
    {"title": "A private draft", "visibility": "unlisted",
     "messages": [{"role": "user", "content": "This one is only reachable by its link."},
                  {"role": "assistant", "content": "And it never appears on Explore."}]},
]


def seed() -> int:
    from chalicelib import conversations
    from chalicelib.validation import CreateConversation

    for demo in DEMOS:
        conversations.create(CreateConversation.model_validate(demo))
    return len(DEMOS)
