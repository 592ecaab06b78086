"""Messages as data: rendered in each reader's language, and found again in schema-1 texts."""

import string

import pytest

from labs.grading.i18n import CATALOGUE, t
from labs.grading.kinds import Grading
from labs.grading.text import Message, recover, recover_joined, render
from labs.grading.types import Finding

# Parameters that hold other messages: sample values that are messages themselves.
NESTED = {
    ("rules.failed_list", "items"): [
        {"id": "metadata.label", "params": {"name": "maintainer"}},
        {"id": "file.missing", "params": {"path": "/app/app.py"}},
    ],
    ("build.failed", "reason"): {"id": "metadata.healthcheck", "params": {}},
    ("summary.rejected", "reason"): {"id": "context.parent_ref", "params": {"path": "../x"}},
}


def sample(msg_id: str) -> dict:
    """Each placeholder of the message with a value of its own (learner data, or a message)."""
    names = [name for _, name, _, _ in string.Formatter().parse(CATALOGUE[msg_id]) if name]
    return {name: NESTED.get((msg_id, name), f"val{index}-{name}") for index, name in enumerate(dict.fromkeys(names))}


@pytest.mark.parametrize("msg_id", sorted(CATALOGUE))
@pytest.mark.parametrize(("written", "read"), [("pt-BR", "en"), ("en", "pt-BR")])
def test_every_message_is_found_again_from_its_text(msg_id, written, read):
    """A schema-1 report holds only the text: matched back against the catalogue's templates,
    it renders in the other language exactly as the message rendered directly would."""
    data = {"id": msg_id, "params": sample(msg_id)}
    found = recover(render(data, written), written)
    assert found is not None, render(data, written)
    assert render(found, read) == render(data, read)


def test_a_text_in_the_other_language_is_found_too():
    text = t("summary.passed", "en", score="90", max_score=100)
    assert recover(text, "pt-BR") == {"id": "summary.passed", "params": {"score": "90", "max_score": "100"}}
    assert render(recover(text, "pt-BR"), "pt-BR") == "Aprovado: 90 de 100 pontos."


def test_an_unknown_text_is_not_found():
    assert recover("Falhou <b>aqui</b>", "pt-BR") is None
    assert recover_joined("Falhou <b>aqui</b>", "pt-BR") is None


def test_joined_problems_are_found_one_by_one():
    """The metadata check joined its problems with a space, with no message around them."""
    problems = [Message("metadata.label", {"name": "a b"}), Message("metadata.healthcheck")]
    text = Message.join(problems).render("pt-BR")
    found = recover_joined(text, "pt-BR")
    assert found is not None and render(found, "en") == Message.join(problems).render("en")
    assert render(found, "en").startswith("The image lacks the label (LABEL) 'a b'.")


def test_failed_rules_are_nested_data_and_learner_data_stays_as_is():
    grading = Grading(spec=None, files={}, dockerfile="", parsed=None, lang="pt-BR", sandbox=None)  # type: ignore[arg-type]
    outcome = grading.from_findings(
        [Finding(False, "metadata.label", {"name": "{port}"}), Finding(False, "file.missing", {"path": "/x"})]
    )
    assert isinstance(outcome.message, Message)
    data = outcome.message.data()
    assert data == {
        "id": "rules.failed_list",
        "params": {
            "count": 2,
            "items": [
                {"id": "metadata.label", "params": {"name": "{port}"}},
                {"id": "file.missing", "params": {"path": "/x"}},
            ],
        },
    }
    assert render(data, "en") == (
        "2 problem(s): The image lacks the label (LABEL) '{port}'. The file /x does not exist in the image."
    )


def test_a_localized_title_renders_in_each_language():
    data = Message(
        "summary.failed_required",
        {"check": {"text": {"pt-BR": "Constrói", "en": "Builds"}}, "score": "0", "max_score": 10},
    ).data()
    assert "'Builds'" in render(data, "en") and "'Constrói'" in render(data, "pt-BR")
