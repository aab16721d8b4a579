"""GET /api/conversations (+count): public only, 50 a page, by page and by cursor, new/top/search."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest
from conftest import body_of, chat, create, share

pytestmark = pytest.mark.api


def _next_cursor(response) -> str | None:
    link = response.headers.get("Link")
    if not link:
        return None
    match = re.match(r'<([^>]+)>; rel="next"', link)
    assert match, link
    return parse_qs(urlparse(match.group(1)).query)["cursor"][0]


def _walk_cursor(client, query: str) -> list[list[dict]]:
    pages, cursor = [], None
    while True:
        url = f"/api/conversations?{query}" + (f"&cursor={cursor}" if cursor else "")
        response = client.http.get(url)
        assert response.status_code == 200, response.body
        pages.append(body_of(response))
        cursor = _next_cursor(response)
        if cursor is None:
            return pages


@pytest.fixture(scope="module")
def corpus(empty_moto, client, aws):
    """120 public conversations (every 3rd titled about 'Python'), 15 unlisted ones, some views."""
    from cdn_log_files import hit, put_log
    from conftest import BUCKET

    from chalicelib import jobs

    public, unlisted = [], []
    for i in range(120):
        title = f"Python tip {i}" if i % 3 == 0 else f"Écrire du café numéro {i}"
        created = share(chat(title=title, visibility="public"),
                                       now=1_700_000_000 + i)
        public.append((created["id"], title))
    for i in range(15):
        created = share(chat(title=f"Python secret {i}"),
                                       now=1_700_000_500 + i)
        unlisted.append(created["id"])
    # Views, from a CDN access log: conversation i gets (i % 7) distinct viewers, so Top is a known order.
    rows = [hit(cid, f"192.0.2.{viewer + 1}", 1_780_000_000) for i, (cid, _) in enumerate(public[:21])
            for viewer in range(i % 7)]
    rows += [hit(cid, "192.0.2.200", 1_780_000_000) for cid in unlisted[:3]]
    put_log(aws, BUCKET, rows)
    jobs.fold_views()
    return {"public": public, "unlisted": set(unlisted)}


def test_new_by_page_counts_from_one_and_ends_with_an_empty_page(client, corpus):
    newest_first = [cid for cid, _ in reversed(corpus["public"])]
    pages = [body_of(client.http.get(f"/api/conversations?type=new&page={n}")) for n in (1, 2, 3, 4)]
    assert [len(p) for p in pages] == [50, 50, 20, 0]
    assert [row["id"] for page in pages for row in page] == newest_first
    assert body_of(client.http.get("/api/conversations?type=new")) == pages[0]
    row = pages[0][0]
    assert set(row) == {"id", "title", "avatar", "saves", "comments", "views", "createdAt"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", row["createdAt"])
    assert row["createdAt"] == "2023-11-14T22:15:19.000Z"


def test_new_by_cursor_matches_paging_by_number(client, corpus):
    pages = _walk_cursor(client, "type=new")
    assert [len(p) for p in pages] == [50, 50, 20]
    assert [r["id"] for p in pages for r in p] == [cid for cid, _ in reversed(corpus["public"])]


def test_top_orders_by_rolled_up_views_and_is_the_default(client, corpus):
    rows = [r for p in _walk_cursor(client, "type=top") for r in p]
    assert len(rows) == 120 and len({r["id"] for r in rows}) == 120
    counts = [r["views"] for r in rows]
    assert counts == sorted(counts, reverse=True)
    assert counts[0] == 6 and sum(counts) == sum(i % 7 for i in range(21))
    assert body_of(client.http.get("/api/conversations"))[:10] == rows[:10]


def test_search_is_whole_word_case_and_accent_insensitive_newest_first(client, corpus):
    python = [cid for cid, title in reversed(corpus["public"]) if title.startswith("Python")]
    rows = [r for p in _walk_cursor(client, "search=PYTHON") for r in p]
    assert [r["id"] for r in rows] == python  # 40 public ones; the 15 unlisted never appear
    cafe = [cid for cid, title in reversed(corpus["public"]) if "café" in title]
    pages = _walk_cursor(client, "search=cafe%20ECRIRE")
    assert [len(p) for p in pages] == [50, 30]
    assert [r["id"] for p in pages for r in p] == cafe
    assert body_of(client.http.get("/api/conversations?search=pyth")) == []  # whole words only
    assert body_of(client.http.get("/api/conversations?search=python&page=2")) == []
    assert [r["title"] for r in body_of(client.http.get("/api/conversations?search=tip%2030"))] == ["Python tip 30"]


def test_unlisted_conversations_are_never_listed(client, corpus):
    listed = set()
    for query in ("type=new", "type=top", "search=python", "search=secret"):
        listed |= {r["id"] for p in _walk_cursor(client, query) for r in p}
    assert listed and not (listed & corpus["unlisted"])
    # ... but they are readable by their link.
    some = next(iter(corpus["unlisted"]))
    assert client.http.get(f"/api/conversations/{some}").status_code == 200


def test_count_counts_public_conversations_and_matches(client, corpus):
    assert body_of(client.http.get("/api/conversations/count")) == 120
    assert body_of(client.http.get("/api/conversations/count?search=python")) == 40
    assert body_of(client.http.get("/api/conversations/count?search=caf%C3%A9%20numero")) == 80
    assert body_of(client.http.get("/api/conversations/count?search=secret")) == 0


@pytest.mark.parametrize("query, field", [
    ("type=hot", "type"), ("page=0", "page"), ("page=21", "page"), ("page=abc", "page"),
    ("cursor=not-a-cursor", "cursor"), ("cursor=WzEsMl0", "cursor"), ("search=x&cursor=WzEsMl0", "cursor"),
])
def test_bad_list_parameters_are_400_naming_the_field(client, corpus, query, field):
    response = client.http.get(f"/api/conversations?{query}")
    assert response.status_code == 400
    assert body_of(response)["error"]["field"] == field


def test_a_new_public_conversation_is_first_in_new(client, corpus):
    created = create(client, chat(title="Brand new", visibility="public"))
    assert body_of(client.http.get("/api/conversations?type=new"))[0]["id"] == created["id"]
    assert body_of(client.http.get("/api/conversations/count")) == 121


def test_explore_filters_by_assistant_from_its_own_index(client, corpus):
    """`?source=` lists one assistant's public conversations, newest first, from the sparse by_source index;
    an unlisted one never, and one made unlisted leaves it."""
    from test_accounts import sign_up

    owner = sign_up(client, "Multi-assistant")
    made = {}
    for source in ("deepseek", "grok", "deepseek", "chatgpt"):
        body = {**chat(title=f"From {source}", visibility="public"), "source": source}
        made.setdefault(source, []).append(body_of(owner.call("POST", "/api/conversations", body))["id"])
    hidden = create(client, {**chat(title="Unlisted deepseek"), "source": "deepseek"})["id"]
    rows = body_of(client.http.get("/api/conversations?source=deepseek"))
    assert [r["id"] for r in rows] == made["deepseek"][::-1] and hidden not in {r["id"] for r in rows}
    assert [r["id"] for r in body_of(client.http.get("/api/conversations?source=grok&type=new"))] == made["grok"]
    owner.call("PATCH", f"/api/conversations/{made['deepseek'][0]}", {"visibility": "unlisted"})
    assert [r["id"] for r in body_of(client.http.get("/api/conversations?source=deepseek"))] == [made["deepseek"][1]]
    bad = client.http.get("/api/conversations?source=altavista")
    assert bad.status_code == 400 and body_of(bad)["error"]["field"] == "source"
    page = client.http.get("/explore?source=grok").body.decode()
    assert "From grok" in page and "From deepseek" not in page and 'aria-current="page">Grok<' in page
    assert client.http.get(f"/c/{made['grok'][0]}").body.decode().count('<span class="source">Grok</span>') == 1


def test_explore_and_home_cards_name_their_assistant_in_two_calls(client, corpus):
    """Every card on Explore and the home page names its assistant (and model where known), read for the
    whole page with one BatchGet beside the listing's one Query; a conversation of no known assistant
    names none."""
    import awscalls

    made = {}
    for source, model in (("gemini", "Gemini 3 Pro"), ("perplexity", None), ("claude", "Claude Sonnet 4")):
        body = {**chat(title=f"Card from {source}", visibility="public"), "source": source,
                **({"model": model} if model else {})}
        made[source] = create(client, body)["id"]
    anonymous = create(client, chat(title="Card from nowhere", visibility="public"))["id"]
    start = len(awscalls.RECORDED)
    page = client.http.get("/explore?tab=new").body.decode()
    calls = [(op, brief.get("IndexName")) for _, op, brief in awscalls.RECORDED[start:]]
    assert calls == [("Query", "new"), ("BatchGetItem", None)], calls

    def card(cid: str) -> str:
        match = re.search(rf'<li class="card">(?:(?!</li>).)*href="/c/{cid}"(?:(?!</li>).)*</li>', page, re.S)
        assert match, cid
        return match.group(0)

    assert '<span class="source">Gemini (Gemini 3 Pro)</span>' in card(made["gemini"])
    assert '<span class="source">Perplexity</span> · ' in card(made["perplexity"])
    assert '<span class="source">Claude (Claude Sonnet 4)</span>' in card(made["claude"])
    assert 'class="source"' not in card(anonymous)
    home = client.http.get("/").body.decode()
    assert home.count('<span class="source">Gemini (Gemini 3 Pro)</span>') == 1  # in Latest (unviewed: not Top)


def _entries_of(aws, cid: str) -> dict[str, set[str]]:
    from conftest import scan_all

    return {e["word"]["S"]: set(e.get("words", {}).get("SS", [])) for e in scan_all(aws, "search")
            if e["id"]["S"] == cid}


def _search_ids(client, words: str) -> set[str]:
    response = client.http.get(f"/api/conversations?search={words}")
    assert response.status_code == 200, response.body
    return {row["id"] for row in body_of(response)}


def test_search_entries_written_after_the_create_follow_what_came_between(client, aws, monkeypatch):
    """A create's search entries are written after its transaction (half the write units), then settled
    against the conversation as it is: a retitle, a hold or a delete that came in between leaves no entry of
    the old title, none of a conversation gone, and the kept words name the new title's words."""
    from chalicelib import conversations, sharing

    late: list = []
    monkeypatch.setattr(conversations, "index_new", late.append)  # the create stops after its transaction
    retitled = share(chat(title="Quokka habitat notes", visibility="public"))
    deleted = share(chat(title="Quokka burrow census", visibility="public"))
    held = share(chat(title="Quokka diet habitat", visibility="public"))
    monkeypatch.undo()
    sharing.update(retitled["id"], None, title="Numbat habitat notes", token=retitled["deleteToken"])
    sharing.delete(deleted["id"], deleted["deleteToken"])
    conversations.set_held(held["id"], "moderators")
    for meta in late:  # the entries land now, after all three changes
        conversations.index_new(meta)

    assert _entries_of(aws, retitled["id"]) == {w: {"numbat", "habitat", "notes"}
                                                for w in ("numbat", "habitat", "notes")}
    assert _entries_of(aws, deleted["id"]) == {}
    assert _entries_of(aws, held["id"]) == {}
    assert _search_ids(client, "quokka") == set()
    assert _search_ids(client, "numbat+habitat") == {retitled["id"]}


def test_search_reads_the_conversation_not_a_stale_entry(client, aws):
    """Should an entry outlive a retitle (a create that stopped between its writes and its check), the
    conversation's own words decide: a search for the old word does not find it."""
    from chalicelib import sharing
    from chalicelib.keys import search_sort
    from chalicelib.models import ConversationMeta, SearchEntry

    created = share(chat(title="Wombat field guide", visibility="public"))
    assert _search_ids(client, "wombat") == {created["id"]}
    sharing.update(created["id"], None, title="Echidna field guide", token=created["deleteToken"])
    meta = ConversationMeta.get(created["id"], "meta")
    SearchEntry("wombat", search_sort(int(meta.created), created["id"]), id=created["id"],
                words={"wombat", "field", "guide"}).save()  # as a stopped create would leave it
    assert _search_ids(client, "wombat") == set()
    assert _search_ids(client, "echidna") == {created["id"]}


def test_a_deleted_conversations_entries_go_with_its_cleanup_and_never_find_it(client, aws, monkeypatch):
    """A delete's transaction no longer holds the search entries (two write units each there): its cleanup
    deletes them. Until then (a cleanup that failed waits for the five-minute job) a search finds nothing of
    the conversation, and the job leaves no entry behind."""
    from chalicelib import cleanup, sharing
    from chalicelib.errors import ApiError

    created = share(chat(title="Platypus venom spurs", visibility="public"))
    assert _search_ids(client, "platypus") == {created["id"]}
    finish = cleanup.finish

    def failing(conversation_id: str) -> bool:
        raise RuntimeError("S3 is away")

    monkeypatch.setattr(cleanup, "finish", failing)
    with pytest.raises(ApiError) as pending:
        sharing.delete(created["id"], created["deleteToken"])
    assert pending.value.status == 503
    monkeypatch.setattr(cleanup, "finish", finish)
    assert set(_entries_of(aws, created["id"])) == {"platypus", "venom", "spurs"}  # waiting for the job
    assert _search_ids(client, "platypus") == set() and _search_ids(client, "venom+spurs") == set()
    cleanup.drain()
    assert _entries_of(aws, created["id"]) == {}
