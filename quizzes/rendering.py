"""The quiz page's question fields, rendered in Python.

The attempt page is the page a whole class loads at once, and with every question on one page
it is a few hundred template nodes per question: Django's template engine spent about half
of the page's time there (see docs/BENCHMARKS.md). The same HTML is built here with plain
string formatting, so the rule is strict: every value inserted is an int (`%d`), passes
through `_e` (html.escape, quotes included), or is already-sanitised HTML from
common.markdown_html (the instructor's Markdown). What the markup must keep: the fieldset's id
(the autosave's hx-include), one label per input, and the status line the autosave answer
replaces.
"""

from functools import lru_cache
from html import escape as _e

from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext

from common.markdown_html import render_markdown, render_markdown_inline

from .selectors import QuestionView
from .services import TYPED_ANSWER_MAX


@lru_cache(maxsize=8)
def _labels(language: str) -> dict[str, str]:
    """The fixed texts of a question field, translated and escaped once per language (the
    cache is keyed by the active language, under which gettext runs)."""
    texts = {
        "worth": gettext("Worth"),
        "multiple_help": gettext(
            "Several answers may be correct. Each correct choice earns its share of the points "
            "and each wrong one takes a share away; a question never scores below zero."
        ),
        "your_command": gettext("Your command"),
        "command_help": gettext(
            "Type the command as you would in a terminal. It is never run: it is compared with "
            "the expected one by meaning (flags in any order, short or long forms)."
        ),
        "your_answer": gettext("Your answer"),
        "essay_help": gettext("An instructor reviews this answer; its score appears once it is released."),
        "saved": gettext("Saved"),
        "shortanswer_help": gettext("Type a short answer."),
        "numerical_help": gettext("Type a number; a decimal comma or point are both fine."),
        "units": gettext("Units accepted"),
        "matching_help": gettext("Choose the answer that goes with each item."),
        "choose": gettext("Choose…"),
    }
    return {key: _e(value) for key, value in texts.items()}


def autosave_urls(attempt_id: int):
    """question id -> this attempt's autosave URL, reversing once per page rather than once
    per question (reverse() was a tenth of the page's time)."""
    sample = reverse("quizzes:autosave", args=[int(attempt_id), 0])
    if not sample.endswith("/0/"):  # the route changed shape: stay correct, if slower
        return lambda question_id: reverse("quizzes:autosave", args=[int(attempt_id), int(question_id)])
    prefix = sample[: -len("0/")]
    return lambda question_id: f"{prefix}{int(question_id)}/"


def question_field(view: QuestionView, *, attempt_id: int, save_url=None) -> SafeString:
    """One question of an attempt in progress: its text, its input(s) with the learner's
    answer filled in, and the status line the autosave answer replaces. `save_url` is an
    autosave_urls() of the same attempt, when the caller renders several questions."""
    q = view.question
    pk = int(q.pk)
    labels = _labels(get_language() or "")
    save_url = _e((save_url or autosave_urls(attempt_id))(pk))
    # Attributes every input of this question shares: save on change, this fieldset's values.
    hx = f'hx-post="{save_url}" hx-include="#question-{pk}" hx-target="#saved-q{pk}" hx-swap="innerHTML"'
    parts = [
        # tabindex=-1: a link to #question-N (the submit step's list of unanswered questions) moves
        # keyboard focus to the question itself, not only the scroll position.
        f'<fieldset class="question card" id="question-{pk}" tabindex="-1" aria-describedby="saved-q{pk}">\n'
        f'<legend><span class="question-number">{_e(gettext("Question %(n)s") % {"n": int(view.number)})}</span>\n'
        f'<span class="muted small">· {labels["worth"]} {_e(str(floatformat(q.points, "-2")))}</span></legend>\n'
        f'<div class="prose question-text">{render_markdown(q.text)}</div>\n'
    ]
    answer_text = _e(view.answer.text) if view.answer else ""
    if q.kind in ("single", "multiple"):
        if q.kind == "multiple":
            parts.append(f'<p class="help">{labels["multiple_help"]}</p>\n')
        kind = "radio" if q.kind == "single" else "checkbox"
        parts.append('<ul class="choices">\n')
        for choice in view.choices:
            checked = " checked" if choice.pk in view.selected_ids else ""
            parts.append(
                f'<li>\n<label class="choice">\n'
                f'<input type="{kind}" name="q{pk}" value="{int(choice.pk)}"{checked} hx-trigger="change" {hx}>\n'
                f'<span class="choice-key">{_e(choice.key)})</span> <span>{render_markdown_inline(choice.text)}</span>\n'
                f"</label>\n</li>\n"
            )
        parts.append("</ul>\n")
    elif q.kind == "command":
        parts.append(
            f'<label for="q{pk}-input" class="visually-hidden">{labels["your_command"]}</label>\n'
            f'<input type="text" id="q{pk}-input" class="code-input" name="q{pk}" value="{answer_text}" '
            f'autocomplete="off" autocapitalize="off" spellcheck="false" placeholder="docker …" '
            f'hx-trigger="input changed delay:500ms, change" {hx}>\n'
            f'<p class="help">{labels["command_help"]}</p>\n'
        )
    elif q.kind in ("shortanswer", "numerical"):
        parts.append(_typed_input(view, pk, answer_text, labels, hx))
    elif q.kind == "matching":
        parts.append(_matching_selects(view, pk, labels, hx))
    else:
        # The newline after <textarea> is dropped by the HTML parser, so an answer that
        # starts with a blank line keeps it.
        parts.append(
            f'<label for="q{pk}-input" class="visually-hidden">{labels["your_answer"]}</label>\n'
            f'<textarea id="q{pk}-input" name="q{pk}" rows="8" hx-trigger="input changed delay:700ms, change" {hx}>\n'
            f"{answer_text}</textarea>\n"
            f'<p class="help">{labels["essay_help"]}</p>\n'
        )
    saved = f'<span class="muted">{labels["saved"]}</span>' if view.answered else ""
    parts.append(f'<p class="saved-state" id="saved-q{pk}" role="status" aria-live="polite">{saved}</p>\n</fieldset>\n')
    return mark_safe("".join(parts))  # noqa: S308 - see the module's rule: every value escaped or sanitised


def _typed_input(view: QuestionView, pk: int, answer_text: str, labels: dict[str, str], hx: str) -> str:
    """Short answer and numerical: one labelled line; a numerical one says the units it takes."""
    q = view.question
    numerical = q.kind == "numerical"
    help_id = f"q{pk}-help"
    extra = ' inputmode="decimal"' if numerical else ""
    help_text = labels["numerical_help"] if numerical else labels["shortanswer_help"]
    units = [str(unit.get("name", "")) for unit in q.units] if numerical else []
    units_line = ""
    if units:
        first = _e(gettext("Without a unit, the number is read in %(unit)s.") % {"unit": units[0]})
        names = ", ".join(f"<code>{_e(name)}</code>" for name in units)
        units_line = f'<p class="help" id="q{pk}-units">{labels["units"]}: {names}. {first}</p>\n'
        help_id += f" q{pk}-units"
    return (
        f'<label for="q{pk}-input">{labels["your_answer"]}</label>\n'
        f'<input type="text" id="q{pk}-input" class="typed-input" name="q{pk}" value="{answer_text}"{extra} '
        f'maxlength="{int(TYPED_ANSWER_MAX[q.kind])}" autocomplete="off" spellcheck="false" '
        f'aria-describedby="{help_id}" hx-trigger="input changed delay:500ms, change" {hx}>\n'
        f'<p class="help" id="q{pk}-help">{help_text}</p>\n{units_line}'
    )


def _matching_selects(view: QuestionView, pk: int, labels: dict[str, str], hx: str) -> str:
    """Matching: one select per stem, labelled by the stem; every select offers the same answers
    (distractors included) in this attempt's order, and an empty first option."""
    response = view.answer.response if view.answer else {}
    rows = [f'<p class="help">{labels["matching_help"]}</p>\n<dl class="matching">\n']
    for stem in view.stems:
        sid = int(stem.pk)
        chosen = response.get(str(sid), "")
        options = [f'<option value="">{labels["choose"]}</option>']
        for text in view.options:
            selected = " selected" if text == chosen else ""
            options.append(f'<option value="{_e(text)}"{selected}>{_e(text)}</option>')
        rows.append(
            f'<dt><label for="q{pk}-s{sid}">{render_markdown_inline(stem.text)}</label></dt>\n'
            f'<dd><select id="q{pk}-s{sid}" name="q{pk}-s{sid}" hx-trigger="change" {hx}>'
            f"{''.join(options)}</select></dd>\n"
        )
    rows.append("</dl>\n")
    return "".join(rows)
