"""Checks common to every import format, in one place.

Each parser only reads its syntax; whether the result is a sound quiz (one right answer in a
single-choice question, credit shares that add up, a command the checker can read) is decided
here, so the rules cannot drift apart between GIFT, Aiken, the lesson text and YAML.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from ..docker_command import CommandParseError, parse_docker_command
from .model import KINDS, QuestionData, QuizData, QuizImportError

_SLUG = re.compile(r"^[-a-zA-Z0-9_]+$")  # what Django's SlugField accepts
_TOLERANCE = 0.01  # GIFT writes thirds as 33.333%: the sum is 0.99999, still "1"
TITLE_MAX, SLUG_MAX, CHOICE_KEY_MAX = 200, 80, 16  # the database columns


def slugify(text: str, *, max_words: int | None = None, max_length: int = 50) -> str:
    """"Questão 3: docker run?" -> "questao-3-docker-run" (ASCII, for keys and slugs)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())[:max_words]
    return "-".join(words)[:max_length].strip("-")


def unique_key(base: str, taken: set[str]) -> str:
    """Generated keys (GIFT questions without a title) must not collide: "x", "x-2", "x-3"..."""
    key, n = base, 2
    while key in taken:
        key, n = f"{base}-{n}", n + 1
    taken.add(key)
    return key


def plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def finalize(quiz: QuizData, *, source: str = "", lines: Sequence[int | None] = ()) -> QuizData:
    """Validate (and complete: positions, credit shares) a parsed quiz; raise QuizImportError.

    `lines[i]` is the source line where question i starts, so errors point at it.
    """
    quiz.title, quiz.slug, quiz.description = quiz.title.strip(), quiz.slug.strip(), quiz.description.strip()
    if not quiz.title:
        raise QuizImportError("o questionário não tem título; esperado um texto não vazio.", source=source)
    if len(quiz.title) > TITLE_MAX:
        raise QuizImportError(f"o título tem {len(quiz.title)} caracteres; o máximo é {TITLE_MAX}.", source=source)
    if not _SLUG.match(quiz.slug) or len(quiz.slug) > SLUG_MAX:
        raise QuizImportError(
            f"slug inválido: '{quiz.slug}'; esperado até {SLUG_MAX} letras sem acento, números, '-' ou '_' "
            "(por exemplo, aula-45).", source=source)
    if not quiz.questions:
        raise QuizImportError("nenhuma questão encontrada; esperado pelo menos uma.", source=source)
    seen: dict[str, int] = {}
    for index, question in enumerate(quiz.questions):
        line = lines[index] if index < len(lines) else None
        question.position = index + 1
        try:
            _check_question(question, seen)
        except ValueError as exc:
            name = f"questão '{question.key}'" if question.key else f"{question.position}ª questão"
            raise QuizImportError(f"{name}: {exc}", line=line, source=source) from None
        seen[question.key] = question.position
    return quiz


def _check_question(q: QuestionData, seen: dict[str, int]) -> None:
    # ValueError messages are completed with the question's name by `finalize`.
    q.key, q.text = q.key.strip(), q.text.strip()
    if not q.key:
        raise ValueError("falta a chave (key) que identifica a questão entre importações.")
    if not _SLUG.match(q.key) or len(q.key) > SLUG_MAX:
        raise ValueError(f"chave inválida; esperado até {SLUG_MAX} letras sem acento, números, '-' ou '_' (como q1).")
    if q.key in seen:
        raise ValueError(f"chave repetida (já usada na {seen[q.key]}ª questão); cada questão precisa de uma chave única.")
    if q.kind not in KINDS:
        raise ValueError(f"tipo '{q.kind}' desconhecido; esperado um de: {', '.join(KINDS)}.")
    if not q.text:
        raise ValueError("o enunciado está vazio.")
    if not q.points > 0:
        raise ValueError(f"a pontuação deve ser maior que zero (encontrado {q.points}).")
    if q.kind in ("essay", "command") and q.choices:
        raise ValueError(f"uma questão do tipo {q.kind} não tem alternativas, mas foram dadas {len(q.choices)}.")
    if q.kind != "command" and q.expected_command.strip():
        raise ValueError(f"só questões do tipo command têm expected_command (esta é {q.kind}).")
    if q.kind == "command":
        _check_command(q)
    elif q.kind in ("single", "multiple"):
        _check_choices(q)


def _check_command(q: QuestionData) -> None:
    q.expected_command = q.expected_command.strip()
    if not q.expected_command:
        raise ValueError("falta expected_command: o comando docker que a resposta deve equivaler.")
    try:
        parse_docker_command(q.expected_command)
    except CommandParseError as exc:
        raise ValueError(f"expected_command '{q.expected_command}' não é um comando docker legível: {exc.message}") from None


def _check_choices(q: QuestionData) -> None:
    if len(q.choices) < 2:
        raise ValueError(f"tem {plural(len(q.choices), 'alternativa', 'alternativas')}; esperado pelo menos 2.")
    keys: set[str] = set()
    for choice in q.choices:
        choice.key, choice.text = choice.key.strip(), choice.text.strip()
        if not choice.key or choice.key in keys or len(choice.key) > CHOICE_KEY_MAX:
            raise ValueError(f"alternativa com chave vazia, repetida ou longa demais ('{choice.key}'); cada uma "
                             f"precisa de uma chave única de até {CHOICE_KEY_MAX} caracteres.")
        keys.add(choice.key)
        if not choice.text:
            raise ValueError(f"a alternativa {choice.key}) está vazia.")
        if not -1 <= choice.fraction <= 1:
            raise ValueError(f"a fração da alternativa {choice.key}) é {choice.fraction}; esperado um valor entre -1 e 1.")
    correct = [c for c in q.choices if c.is_correct]
    if q.kind == "single":
        if len(correct) != 1:
            found = ", ".join(f"{c.key})" for c in correct) or "nenhuma"
            raise ValueError(f"escolha única precisa de exatamente uma alternativa correta (encontrado: {found}).")
        if correct[0].fraction not in (0, 1):
            raise ValueError(f"a alternativa correta {correct[0].key}) vale a questão inteira; a fração deve ser 1, não {correct[0].fraction}.")
        correct[0].fraction = 1.0
        partial = [c.key for c in q.choices if not c.is_correct and c.fraction >= 1]
        if partial:
            raise ValueError(f"a alternativa {partial[0]}) não é a correta, mas vale a questão inteira (fração 1).")
        return
    if not correct:
        raise ValueError("múltipla escolha precisa de pelo menos uma alternativa correta.")
    wrong_with_credit = [c.key for c in q.choices if not c.is_correct and c.fraction > 0]
    if wrong_with_credit:
        raise ValueError(f"a alternativa {wrong_with_credit[0]}) está marcada como errada mas dá crédito positivo; "
                         "use fração zero ou negativa.")
    if all(c.fraction == 0 for c in correct):  # shares not given: split the credit equally
        for c in correct:
            c.fraction = 1 / len(correct)
    total = sum(c.fraction for c in correct)
    if any(c.fraction <= 0 for c in correct) or abs(total - 1) > _TOLERANCE:
        shares = ", ".join(f"{c.key})={c.fraction:g}" for c in correct)
        raise ValueError(f"as frações das alternativas corretas devem ser positivas e somar 1 (encontrado {shares}; soma {total:g}).")
