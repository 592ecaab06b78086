"""Essay rubrics (content/quizzes/<quiz>.rubric.yaml), read with pydantic like the quiz YAML.

Schema (fields not listed are rejected with their path, so a stray key — an unquoted comma in
a flow map `{name: x, description: a, b}` makes one — never passes silently)::

    q5:                          # the key of an essay question of the quiz
      criteria:
        - name: Reprodutibilidade    # obrigatório
          description: "..."         # opcional
          levels:                    # pelo menos um
            - name: Parcial          # obrigatório
              points: 0.5            # obrigatório, >= 0
              description: "..."     # opcional
      snippets:                  # opcional: comentários prontos para a correção
        - "..."
"""

from __future__ import annotations

from pydantic import Field, TypeAdapter, ValidationError

from common.i18n import gettext_noop

from .model import QuizImportError
from .yamlfile import _Strict, load_yaml, validation_error


class RubricLevel(_Strict):
    name: str = Field(min_length=1, max_length=120)
    points: float = Field(ge=0)
    description: str = ""


class RubricCriterion(_Strict):
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    levels: list[RubricLevel] = Field(min_length=1)


class RubricSpec(_Strict):
    criteria: list[RubricCriterion] = Field(min_length=1)
    snippets: list[str] = []


RUBRICS = dict[str, RubricSpec]
_ADAPTER: TypeAdapter[dict[str, RubricSpec]] = TypeAdapter(RUBRICS)


def parse_rubrics(text: str, *, source: str = "rubric.yaml") -> dict[str, RubricSpec]:
    """{question key: rubric}; raise QuizImportError with the field path and line."""
    root, data = load_yaml(text, source=source)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise QuizImportError(
            gettext_noop("expected a mapping of essay question keys to their rubrics."), line=1, source=source
        )
    try:
        return _ADAPTER.validate_python(data)
    except ValidationError as exc:
        raise validation_error(exc, root, source=source, schema=RUBRICS) from None
