"""The project's own quiz YAML (content/quizzes/*.yaml): read with pydantic, written by dump_yaml.

Schema (fields not listed are rejected, so a typo never passes silently)::

    title: "Aula 45 – Containerização com Docker"   # obrigatório, até 200 caracteres
    slug: aula-45              # obrigatório: letras sem acento, números, "-" ou "_" (até 80)
    description: "..."         # opcional
    position: 0                # opcional, inteiro: ordem na lista de questionários (lida pelo Django)
    settings:                  # opcional: usadas só quando o questionário é criado; depois valem
      attempts_allowed: 2      # as do professor (admin). 0 = ilimitadas (padrão)
      grading_method: highest  # highest | last | average
      reveal_answers: after_last_attempt   # immediately | after_last_attempt | after_close
      marks_immediately: true  # marks_during / marks_immediately / marks_open / marks_closed
      is_practice: false       # prática: rotulada assim e fora do boletim
    practice:                  # opcional: uma cópia de prática com as mesmas questões
      slug: aula-45-pratica    # (tentativas ilimitadas, gabarito logo após cada tentativa)
      title: "..."
      description: "..."
    questions:                 # obrigatório, pelo menos uma; a ordem da lista é a ordem das questões
      - key: q1                # obrigatório e único: identifica a questão entre importações
        kind: single           # single | multiple | essay | command | shortanswer | numerical | matching
        text: "Enunciado em Markdown"      # obrigatório
        points: 1              # > 0 (padrão: 1)
        explanation: "..."     # opcional: mostrada depois da resposta
        choices:               # single/multiple: pelo menos 2; essay/command: nenhuma
          - key: a             # opcional (padrão: a, b, c... pela ordem)
            text: "..."        # obrigatório
            correct: true      # padrão: false (single: exatamente uma; multiple: pelo menos uma)
            fraction: 0.5      # opcional, -1..1: parte do crédito; as corretas de multiple somam 1
                               # (omitida: o crédito é dividido igualmente entre as corretas)
            feedback: "..."    # opcional: mostrado a quem escolhe esta alternativa
        expected_command: "docker run -d -p 8080:5000 minha-app-ml"   # só e obrigatório em kind: command
        category: Docker/Redes # opcional: categoria no banco, níveis separados por "/"
        name: "Porta do Flask" # opcional: rótulo do autor (o nome da questão no Moodle)
        penalty: 0.1           # opcional, 0..1: guardado (o Moodle o usa), não aplicado
        feedback_correct: "..."    # opcional: feedback combinado, escolhido pela nota
        feedback_partial: "..."
        feedback_incorrect: "..."
      - key: porta
        kind: shortanswer      # resposta curta: choices são as respostas aceitas, em ordem
        case_sensitive: false  # padrão: maiúsculas e minúsculas não diferem (acentos diferem)
        choices:
          - text: "50*"        # `*` casa com qualquer sequência; uma barra antes dele, um asterisco
            fraction: 1        # crédito 0..1 (uma delas 1; omitido: 1 se correct, senão 0)
            feedback: "..."
      - key: tamanho
        kind: numerical        # choices: valores (ou "*", qualquer número)
        units:                 # opcional: a primeira é a das respostas (multiplier 1)
          - {name: GB, multiplier: 1}
          - {name: MB, multiplier: 1024}   # "2048 MB" vale 2048 / 1024 = 2 GB
        choices:
          - {text: "2", tolerance: 0.1, fraction: 1}
      - key: pares
        kind: matching         # pelo menos 2 pares; um par sem stem é um distrator
        pairs:
          - {key: a, stem: "EXPOSE", answer: "documenta a porta"}
          - {answer: "apaga a imagem"}
    draws:                     # opcional: sorteios; cada tentativa mostra `count` questões sorteadas
      - category: Docker/Redes #   da categoria (ou de subcategorias), no lugar da primeira delas;
        count: 2               #   as questões de um sorteio valem os mesmos pontos

Errors name the field path (`questions[2].choices[0].text`, indices from 0) and, found through
`yaml.compose` node marks, the line.
"""

from __future__ import annotations

from types import UnionType
from typing import Any, Literal, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import ErrorDetails

from common.i18n import gettext_noop

from .model import (
    KINDS,
    ChoiceData,
    DrawData,
    Message,
    PracticeData,
    QuestionData,
    QuizData,
    QuizImportError,
    UnitData,
)
from .validation import finalize


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)  # key: 1 is fine as "1"


class _Choice(_Strict):
    key: str | None = None
    text: str = Field(min_length=1)
    correct: bool = False
    fraction: float = Field(0.0, ge=-1, le=1)
    feedback: str = ""
    tolerance: float = Field(0.0, ge=0)  # numerical


class _Pair(_Strict):
    """Matching: a stem and its answer; without a stem, a distractor."""

    key: str | None = None
    stem: str = ""
    answer: str = Field(min_length=1)


class _Unit(_Strict):
    name: str = Field(min_length=1)
    multiplier: float = Field(1.0, gt=0)


class _Question(_Strict):
    key: str = Field(min_length=1)
    kind: Literal["single", "multiple", "essay", "command", "shortanswer", "numerical", "matching"] = "single"
    text: str = Field(min_length=1)
    points: float = Field(1.0, gt=0)
    explanation: str = ""
    choices: list[_Choice] = []
    pairs: list[_Pair] = []
    expected_command: str = ""
    category: str = ""
    name: str = Field("", max_length=255)
    case_sensitive: bool = False
    units: list[_Unit] = []
    penalty: float = Field(0.0, ge=0, le=1)
    feedback_correct: str = ""
    feedback_partial: str = ""
    feedback_incorrect: str = ""


class _Draw(_Strict):
    category: str = Field(min_length=1)
    count: int = Field(ge=1)


class _Settings(_Strict):
    attempts_allowed: int = Field(0, ge=0, le=100)
    grading_method: Literal["highest", "last", "average"] = "highest"
    reveal_answers: Literal["immediately", "after_last_attempt", "after_close"] = "immediately"
    marks_during: bool = True
    marks_immediately: bool = True
    marks_open: bool = True
    marks_closed: bool = True
    is_practice: bool = False


class _Practice(_Strict):
    slug: str = Field(min_length=1, max_length=80)
    title: str = Field(min_length=1, max_length=200)
    description: str = ""


class _Quiz(_Strict):
    title: str = Field(min_length=1, max_length=200)
    slug: str = Field(min_length=1, max_length=80)
    description: str = ""
    position: int = 0
    settings: _Settings | None = None
    practice: _Practice | None = None
    questions: list[_Question] = Field(min_length=1)
    draws: list[_Draw] = []


# pydantic's error type -> what is wrong, its context ({gt}, {max_length}...) filled in.
_MESSAGES = {
    "missing": gettext_noop("required field missing"),
    "string_type": gettext_noop("should be a text"),
    "float_type": gettext_noop("should be a number"),
    "float_parsing": gettext_noop("should be a number"),
    "int_type": gettext_noop("should be a whole number"),
    "int_parsing": gettext_noop("should be a whole number"),
    "int_from_float": gettext_noop("should be a whole number"),
    "bool_type": gettext_noop("should be true or false"),
    "bool_parsing": gettext_noop("should be true or false"),
    "list_type": gettext_noop("should be a list (items starting with '- ')"),
    "model_type": gettext_noop("should be a mapping (field: value)"),
    "dict_type": gettext_noop("should be a mapping (field: value)"),
    "literal_error": gettext_noop("invalid value; expected one of: {kinds}"),
    "greater_than": gettext_noop("should be greater than {gt}"),
    "greater_than_equal": gettext_noop("should be greater than or equal to {ge}"),
    "less_than_equal": gettext_noop("should be less than or equal to {le}"),
    "too_short": gettext_noop("should have at least {min_length} item(s)"),
    "string_too_short": gettext_noop("cannot be empty"),
    "string_too_long": gettext_noop("should have at most {max_length} characters"),
}


def load_yaml(text: str, *, source: str) -> tuple[yaml.Node | None, Any]:
    """The document and its composed nodes (their marks give the line of a field path)."""
    try:
        return yaml.compose(text), yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise QuizImportError(
            gettext_noop("invalid YAML: {problem}."),
            line=mark.line + 1 if mark else None,
            source=source,
            problem=problem,
        ) from None


def parse_yaml(text: str, *, source: str = "questionario.yaml") -> QuizData:
    """Read the project YAML; raise QuizImportError with the field path and line."""
    root, data = load_yaml(text, source=source)
    if not isinstance(data, dict):
        raise QuizImportError(
            gettext_noop("expected a mapping with title, slug and questions at the top of the file."),
            line=1,
            source=source,
        )
    try:
        parsed = _Quiz.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc, root, source=source, schema=_Quiz) from None
    for index, q in enumerate(parsed.questions):
        if q.pairs and q.kind != "matching":
            raise QuizImportError(
                gettext_noop("questions[{index}].pairs: only matching questions have pairs (this one is {kind})."),
                line=_line(root, ("questions", index, "pairs")),
                source=source,
                index=index,
                kind=q.kind,
            )
    questions = [
        QuestionData(
            key=q.key,
            kind=q.kind,
            text=q.text,
            points=q.points,
            explanation=q.explanation,
            expected_command=q.expected_command,
            category=q.category,
            choices=[_choice(q, c, i) for i, c in enumerate(q.choices)]
            + [
                ChoiceData(key=p.key or chr(ord("a") + i), text=p.stem, is_correct=bool(p.stem), match=p.answer)
                for i, p in enumerate(q.pairs)
            ],
            name=q.name,
            case_sensitive=q.case_sensitive,
            units=[UnitData(name=u.name, multiplier=u.multiplier) for u in q.units],
            penalty=q.penalty,
            feedback_correct=q.feedback_correct,
            feedback_partial=q.feedback_partial,
            feedback_incorrect=q.feedback_incorrect,
        )
        for q in parsed.questions
    ]
    quiz = QuizData(
        title=parsed.title,
        slug=parsed.slug,
        description=parsed.description,
        questions=questions,
        settings=parsed.settings.model_dump(exclude_unset=True) if parsed.settings else {},
        practice=PracticeData(**parsed.practice.model_dump()) if parsed.practice else None,
        draws=[DrawData(category=d.category, count=d.count) for d in parsed.draws],
    )
    lines = [_line(root, ("questions", i)) for i in range(len(questions))]
    return finalize(quiz, source=source, lines=lines)


def _choice(q: _Question, c: _Choice, index: int) -> ChoiceData:
    fraction = c.fraction
    if q.kind in ("shortanswer", "numerical") and "fraction" not in c.model_fields_set:
        fraction = 1.0 if c.correct else 0.0  # an accepted answer marked correct gives all the points
    return ChoiceData(
        key=c.key or chr(ord("a") + index),
        text=c.text,
        is_correct=c.correct,
        fraction=fraction,
        feedback=c.feedback,
        tolerance=c.tolerance,
    )


def validation_error(exc: ValidationError, root: yaml.Node | None, *, source: str, schema: Any) -> QuizImportError:
    """pydantic's first error as the file's author reads it: the field path, what is wrong,
    the line (through the composed YAML's marks) and how many more problems the file has.
    `schema` is the type validated (a model, or e.g. dict[str, Model]): it names the fields
    valid where an unknown one was found."""
    errors = exc.errors()
    first = errors[0]
    line, path, problem = _line(root, first["loc"]), _path(first["loc"]), _message(first, schema)
    if len(errors) > 1:
        return QuizImportError(
            gettext_noop("{path}: {problem} (and {count} more problem(s) in the file)"),
            line=line,
            source=source,
            path=path,
            problem=problem,
            count=len(errors) - 1,
        )
    return QuizImportError(gettext_noop("{path}: {problem}"), line=line, source=source, path=path, problem=problem)


def _path(loc: tuple) -> str | Message:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or Message(gettext_noop("(root)"))


def _model_at(schema: Any, loc: tuple) -> Any:
    """The type found at `loc` inside `schema`: a model's field, a list's item, a mapping's value."""
    for part in loc:
        schema = _unoptional(schema)
        if isinstance(schema, type) and issubclass(schema, BaseModel):
            field = schema.model_fields.get(part) if isinstance(part, str) else None
            if field is None:
                return schema
            schema = field.annotation
        else:
            args = get_args(schema)
            if not args:
                return schema
            schema = args[-1]  # list[X] -> X, dict[K, V] -> V
    return _unoptional(schema)


def _unoptional(schema: Any) -> Any:
    """X | None -> X."""
    if get_origin(schema) in (Union, UnionType):
        kept = [arg for arg in get_args(schema) if arg is not type(None)]
        return kept[0] if len(kept) == 1 else schema
    return schema


def _message(error: ErrorDetails, schema: Any) -> str | Message:
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "extra_forbidden":
        model = _model_at(schema, error["loc"][:-1])
        fields = ", ".join(model.model_fields) if isinstance(model, type) and issubclass(model, BaseModel) else ""
        return Message(gettext_noop("unknown field; valid fields here: {fields}"), fields=fields)
    template = _MESSAGES.get(kind)
    # pydantic's own English text when the error is not one of ours
    problem = Message(template, **ctx, kinds=", ".join(KINDS)) if template else error["msg"]
    if kind == "missing":
        return problem
    return Message(gettext_noop("{problem} (found: {found})"), problem=problem, found=repr(error.get("input"))[:60])


def _line(node: yaml.Node | None, loc: tuple) -> int | None:
    """Follow a pydantic location through the composed YAML; the deepest node reached gives the line."""
    if node is None:
        return None
    line = node.start_mark.line + 1
    for part in loc:
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            pair = next(((k, v) for k, v in node.value if getattr(k, "value", None) == part), None)
            if pair is None:
                break
            line, node = pair[0].start_mark.line + 1, pair[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line


class _Dumper(yaml.SafeDumper):
    pass


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None  # multi-line statements stay readable as blocks
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def dump_yaml(quiz: QuizData) -> str:
    """The quiz in the schema above; parse_yaml(dump_yaml(q)) == q for a validated quiz."""
    data: dict[str, Any] = {"title": quiz.title, "slug": quiz.slug}
    if quiz.description:
        data["description"] = quiz.description
    if quiz.settings:
        data["settings"] = dict(quiz.settings)
    if quiz.practice:
        data["practice"] = {k: v for k, v in vars(quiz.practice).items() if v}
    data["questions"] = [_dump_question(q) for q in quiz.questions]
    if quiz.draws:
        data["draws"] = [{"category": d.category, "count": d.count} for d in quiz.draws]
    return yaml.dump(
        data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=4096
    )  # no folding: one line per text, clean diffs


def _dump_question(q: QuestionData) -> dict[str, Any]:
    out: dict[str, Any] = {"key": q.key, "kind": q.kind, "text": q.text, "points": _number(q.points)}
    if q.name:
        out["name"] = q.name
    if q.explanation:
        out["explanation"] = q.explanation
    if q.case_sensitive:
        out["case_sensitive"] = True
    if q.units:
        out["units"] = [{"name": u.name, "multiplier": _number(u.multiplier)} for u in q.units]
    if q.kind == "matching":
        out["pairs"] = [{"key": c.key, **({"stem": c.text} if c.text else {}), "answer": c.match} for c in q.choices]
    elif q.kind in ("shortanswer", "numerical"):
        out["choices"] = [
            {
                "key": c.key,
                "text": c.text,
                "fraction": _number(c.fraction),
                **({"tolerance": _number(c.tolerance)} if c.tolerance else {}),
                **({"feedback": c.feedback} if c.feedback else {}),
            }
            for c in q.choices
        ]
    elif q.choices:
        out["choices"] = []
        for c in q.choices:
            choice: dict[str, Any] = {"key": c.key, "text": c.text, "correct": c.is_correct}
            # single: the right one is worth 1 and the rest 0 unless the author gave partial credit
            default = (1.0 if c.is_correct else 0.0) if q.kind == "single" else None
            if c.fraction != default:
                choice["fraction"] = _number(c.fraction)
            if c.feedback:
                choice["feedback"] = c.feedback
            out["choices"].append(choice)
    if q.expected_command:
        out["expected_command"] = q.expected_command
    if q.category:
        out["category"] = q.category
    if q.penalty:
        out["penalty"] = _number(q.penalty)
    for name in ("feedback_correct", "feedback_partial", "feedback_incorrect"):
        if getattr(q, name):
            out[name] = getattr(q, name)
    return out
