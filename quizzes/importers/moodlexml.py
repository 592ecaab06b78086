"""Moodle XML (Question bank → Export → Moodle XML format), read and written.

Read: multichoice (one answer → single, several → multiple with Moodle's fractions), truefalse
(single, Verdadeiro/Falso), shortanswer, numerical (tolerances, `*`, units), matching (an empty
stem is a distractor), essay, and the `category` pseudo-questions that set the category of the
questions after them (`$course$/top/Docker/Redes` → "Docker/Redes"). Texts in any of Moodle's
formats go through textformat.py (shared with GIFT): Markdown that renders as Moodle shows them.
Every other type (description, Cloze, calculated, drag and drop, random...) and every part we
cannot keep (embedded files, interactive hints, essay grader information/templates/attachments)
is collected with its question's name and line: the import fails listing all of them, with
every other problem of the file, unless `skip_unsupported` — then they are left out and listed
in `QuizData.notes`.

The XML is parsed by the standard library's expat with every DTD refused before it is read:
Moodle's export has none, and without a DTD there are no entities to expand (billion laughs)
and no external ones to fetch (XXE: local files, the network).

Written (`dump_moodle_xml`): every kind, texts as Markdown in CDATA, categories as category
pseudo-questions, the key as <idnumber>. Moodle has no docker-command type: a `command`
question is written as a shortanswer whose one answer is the expected command (Moodle compares
it as text), marked with an <estaleiro_kind> element Moodle ignores, so that reading our own
export gives the command question back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePath
from xml.parsers import expat

from common.i18n import gettext_noop

from .model import ChoiceData, Message, QuestionData, QuizData, QuizImportError, UnitData, true_false_choices
from .textformat import to_markdown
from .validation import finalize, parse_number, slugify, unique_key

MAX_BYTES = 16 * 1024 * 1024  # a bank of thousands of questions; images are not imported anyway
SUPPORTED = ("multichoice", "truefalse", "shortanswer", "numerical", "matching", "essay")
_CATEGORY_PREFIX = re.compile(r"^\$(course|system|module|cat\d*)\$/?")
_TRUE = ("1", "true")


class _Refused(Exception):
    def __init__(self, error: QuizImportError):
        self.error = error


@dataclass
class _Node:
    tag: str
    attrs: dict[str, str]
    line: int
    children: list[_Node] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)

    @property
    def data(self) -> str:
        return "".join(self.parts)

    def find(self, tag: str) -> _Node | None:
        return next((child for child in self.children if child.tag == tag), None)

    def findall(self, tag: str) -> list[_Node]:
        return [child for child in self.children if child.tag == tag]

    def value(self, tag: str, default: str = "") -> str:
        """The text of a child element (<penalty>0.33</penalty>), stripped."""
        child = self.find(tag)
        return child.data.strip() if child is not None else default

    def text(self) -> str:
        """The <text> inside this element (Moodle's wrapper of every text), as written."""
        inner = self.find("text")
        return inner.data if inner is not None else ""


def read_xml(text: str, *, source: str) -> _Node:
    """The document as a tree of _Node, or a QuizImportError saying why it is refused."""
    data = text.lstrip("\ufeff").encode("utf-8")
    if len(data) > MAX_BYTES:
        raise QuizImportError(
            gettext_noop("the file has {size} MB; the maximum for a Moodle XML file is {max} MB."),
            source=source,
            size=f"{len(data) / 1024 / 1024:.1f}",
            max=MAX_BYTES // 1024 // 1024,
        )
    parser = expat.ParserCreate("UTF-8")  # the text was decoded already: its bytes are UTF-8
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    stack: list[_Node] = []
    roots: list[_Node] = []

    def refuse_dtd(*_args: object) -> int:
        raise _Refused(
            QuizImportError(
                gettext_noop(
                    "the file declares a DTD or entities (<!DOCTYPE ...>), which a Moodle export never has "
                    "and which can hide entity expansions or reads of other files: refused."
                ),
                line=parser.CurrentLineNumber,
                source=source,
            )
        )

    def start(tag: str, attrs: dict[str, str]) -> None:
        node = _Node(tag, attrs, parser.CurrentLineNumber)
        (stack[-1].children if stack else roots).append(node)
        stack.append(node)

    def end(_tag: str) -> None:
        stack.pop()

    def characters(chunk: str) -> None:
        if stack:
            stack[-1].parts.append(chunk)

    parser.StartDoctypeDeclHandler = refuse_dtd
    parser.EntityDeclHandler = refuse_dtd
    parser.ExternalEntityRefHandler = refuse_dtd
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = characters
    parser.buffer_text = True
    try:
        parser.Parse(data, True)
    except _Refused as refused:
        raise refused.error from None
    except expat.ExpatError as exc:
        raise QuizImportError(
            gettext_noop(
                "this is not well-formed XML ({problem}); expected a Moodle XML export "
                "(Question bank → Export → Moodle XML format)."
            ),
            line=exc.lineno,
            source=source,
            problem=expat.ErrorString(exc.code),
        ) from None
    root = roots[0]
    if root.tag != "quiz":
        raise QuizImportError(
            gettext_noop("the document's root element is <{tag}>; a Moodle XML export starts with <quiz>."),
            line=root.line,
            source=source,
            tag=root.tag,
        )
    return root


def category_path(moodle_path: str) -> str:
    """ "$course$/top/Docker/Redes" -> "Docker/Redes" (the context and Moodle's top level dropped)."""
    path = _CATEGORY_PREFIX.sub("", moodle_path.strip())
    path = re.sub(r"^top(/|$)", "", path)
    return "/".join(part.strip() for part in path.split("/") if part.strip())


class _Reader:
    """One file: questions read in order, every problem kept (not only the first)."""

    def __init__(self, source: str, skip_unsupported: bool):
        self.source, self.skip = source, skip_unsupported
        self.errors: list[QuizImportError] = []  # the file cannot be imported as it is
        self.unsupported: list[QuizImportError] = []  # could be left out with skip_unsupported
        self.notes: list[QuizImportError] = []  # imported, but not quite as Moodle would run it

    def error(self, msgid: str, node: _Node, **params) -> QuizImportError:
        return QuizImportError(msgid, line=node.line, source=self.source, **params)

    def read(self, root: _Node) -> tuple[list[QuestionData], list[int]]:
        questions: list[QuestionData] = []
        lines: list[int] = []
        category = ""
        for node in root.findall("question"):
            kind = node.attrs.get("type", "")
            if kind == "category":
                category_node = node.find("category")
                category = category_path(category_node.text() if category_node is not None else "")
                continue
            name = _child_text(node, "name").strip()
            if kind not in SUPPORTED:
                self.skippable(
                    self.error(
                        gettext_noop("question '{name}' is of Moodle type '{type}', which Estaleiro does not support."),
                        node,
                        name=name,
                        type=kind or "?",
                    )
                )
                continue
            before = len(self.errors)
            question = self.question(node, kind, name)
            if question is None or len(self.errors) > before:
                continue
            question.category = category
            questions.append(question)
            lines.append(node.line)
        return questions, lines

    # -- parts common to every type ---------------------------------------------------------
    def formatted(self, node: _Node | None, question: _Node, name: str) -> str:
        """A text element (<questiontext format="html"><text>...</text><file/></questiontext>) as Markdown."""
        if node is None:
            return ""
        for embedded in node.findall("file"):
            self.unsupported_part(
                embedded,
                name,
                gettext_noop("embedded file '{file}' (images and attachments are not imported)"),
                file=embedded.attrs.get("name", "?"),
            )
        return to_markdown(node.text(), node.attrs.get("format", "html"))

    def unsupported_part(self, node: _Node, name: str, part: str, **params) -> None:
        self.skippable(
            self.error(
                gettext_noop("question '{name}': not supported: {part}."), node, name=name, part=Message(part, **params)
            )
        )

    def skippable(self, error: QuizImportError) -> None:
        error.skippable = True  # type: ignore[attr-defined]  # read by import_quiz: --skip-unsupported helps
        self.unsupported.append(error)

    def number(self, node: _Node, raw: str, name: str, default: float) -> float:
        if not raw:
            return default
        value = parse_number(raw)
        if value is None:
            self.errors.append(
                self.error(gettext_noop("question '{name}': '{value}' is not a number."), node, name=name, value=raw)
            )
            return default
        return value

    def question(self, node: _Node, kind: str, name: str) -> QuestionData | None:
        text = self.formatted(node.find("questiontext"), node, name)
        q = QuestionData(
            key=node.value("idnumber"),
            kind="essay",
            text=text,
            name=name,
            points=self.number(node, node.value("defaultgrade"), name, 1.0),
            penalty=self.number(node, node.value("penalty"), name, 0.0),
            explanation=self.formatted(node.find("generalfeedback"), node, name),
            feedback_correct=self.formatted(node.find("correctfeedback"), node, name),
            feedback_partial=self.formatted(node.find("partiallycorrectfeedback"), node, name),
            feedback_incorrect=self.formatted(node.find("incorrectfeedback"), node, name),
        )
        if any(hint.text().strip() for hint in node.findall("hint")):
            self.unsupported_part(node, name, gettext_noop("hints for Moodle's interactive mode"))
        getattr(self, f"_{kind}")(node, q)
        return q

    def answers(self, node: _Node, q: QuestionData, *, plain: bool) -> list[ChoiceData]:
        choices = []
        for index, answer in enumerate(node.findall("answer")):
            percent = self.number(answer, answer.attrs.get("fraction", "0"), q.name, 0.0)
            raw = answer.text()
            choices.append(
                ChoiceData(
                    key=chr(ord("a") + index) if index < 26 else f"a{index}",
                    text=raw.strip() if plain else to_markdown(raw, answer.attrs.get("format", "html")),
                    is_correct=percent > 0,
                    fraction=round(percent / 100, 7),
                    feedback=self.formatted(answer.find("feedback"), node, q.name),
                )
            )
        return choices

    # -- the types ----------------------------------------------------------------------------
    def _multichoice(self, node: _Node, q: QuestionData) -> None:
        q.choices = self.answers(node, q, plain=False)
        if node.value("single", "true").lower() in _TRUE:
            q.kind = "single"
            for choice in q.choices:
                choice.is_correct = choice.fraction >= 1
        else:
            q.kind = "multiple"

    def _truefalse(self, node: _Node, q: QuestionData) -> None:
        answers = {a.text().strip().lower(): a for a in node.findall("answer")}
        true, false = answers.get("true"), answers.get("false")
        if true is None or false is None:
            self.errors.append(
                self.error(
                    gettext_noop("question '{name}': a true/false question needs the answers 'true' and 'false'."),
                    node,
                    name=q.name,
                )
            )
            return
        truth = self.number(true, true.attrs.get("fraction", "0"), q.name, 0.0) > 0
        q.kind = "single"
        q.choices = true_false_choices(
            truth,
            self.formatted(true.find("feedback"), node, q.name),
            self.formatted(false.find("feedback"), node, q.name),
        )

    def _shortanswer(self, node: _Node, q: QuestionData) -> None:
        q.kind = "command" if node.value("estaleiro_kind") == "command" else "shortanswer"
        q.choices = self.answers(node, q, plain=True)
        q.case_sensitive = node.value("usecase") in _TRUE
        if q.kind == "command":
            q.expected_command = q.choices[0].text if q.choices else ""
            q.choices, q.case_sensitive = [], False

    def _numerical(self, node: _Node, q: QuestionData) -> None:
        q.kind = "numerical"
        q.choices = self.answers(node, q, plain=True)
        for choice, answer in zip(q.choices, node.findall("answer"), strict=True):
            choice.tolerance = abs(self.number(answer, answer.value("tolerance"), q.name, 0.0))
        units = node.find("units")
        for unit in units.findall("unit") if units is not None else []:
            q.units.append(UnitData(unit.value("unit_name"), self.number(unit, unit.value("multiplier"), q.name, 1.0)))
        penalty = self.number(node, node.value("unitpenalty"), q.name, 0.0)
        if q.units and node.value("unitgradingtype", "0") not in ("", "0") and penalty > 0:
            self.notes.append(
                self.error(
                    gettext_noop(
                        "question '{name}': Moodle applies a {penalty}% penalty for a wrong or missing unit; here the "
                        "unit is optional: a number without a unit is read in '{unit}', and an unknown unit "
                        "scores 0."
                    ),
                    node,
                    name=q.name,
                    penalty=f"{penalty * 100:g}",
                    unit=q.units[0].name,
                )
            )

    def _matching(self, node: _Node, q: QuestionData) -> None:
        q.kind = "matching"
        for index, sub in enumerate(node.findall("subquestion")):
            answer = sub.find("answer")
            q.choices.append(
                ChoiceData(
                    key=chr(ord("a") + index) if index < 26 else f"a{index}",
                    text=self.formatted(sub, node, q.name),
                    is_correct=False,
                    match=answer.text().strip() if answer is not None else "",
                )
            )

    def _essay(self, node: _Node, q: QuestionData) -> None:
        q.kind = "essay"
        if self.formatted(node.find("graderinfo"), node, q.name):
            self.unsupported_part(node, q.name, gettext_noop("information for graders"))
        if self.formatted(node.find("responsetemplate"), node, q.name):
            self.unsupported_part(node, q.name, gettext_noop("a response template"))
        if node.value("attachments", "0") not in ("", "0"):
            self.unsupported_part(node, q.name, gettext_noop("attaching files to the answer"))


def _child_text(node: _Node, tag: str) -> str:
    child = node.find(tag)
    return child.text() if child is not None else ""


def parse_moodle_xml(
    text: str,
    *,
    source: str = "questoes.xml",
    title: str | None = None,
    slug: str | None = None,
    skip_unsupported: bool = False,
) -> QuizData:
    """Read a Moodle XML export; the quiz title and slug default to the file name."""
    root = read_xml(text, source=source)
    reader = _Reader(source, skip_unsupported)
    questions, lines = reader.read(root)
    stem = PurePath(source).stem or "questionario"
    quiz = QuizData(title=title or stem, slug=slug or slugify(stem, max_length=80), questions=questions)
    _assign_keys(questions)
    finalize(quiz, source=source, lines=lines, earlier=reader.errors + ([] if skip_unsupported else reader.unsupported))
    quiz.notes = sorted(reader.unsupported + reader.notes, key=lambda note: note.line or 0)
    return quiz


def _assign_keys(questions: list[QuestionData]) -> None:
    """<idnumber> is the author's key (two alike are an error); otherwise the name's slug, made
    unique by position (names are labels: several questions may share one)."""
    explicit = {slugify(q.key, max_length=80) for q in questions if slugify(q.key, max_length=80)}
    taken: set[str] = set()
    for q in questions:
        q.key = slugify(q.key, max_length=80)
        if not q.key:
            base = slugify(q.name, max_length=60) or slugify(q.text, max_words=6) or "questao"
            q.key = unique_key(base, taken | explicit)
        taken.add(q.key)


# -- export ------------------------------------------------------------------------------------

_NOT_XML = re.compile(r"[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _cdata(text: str) -> str:
    text = _NOT_XML.sub("", text)
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _escape(text: str) -> str:
    return _NOT_XML.sub("", text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _num(value: float, digits: int = 7) -> str:
    value = round(value, digits)
    return str(int(value)) if float(value).is_integer() else repr(value)


def _text(tag: str, text: str, fmt: str = "markdown", indent: str = "    ") -> str:
    return f'{indent}<{tag} format="{fmt}">\n{indent}  <text>{_cdata(text)}</text>\n{indent}</{tag}>\n'


def _is_true_false(q: QuestionData) -> bool:
    return q.kind == "single" and [(c.key, c.text) for c in q.choices] == [("a", "Verdadeiro"), ("b", "Falso")]


def dump_moodle_xml(quiz: QuizData) -> str:
    """The quiz's questions as Moodle XML; parse_moodle_xml(dump_moodle_xml(q)) gives the same
    questions (kind, texts, choices, fractions, keys, categories...) for a validated quiz."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n']
    category = None
    for q in quiz.questions:
        if q.category != category and (category is not None or q.category):
            out.append(
                '  <question type="category">\n'
                f"    <category>\n      <text>{_escape('$course$/top/' + q.category if q.category else '$course$/top')}"
                "</text>\n    </category>\n  </question>\n"
            )
        category = q.category
        out.append(_question(q))
    out.append("</quiz>\n")
    return "".join(out)


def _question(q: QuestionData) -> str:
    moodle_type = {
        "single": "multichoice",
        "multiple": "multichoice",
        "command": "shortanswer",
    }.get(q.kind, q.kind)
    if _is_true_false(q):
        moodle_type = "truefalse"
    parts = []
    if q.kind == "command":
        parts.append("  <!-- Estaleiro: a docker command question; Moodle compares the answer as text. -->\n")
    parts.append(f'  <question type="{moodle_type}">\n')
    parts.append(f"    <name>\n      <text>{_escape(q.name or q.key)}</text>\n    </name>\n")
    parts.append(_text("questiontext", q.text))
    parts.append(_text("generalfeedback", q.explanation))
    parts.append(f"    <defaultgrade>{_num(q.points)}</defaultgrade>\n")
    parts.append(f"    <penalty>{_num(q.penalty)}</penalty>\n")
    parts.append("    <hidden>0</hidden>\n")
    parts.append(f"    <idnumber>{_escape(q.key)}</idnumber>\n")
    for tag, text in (
        ("correctfeedback", q.feedback_correct),
        ("partiallycorrectfeedback", q.feedback_partial),
        ("incorrectfeedback", q.feedback_incorrect),
    ):
        if text:
            parts.append(_text(tag, text))
    if moodle_type == "truefalse":
        for choice, word in zip(q.choices, ("true", "false"), strict=True):
            parts.append(_answer(word, choice.fraction, choice.feedback, fmt="moodle_auto_format"))
    elif moodle_type == "multichoice":
        parts.append(f"    <single>{'true' if q.kind == 'single' else 'false'}</single>\n")
        parts.append("    <shuffleanswers>true</shuffleanswers>\n    <answernumbering>abc</answernumbering>\n")
        for choice in q.choices:
            parts.append(_answer(choice.text, choice.fraction, choice.feedback))
    elif q.kind == "command":
        parts.append("    <estaleiro_kind>command</estaleiro_kind>\n    <usecase>0</usecase>\n")
        parts.append(_answer(q.expected_command, 1.0, "", fmt="moodle_auto_format"))
    elif q.kind == "shortanswer":
        parts.append(f"    <usecase>{1 if q.case_sensitive else 0}</usecase>\n")
        for choice in q.choices:
            parts.append(_answer(choice.text, choice.fraction, choice.feedback, fmt="moodle_auto_format"))
    elif q.kind == "numerical":
        for choice in q.choices:
            tolerance = f"      <tolerance>{_num(choice.tolerance)}</tolerance>\n"
            parts.append(_answer(choice.text, choice.fraction, choice.feedback, "moodle_auto_format", tolerance))
        if q.units:
            parts.append("    <units>\n")
            for unit in q.units:
                parts.append(
                    f"      <unit>\n        <multiplier>{_num(unit.multiplier)}</multiplier>\n"
                    f"        <unit_name>{_escape(unit.name)}</unit_name>\n      </unit>\n"
                )
            parts.append("    </units>\n")
        parts.append(
            "    <unitgradingtype>0</unitgradingtype>\n    <unitpenalty>0</unitpenalty>\n"
            f"    <showunits>{0 if q.units else 3}</showunits>\n    <unitsleft>0</unitsleft>\n"
        )
    elif q.kind == "matching":
        parts.append("    <shuffleanswers>true</shuffleanswers>\n")
        for choice in q.choices:
            parts.append(
                f'    <subquestion format="markdown">\n      <text>{_cdata(choice.text)}</text>\n'
                f"      <answer>\n        <text>{_cdata(choice.match)}</text>\n      </answer>\n"
                "    </subquestion>\n"
            )
    elif q.kind == "essay":
        parts.append(
            "    <responseformat>editor</responseformat>\n    <responserequired>1</responserequired>\n"
            "    <responsefieldlines>10</responsefieldlines>\n    <attachments>0</attachments>\n"
        )
    parts.append("  </question>\n")
    return "".join(parts)


def _answer(text: str, fraction: float, feedback: str, fmt: str = "markdown", extra: str = "") -> str:
    return (
        f'    <answer fraction="{_num(fraction * 100, 5)}" format="{fmt}">\n'
        f"      <text>{_cdata(text)}</text>\n"
        f"{_text('feedback', feedback, indent='      ')}"
        f"{extra}"
        "    </answer>\n"
    )
