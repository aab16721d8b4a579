"""Realistic made-up conversations in the API's rich shape, for `make run SEED=N` and `make bench-scale`.

Titles read like the ones people give chats (a few words, a common topic, often a language or a tool), so
word frequencies in the search index look like a real site's: a handful of very common words ("python",
"how") and a long tail. Turns carry Markdown as answers do: prose, a code block, sometimes a table.
Deterministic for a given seed.
"""
from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

_ASKS = ["How do I", "Why does", "Help me", "Explain how to", "Best way to", "Can you", "Quick question:",
         "Debugging:", "Compare ways to", "Write code to"]
_VERBS = ["parse", "sort", "cache", "deploy", "test", "reverse", "merge", "validate", "stream", "paginate",
          "serialize", "profile", "refactor", "index", "schedule", "encrypt", "compress", "render", "retry", "batch"]
_THINGS = ["a linked list", "JSON files", "API responses", "a CSV export", "database rows", "log lines",
           "user sessions", "image uploads", "dates and timezones", "nested dictionaries", "a React form",
           "SQL queries", "background jobs", "webhooks", "a binary tree", "unit tests", "environment variables",
           "a REST client", "Markdown tables", "large text files"]
_TOOLS = ["Python", "JavaScript", "TypeScript", "Rust", "Go", "PostgreSQL", "DynamoDB", "Docker", "Kubernetes",
          "pandas", "React", "Bash", "AWS Lambda", "Terraform", "Django", "FastAPI", "Redis", "Git", "Excel", "C++"]
_OTHER = ["Plan a week of vegetarian dinners", "Draft a polite email to my landlord", "Summarize the French Revolution",
          "Ideas for a birthday party", "Translate a paragraph into Spanish", "Write a cover letter for a data analyst",
          "Explain quantum entanglement simply", "Make a workout plan for beginners", "Short story about a lighthouse",
          "Rewrite my resume summary", "Gift ideas for a ten year old", "Learn chess openings"]
_PROSE = ("the function returns a new value instead of changing the input so callers keep their data while "
          "each step stays small enough to test on its own and the loop runs once over the items which keeps "
          "it linear time with constant extra memory you can also check the edge cases first empty input a "
          "single element and very large values before trusting the result in production").split()
_LANG = {"Python": "python", "JavaScript": "javascript", "TypeScript": "typescript", "Rust": "rust", "Go": "go",
         "Bash": "bash", "PostgreSQL": "sql", "C++": "cpp"}


def title(rng: random.Random) -> str:
    """One chat-like title."""
    if rng.random() < 0.15:
        return rng.choice(_OTHER)
    return f"{rng.choice(_ASKS)} {rng.choice(_VERBS)} {rng.choice(_THINGS)} in {rng.choice(_TOOLS)}"


def _prose(rng: random.Random, words: int) -> str:
    start = rng.randrange(len(_PROSE))
    text = " ".join(_PROSE[(start + i) % len(_PROSE)] for i in range(words))
    return text[0].upper() + text[1:] + "."


def _answer(rng: random.Random, topic: str) -> str:
    parts = [_prose(rng, rng.randint(25, 70))]
    language = next((lang for tool, lang in _LANG.items() if tool in topic), None)
    if language or rng.random() < 0.3:
        parts.append(f"```{language or 'python'}\ndef step(items):\n    out = []\n    for item in items:\n"
                     f"        out.append(item)\n    return out\n```")
    if rng.random() < 0.3:
        parts.append("| option | speed | memory |\n|---|---|---|\n| loop | O(n) | O(1) |\n| sort | O(n log n) | O(n) |")
    if rng.random() < 0.5:
        parts.append("- " + _prose(rng, 8) + "\n- " + _prose(rng, 10))
    return "\n\n".join(parts)


def conversation(rng: random.Random, public_share: float = 0.4) -> dict[str, Any]:
    """A create request body: a title, 2 to 8 turns, a model and a site; public with `public_share` odds."""
    subject = title(rng)
    turns = rng.choice((2, 2, 4, 4, 6, 8))
    messages = []
    for i in range(turns):
        if i % 2 == 0:
            ask = subject if i == 0 else f"And what about {rng.choice(_THINGS)}? {_prose(rng, rng.randint(5, 20))}"
            messages.append({"role": "user", "content": ask})
        else:
            messages.append({"role": "assistant", "content": _answer(rng, subject)})
    source = rng.choice(("chatgpt", "chatgpt", "claude"))
    # The names the sites show (as the extension sends them), not their API slugs.
    models = ("GPT-4o", "o3", "GPT-5") if source == "chatgpt" else ("Claude Sonnet 4", "Claude Opus 4")
    model = rng.choice(models)
    return {"title": subject if rng.random() < 0.8 else None, "model": model, "source": source,
            "visibility": "public" if rng.random() < public_share else "unlisted", "messages": messages}


def conversations(n: int, seed: int = 1, public_share: float = 0.4) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    for _ in range(n):
        yield conversation(rng, public_share)
