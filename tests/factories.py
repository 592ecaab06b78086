from typing import TYPE_CHECKING, Any

import factory
from django.contrib.auth.models import User

from core.roles import instructors_group

PASSWORD = "senha-de-teste-123"


class UserFactory(factory.django.DjangoModelFactory[User]):
    if TYPE_CHECKING:
        # factory_boy's metaclass makes UserFactory() create a User; its own __new__ is
        # untyped, and mypy asks a __new__ to return the class, hence the ignore.
        def __new__(cls, *args: Any, **kwargs: Any) -> User: ...  # type: ignore[misc]

    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name", locale="pt_BR")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    class Params:
        instructor = factory.Trait(is_staff=True)

    # factory_boy calls it with the built user, not the factory.
    @factory.post_generation
    def add_to_instructors(user: User, create: bool, extracted: object, **kwargs: object) -> None:
        if create and user.is_staff:
            user.groups.add(instructors_group())
        if create:
            user.save()


def lab_from_content(slug: str):
    """The Lab row of a shipped lab, synced from content/ as load_content does."""
    from django.conf import settings

    from labs.services import lab_sync_from_dir

    lab, _ = lab_sync_from_dir(lab_dir=settings.CONTENT_DIR / "labs" / slug)
    return lab


def quiz_from_content(slug: str = "aula-45", /, shipped_settings: bool = False, **settings_: Any):
    """The shipped quiz's questions and rubric, imported as load_content does, with optional
    quiz settings. Its settings are the model's defaults (unlimited attempts, the key right
    after each) unless `shipped_settings`: a test states the settings it relies on."""
    from django.conf import settings

    from quizzes.importers import parse_file
    from quizzes.reviews import rubrics_load
    from quizzes.services import quiz_import

    data = parse_file(settings.CONTENT_DIR / "quizzes" / f"{slug}.yaml")
    if not shipped_settings:
        data.settings = {}
    data.practice = None
    quiz = quiz_import(data=data).quiz
    rubrics = settings.CONTENT_DIR / "quizzes" / f"{slug}.rubric.yaml"
    if rubrics.exists():
        rubrics_load(quiz=quiz, path=rubrics)
    for name, value in settings_.items():
        setattr(quiz, name, value)
    quiz.save()
    return quiz
