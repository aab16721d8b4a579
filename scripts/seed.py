"""Demo data for `make run`: SEED=1 loads a few hand-written conversations (public and unlisted, both payload
shapes); SEED=N (N > 1) adds N realistic generated ones (scripts/corpus.py) with some views and saves.

Everything goes through the same domain functions the API uses, never by writing items by hand.
"""
from __future__ import annotations

import json

DEMOS = [
    {"title": "Reverse a linked list in Python", "model": "GPT-4o", "source": "chatgpt", "visibility": "public",
     "messages": [
         {"role": "user", "content": "How do I reverse a singly linked list in Python?"},
         {"role": "assistant", "content": "Walk the list once, re-pointing each node:\n\n```python\n"
          "def reverse(head):\n    prev = None\n    while head:\n"
          "        head.next, prev, head = prev, head, head.next\n"
          "    return prev\n```\n\nIt runs in **O(n)** time and O(1) space."}]},
    {"title": "Compare DynamoDB and PostgreSQL", "model": "Claude Sonnet 4", "source": "claude", "visibility": "public",
     "messages": [
         {"role": "user", "content": "When would I pick DynamoDB over PostgreSQL?"},
         {"role": "assistant", "content": "| | DynamoDB | PostgreSQL |\n|---|---|---|\n"
          "| Idle cost | ~0 | an instance |\n"
          "| Queries | by key | anything SQL |\n\n> Pick by access patterns you know up front."}]},
    {"items": [{"from": "human", "value": "Write a haiku about serverless"},
               {"from": "gpt", "value": "<p>No servers to tend<br>functions wake when called upon<br>"
                                        "the bill sleeps with them</p>"}],
     "visibility": "public"},
    {"title": "A private draft", "visibility": "unlisted",
     "messages": [{"role": "user", "content": "This one is only reachable by its link."},
                  {"role": "assistant", "content": "And it never appears on Explore."}]},
]


SEED_USERS = 25  # made-up readers whose saves give the generated conversations save counts


READER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"


def seed(n: int = 0, workers: int = 3, progress: bool = False) -> int:
    """Create the demos, then `n` generated conversations; returns how many were created.

    A few threads overlap this process's rendering with moto's work (moto still applies one request
    at a time). Some public conversations get views (an access-log file under cdn-logs/, folded in by the next fold) and
    saves.
    """
    import random
    import time
    from concurrent.futures import ThreadPoolExecutor

    from chalicelib import cdnlogs, saves, sharing
    from scripts.corpus import conversations as generated

    for demo in DEMOS:
        sharing.create(json.dumps(demo).encode())
    if n <= 1:
        return len(DEMOS)
    rng = random.Random(2)
    now = time.time()
    log_rows: list[dict[str, str]] = []

    def one(args: tuple[int, dict]) -> None:
        index, body = args
        # Spread over the last 90 days, oldest first, so New and search order look lived-in.
        created = sharing.create(json.dumps(body).encode(),
                                       now=now - 90 * 86400 * (1 - index / n))
        if body["visibility"] == "public":
            popularity = int(rng.paretovariate(1.2)) - 1  # most get nothing, a few get many
            for viewer in range(min(popularity, 40)):  # one client, one view
                log_rows.append(cdnlogs.log_row(now, f"10.{index // 256 % 256}.{index % 256}.{viewer + 1}", "GET",
                                                f"/c/{created['id']}", 200, READER_AGENT, 14_000))
            for reader in range(min(popularity // 4, SEED_USERS)):
                saves.set_saved(created["id"], f"seed-user-{reader}", True)
        if progress and (index + 1) % 1000 == 0:
            print(f"  {index + 1:,} / {n:,}", flush=True)

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(one, enumerate(generated(n, seed=1))))
    if log_rows:
        cdnlogs.write_local(log_rows)
    return len(DEMOS) + n
