"""Pages at the edge: a conversation's page is published to S3 (pages/c/<id>) once per change, the CDN serves
it, and the API's /c/{id} is only the fallback that draws, publishes and answers."""
from __future__ import annotations

import pytest
from conftest import BUCKET, JPEG_DATA_URI, TABLE_PREFIX, body_of, chat, create, new_ip

PAGE_CACHE = "public, max-age=60, s-maxage=300"


def _object(aws, cid: str) -> dict | None:
    try:
        answer = aws["s3"].get_object(Bucket=BUCKET, Key=f"pages/c/{cid}")
    except aws["s3"].exceptions.NoSuchKey:
        return None
    return {"html": answer["Body"].read().decode(), "type": answer["ContentType"],
            "cache": answer.get("CacheControl"), "template": answer["Metadata"].get("template")}


def _fallback(client, aws, cid: str):
    """What the API's /c/{id} draws when the bucket has no page (as CloudFront's origin group asks it)."""
    aws["s3"].delete_object(Bucket=BUCKET, Key=f"pages/c/{cid}")
    return client.http.get(f"/c/{cid}")


@pytest.mark.api
def test_a_create_publishes_the_page_the_fallback_would_draw(client, aws):
    from chalicelib import pages

    cid = create(client, {**chat(4, title="Published at once"), "avatarUrl": JPEG_DATA_URI})["id"]
    published = _object(aws, cid)
    assert published is not None and "Published at once" in published["html"]
    assert published["type"] == "text/html; charset=utf-8" and published["cache"] == PAGE_CACHE
    assert published["template"] == pages.template_version()
    assert f'content="{pages.template_version()}"' in published["html"]

    drawn = _fallback(client, aws, cid)
    assert drawn.status_code == 200 and drawn.headers["Cache-Control"] == PAGE_CACHE
    assert drawn.body.decode() == published["html"]
    assert _object(aws, cid)["html"] == published["html"]  # the fallback published it again


@pytest.mark.api
def test_a_missing_conversation_is_a_404_page_and_publishes_nothing(client, aws):
    response = client.http.get("/c/Zz9Zz9Q", headers={"accept": "text/html"})
    assert response.status_code == 404 and b"Not found" in response.body
    assert _object(aws, "Zz9Zz9Q") is None


@pytest.mark.api
def test_an_unlisted_page_carries_noindex_and_a_public_one_does_not(client, aws):
    unlisted = create(client, chat(title="Quiet one"))["id"]
    public = create(client, chat(title="Loud one", visibility="public"))["id"]
    assert '<meta name="robots" content="noindex, nofollow">' in _object(aws, unlisted)["html"]
    assert '<meta name="robots"' not in _object(aws, public)["html"]


@pytest.mark.api
def test_retitle_visibility_and_comments_publish_the_page_again(client, aws):
    from test_accounts import sign_up

    owner = sign_up(client, "Owner")
    cid = body_of(owner.call("POST", "/api/conversations", chat(4, title="First title")))["id"]
    assert "First title" in _object(aws, cid)["html"]

    assert owner.call("PATCH", f"/api/conversations/{cid}", {"title": "Second title"}).status_code == 200
    html = _object(aws, cid)["html"]
    assert "Second title" in html and "First title" not in html

    assert owner.call("PATCH", f"/api/conversations/{cid}", {"visibility": "public"}).status_code == 200
    assert '<meta name="robots"' not in _object(aws, cid)["html"]

    reader = sign_up(client, "Reader <i>")
    posted = body_of(reader.call("POST", f"/api/conversations/{cid}/comments",
                                 {"position": 1, "content": "A comment in the **page**"}))
    html = _object(aws, cid)["html"]
    assert "A comment in the <strong>page</strong>" in html.replace("\\u003c", "<").replace("\\u003e", ">")
    assert "Reader \\u003ci\\u003e" in html and "Reader <i>" not in html  # data, escaped for the script block
    assert reader.call("DELETE", f"/api/conversations/{cid}/comments/{posted['id']}").status_code == 200
    assert "A comment in the" not in _object(aws, cid)["html"]


@pytest.mark.api
def test_a_delete_removes_the_page_and_the_fallback_then_answers_404(client, aws):
    created = create(client, chat(title="Gone soon"))
    assert _object(aws, created["id"]) is not None
    response = client.http.delete(f"/api/conversations/{created['id']}",
                                  headers={"authorization": f"Bearer {created['deleteToken']}"})
    assert response.status_code == 204
    assert _object(aws, created["id"]) is None
    assert client.http.get(f"/c/{created['id']}").status_code == 404
    assert _object(aws, created["id"]) is None


@pytest.mark.api
def test_a_deploy_publishes_again_the_pages_other_templates_drew(client, aws):
    """Pages carry the version of the templates that drew them; republish draws the stale ones only."""
    from chalicelib import pages, published

    stale = create(client, chat(title="Drawn by old templates"))["id"]
    current = create(client, chat(title="Drawn by these templates"))["id"]
    gone = create(client, chat(title="Deleted, page left behind"))
    old = _object(aws, stale)["html"].replace("Drawn by old", "Old layout of")
    aws["s3"].put_object(Bucket=BUCKET, Key=f"pages/c/{stale}", Body=old.encode(), Metadata={"template": "0ld"})
    aws["s3"].put_object(Bucket=BUCKET, Key=f"pages/c/{gone['id']}", Body=b"x", Metadata={"template": "0ld"})
    aws["dynamodb"].delete_item(TableName=f"{TABLE_PREFIX}-conversations",
                                Key={"id": {"S": gone["id"]}, "part": {"S": "meta"}})
    before = _object(aws, current)

    counts = published.republish()
    assert counts["published"] >= 1 and counts["gone"] >= 1
    assert "Drawn by old templates" in _object(aws, stale)["html"]
    assert _object(aws, stale)["template"] == pages.template_version()
    assert _object(aws, current) == before  # current pages are not drawn again
    assert _object(aws, gone["id"]) is None


@pytest.mark.browser
def test_the_published_page_works_with_every_api_request_blocked(browser, chalice_local, client):
    """An anonymous reader's page: comments, images, math and code, with /api/ unreachable."""
    from media_files import generated_png, upload
    from test_accounts import sign_up

    media = upload(client, generated_png(40, 30), "image/png", new_ip())
    payload = {"title": "Edge only", "messages": [
        {"role": "user", "content": [{"type": "text", "text": "Solve $x^2 = 4$ and look"},
                                     {"type": "image", "name": "plot.png", "media": media}]},
        {"role": "assistant", "content": "$$x = \\pm 2$$\n\n```python\nprint(2)\n```"}]}
    commenter = sign_up(client, "Commenter")
    cid = body_of(commenter.call("POST", "/api/conversations", payload))["id"]
    commenter.call("POST", f"/api/conversations/{cid}/comments", {"position": 1, "content": "Nice **proof**"})

    ctx = browser.new_context(base_url=chalice_local)
    blocked: list[str] = []
    ctx.route("**/api/**", lambda route: (blocked.append(route.request.url), route.abort()))
    page = ctx.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"/c/{cid}")
    page.wait_for_load_state("networkidle")
    assert blocked == [] and errors == []
    assert page.locator(".msg.assistant math").count() == 1
    assert page.locator(".msg img").evaluate_all("imgs => imgs.every(i => i.complete && i.naturalWidth > 0)")
    assert page.locator(".code-bar").count() == 1
    assert page.locator(".avatar.identicon svg").count() == 1  # drawn into the page, not fetched
    bubble = page.locator(".bubble").nth(1)
    assert bubble.inner_text().startswith("1 comment")
    bubble.click()
    comment = page.locator("#threads .comment")
    assert comment.count() == 1 and "Nice proof" in comment.inner_text() and "Commenter" in comment.inner_text()
    assert comment.locator(".body strong").inner_text() == "proof"
    ctx.close()
