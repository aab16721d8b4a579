"""Markdown as the chat sites show it (issue 33): line breaks by site, CJK bold, `<br>` in table cells, and what
stays linear whatever the text holds. The strings are the real ones the review found on Gemini, Grok and
Perplexity pages."""
from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.unit

# Gemini's transcript answer (the reference chat): speaker lines separated by single newlines.
GEMINI_TRANSCRIPT = ("P258071 - The Shaykh: Yes.\nThe Questioner: And the one who prays alone?\n"
                     "The Shaykh: The same.")
# Grok and Perplexity pages: bold closed after a full-width bracket, then a CJK letter.
CJK_BOLD = ["**推理（Inference）**已经成为", "**总评：**这两款", "中文**“加粗”**测试"]
# Perplexity's table of reporting apps: a `<br>` between two names in one cell.
PERPLEXITY_TABLE = ("| 平台 | 渠道 |\n|---|---|\n| 上海 | 警察叔叔APP<br>交通拍客APP |\n"
                    "| 全国 | 交管12123<br/>随手拍 |\n")


def render(source: str, site: str | None = None) -> str:
    from chalicelib import highlight, markup, mathml
    from chalicelib.rendering import LINE_BREAK_SOURCES

    with highlight.conversation_budget(), mathml.conversation_budget(), \
            markup.conversation(site in LINE_BREAK_SOURCES):
        return markup.markdown_to_html(source)


@pytest.mark.parametrize("site", ["gemini", "chatgpt", "claude", "deepseek", "grok", "perplexity"])
def test_a_single_newline_is_a_line_break_where_the_site_shows_one(site):
    html = render(GEMINI_TRANSCRIPT, site)
    assert html.count("<br>") == 2 and html.count("<p>") == 1
    assert re.search(r"Yes\.<br>\s*The Questioner", html)


def test_markdown_from_elsewhere_keeps_commonmarks_soft_break():
    html = render(GEMINI_TRANSCRIPT, None)
    assert "<br>" not in html and "Yes.\nThe Questioner" in html


def test_line_breaks_leave_code_tables_and_lists_as_they_were():
    source = "```python\nx = 1\ny = 2\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n- one\n- two\n"
    assert render(source, "gemini") == render(source, None)


@pytest.mark.parametrize("source", CJK_BOLD)
def test_bold_next_to_full_width_punctuation_closes(source):
    html = render(source, "grok")
    assert "**" not in html and html.count("<strong>") == 1


def test_a_br_in_a_table_cell_is_a_line_break_there_and_nothing_else_is_markup():
    html = render(PERPLEXITY_TABLE + "| x | `a<br>b` <script>alert(1)</script> <b>c</b> |\n", "perplexity")
    cells = re.findall(r"<td>(.*?)</td>", html, re.DOTALL)
    assert "警察叔叔APP<br>交通拍客APP" in cells and "交管12123<br>随手拍" in cells
    last = cells[-1]
    assert "<code>a&lt;br&gt;b</code>" in last  # code shows the tag
    assert "&lt;script&gt;" in last and "<script" not in html and "&lt;b&gt;c" in last
    # Outside a table, a `<br>` is text as any raw HTML.
    assert render("a<br>b", "perplexity") == "<p>a&lt;br&gt;b</p>"


def test_tex_math_and_money_as_before():
    html = render("From \\(x^2\\) and $y$: it costs $5 and $10.\n\n$$a+b$$", "chatgpt")
    assert html.count("<math") == 3 and "it costs $5 and $10" in html and "\\(" not in html


def test_a_link_to_a_refused_url_stays_its_words():
    html = render("[click](javascript:alert(1)) and [docs](https://docs.python.org)")
    assert "javascript" not in html and "href=\"\"" not in html
    assert html.startswith("<p>click and <a href=\"https://docs.python.org\" rel=\"nofollow noopener\">docs</a>")


def test_unclosed_latex_openers_are_rendered_without_latex_math_in_linear_time():
    """comrak looks for the end of each `\\(` to the end of its paragraph: 100,000 unclosed ones took 4.5 s, also
    when a closing one waits in the next paragraph."""
    from chalicelib import markup

    for source in ("\\(" * 200_000, "\\(" * 200_000 + "\n\n\\)"):
        assert markup._latex_scan(source) > markup.MAX_LATEX_SCAN
        html = render(source, "chatgpt")
        assert "<math" not in html and html.count("(") == 200_000
    # Ordinary math in ordinary paragraphs is read, the conversation's scans summed against one budget.
    assert markup._latex_scan("From \\(x\\) to \\[y\\].\n\nAnd \\(z\\).") == 2 * 20 + 1 * 10
    assert render("From \\(x\\) to \\[y\\].", "chatgpt").count("<math") == 2


def test_the_latex_scan_budget_is_the_conversations_not_each_texts():
    from chalicelib import highlight, markup, mathml

    near = "\\(" * 15_000  # 15,000 openings x 30,000 characters: 450 million, under the budget alone
    with highlight.conversation_budget(), mathml.conversation_budget(), markup.conversation(True):
        assert markup._latex_allowed(near) and not markup._latex_allowed(near)  # the second one is past it


def test_nesting_deeper_than_any_answer_shows_as_the_text_written():
    """Quotes nested 50,000 deep took nh3 seconds; the text shows as written instead."""
    html = render("> " * 50_000 + "deep", "chatgpt")
    assert "<blockquote>" not in html and html.endswith("deep</p>")
    assert render("> > quoted twice", "chatgpt").count("<blockquote>") == 2


def test_text_with_right_to_left_letters_gets_a_direction_per_block():
    html = render("الصلاة في جماعة\n\n- البند\n- item\n\n| a | ب |\n|---|---|\n| 1 | 2 |\n\n```\ncode\n```", "gemini")
    assert html.count('dir="auto"') == 7  # the p, two li, two th and two td
    assert '<pre dir="auto"' not in html and "<code>" in html
    assert 'dir="' not in render("Only English here.\n\n- a list", "gemini")


def test_links_side_by_side_never_run_together():
    html = render("Sources: [help.openai.com](https://help.openai.com/a)[help.openai.com](https://help.openai.com/b)")
    assert "help.openai.com</a> <a" in html and "</a><a" not in html
