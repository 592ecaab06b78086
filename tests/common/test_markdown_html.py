from common.markdown_html import render_markdown, render_markdown_inline


def test_markdown_is_rendered_and_sanitised():
    html = render_markdown(
        "Use `FROM`:\n\n1. one\n\n<script>alert(1)</script>[x](javascript:alert(1)) [y](https://docs.docker.com)"
    )
    assert "<code>FROM</code>" in html and "<ol>" in html
    assert "<script" not in html and "javascript:" not in html
    assert '<a href="https://docs.docker.com" rel="noopener noreferrer nofollow">y</a>' in html


def test_inline_markdown_has_no_paragraph():
    assert render_markdown_inline("`docker run`") == "<code>docker run</code>"
    assert render_markdown_inline("one\n\ntwo").count("<p>") == 2  # two paragraphs stay paragraphs
    assert render_markdown(None) == render_markdown_inline("") == ""


def test_a_phrase_keeps_inline_markup_of_the_first_paragraph_only():
    from common.markdown_html import render_markdown_phrase

    text = "Use `docker run` **now**, <script>x</script>[a link](http://e.x).\n\n- a list\n- of things"
    assert render_markdown_phrase(text) == "Use <code>docker run</code> <strong>now</strong>, a link."
    assert render_markdown_phrase("- one\n- two") == "one\ntwo"
    assert render_markdown_phrase(None) == ""
