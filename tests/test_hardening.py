"""What an outside security review and schema fuzzing found (issue 12), each pinned by a test that failed
before its fix."""
from __future__ import annotations

import pytest

from conftest import body_of, post_json, stored_ids


# ---------------------------------------------------------------- 1. CPU denial of service on create

@pytest.mark.parametrize("payload, field", [
    ({"items": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "<div>" * 16000}]}, "items.1.value"),
    ({"items": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "<b><i>" * 50000}]}, "items.1.value"),
    ({"items": [{"from": "gpt", "value": "<p>fine</p>"}, {"from": "gpt", "value": "<div>" * 100000}]},
     "items.1.value"),
    ({"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "<" * 1_000_000}]},
     "messages.1.content"),
    # The budget is per conversation: many modest messages add up.
    ({"messages": [{"role": "assistant", "content": "[" * 30_000} for _ in range(4)]}, "messages.3.content"),
], ids=["div-16000", "b-i-50000", "div-100000", "markdown-lt-1M", "budget-summed"])
def test_pathological_markup_is_refused_before_any_parser_runs(client, aws, payload, field):
    before = stored_ids(aws)

    response = post_json(client, payload)

    assert response.status_code == 400, response.body[:300]
    error = body_of(response)["error"]
    assert error["code"] == "too_complex" and error["field"] == field
    assert stored_ids(aws) == before


def test_real_shapes_within_the_limits_still_render(client):
    nested = "<ul><li>" * 30 + "deep" + "</li></ul>" * 30
    table = "| n | square |\n|---|---|\n" + "".join(f"| {i} | {i * i} |\n" for i in range(3000))
    entities = "Compare `a < b` and a < b && c > d. " * 2000
    response = post_json(client, {"messages": [
        {"role": "user", "content": "a big table please"},
        {"role": "assistant", "content": table},
        {"role": "assistant", "content": entities},
    ]})
    assert response.status_code == 201, response.body[:300]
    seed = post_json(client, {"items": [{"from": "human", "value": "nest"}, {"from": "gpt", "value": nested}]})
    assert seed.status_code == 201, seed.body[:300]

    got = body_of(client.http.get(f"/api/conversations/{body_of(response)['id']}"))
    assert got["messages"][1]["html"].count("<tr>") == 3001
    assert got["messages"][2]["html"].count("a &lt; b &amp;&amp; c &gt; d") == 2000
    html = body_of(client.http.get(f"/api/conversations/{body_of(seed)['id']}"))["messages"][1]["html"]
    assert html.count("<ul>") == 30 and "deep" in html


def test_depth_counts_unclosed_tags_and_skips_void_ones():
    from chalicelib.complexity import html_depth, markdown_markup

    assert html_depth("<div><p>a</p><p>b<br><img src=x></p></div>") == 2
    assert html_depth("<b><i>" * 10) == 20  # never closed: html5lib keeps them open too
    assert html_depth("</div>" * 5 + "<div></div>") == 1
    assert markdown_markup("plain words only") == 0
    assert markdown_markup("**a** [b](c) `d` <e> & |") == 13


def test_text_runs_are_one_token_and_sanitizing_keeps_entities_and_table_text():
    from chalicelib.sanitize import clean_html

    assert clean_html("a &lt; b &amp;&amp; c &gt; d") == "a &lt; b &amp;&amp; c &gt; d"
    assert clean_html("<p>x <b>y</b> z &amp; w</p>") == "<p>x <b>y</b> z &amp; w</p>"
    table = "<table><tbody>" + "<tr><td>1</td><td>2 &lt; 3</td></tr>\n" * 3 + "</tbody></table>"
    assert clean_html(table) == table
