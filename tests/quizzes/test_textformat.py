"""Moodle's text formats into our Markdown: what a learner's page shows for each."""

import html
import re

import pytest

from common.markdown_html import render_markdown, render_markdown_inline
from quizzes.importers.textformat import escape_markdown, normalize_format, to_markdown

LITERAL = [
    "blue",
    "wrong, it's yellow",
    "# não é um título",
    "> nem uma citação",
    "- nem um item",
    "+ nem outro",
    "1. nem lista numerada",
    "Título?\n===",
    "Outro?\n---",
    "***",
    "- - -",
    "~~~\ndocker ps\n~~~",
    "```\ndocker ps\n```",
    "*ênfase*, **forte** e _sublinhado_ ficam como estão",
    "`docker ps`",
    "[link](http://exemplo.com) e ![imagem](x.png)",
    "<b>negrito</b> & <script>alert(1)</script>",
    "porta | host\n--|--\n80 | 8080",
    "C:\\temp\\novo",
    "&lt; já é texto",
    "    recuado como código",
    "docker run -d -p 8080:5000 minha_app",
    "linha 1\nlinha 2\n\noutro parágrafo",
    "<!-- comentário -->",
    "5 * 3 = 15",
]


def _shown(rendered: str) -> str:
    """The characters a reader sees in rendered HTML that has only paragraphs and line breaks."""
    text = re.sub(r"<br>\n?", "\n", rendered.strip())
    text = re.sub(r"</p>\n<p>", "\n\n", text)
    text = re.sub(r"^<p>|</p>$", "", text)
    assert "<" not in text, rendered  # no markup came out of the text
    return html.unescape(text)


@pytest.mark.parametrize("fmt", ["plain", "moodle", "plain_text", "moodle_auto_format"])
@pytest.mark.parametrize("text", LITERAL)
def test_plain_and_moodle_text_show_literally_with_their_line_breaks(text, fmt):
    expected = "\n".join(line.strip() for line in text.split("\n"))
    assert _shown(render_markdown(to_markdown(text, fmt))) == expected


def test_plain_text_without_markup_characters_is_stored_unchanged():
    for text in ["blue", "A bank of record entries which participants can add to.", "-p 8080:5000", "3,5 GB"]:
        assert to_markdown(text, "plain") == text


def test_html_is_sanitised_and_kept_as_html():
    md = to_markdown('Associe a <b>instrução</b> à <i>função</i>.<script>alert(1)</script><img src="x">', "html")
    assert render_markdown_inline(md) == "Associe a <strong>instrução</strong> à <em>função</em>."
    link = to_markdown('<a href="http://x.org/a.mp3" onclick="y()">Ouça:</a><br /><br />Qual idioma?', "html")
    assert render_markdown(link).strip() == (
        '<a href="http://x.org/a.mp3" rel="noopener noreferrer nofollow">Ouça:</a><br><br>Qual idioma?'
    )
    assert "javascript" not in render_markdown(to_markdown('<a href="javascript:alert(1)">x</a>', "html"))
    # Markdown does not touch HTML: asterisks and blank lines inside <pre> stay.
    code = to_markdown("<p>Saída?</p>\n<pre>\nRUN make *\n\nCMD run\n</pre>", "html")
    assert render_markdown(code).strip() == "<p>Saída?</p>\n<pre>RUN make *\n\nCMD run\n</pre>"


def test_html_without_tags_is_literal_text():
    assert to_markdown("wrong", "html") == "wrong"
    assert to_markdown("  a &amp; b\n  *c*  ", "html") == "a &amp; b \\*c\\*"
    assert _shown(render_markdown(to_markdown("a &amp; b\n*c*", "html"))) == "a & b *c*"


def test_markdown_is_kept_and_unknown_formats_are_markdown():
    assert to_markdown("  **forte**  ", "markdown") == "**forte**"
    assert to_markdown("**forte**", None) == "**forte**"
    assert normalize_format("HTML") == "html"
    assert normalize_format("wiki") == "markdown"
    assert normalize_format("wiki", "plain") == "plain"
    assert escape_markdown("a_b") == "a\\_b"
