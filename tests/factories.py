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

    # Every user a test makes is in the test class (the one class most tests need): an
    # instructor as its teacher, anyone else as a learner. `UserFactory(enrol=False)` makes a
    # user in no class; tests of several classes make theirs with enrol_in() and other_class().
    @factory.post_generation
    def enrol(user: User, create: bool, extracted: object, **kwargs: object) -> None:
        if create and extracted is not False and not user.is_superuser:
            enrol_in(user, role="teacher" if user.is_staff else "learner")


TEST_CLASS_NAME = "Turma de teste"


def default_class():
    """The class most tests work in (see UserFactory.enrol)."""
    from classes.models import Class

    klass, _ = Class.objects.get_or_create(name=TEST_CLASS_NAME, term="test")
    return klass


def other_class(name: str = "Outra turma"):
    from classes.models import Class

    klass, _ = Class.objects.get_or_create(name=name, term="test")
    return klass


def enrol_in(user: User, *, role: str = "learner", klass=None):
    from classes.services import membership_add

    return membership_add(klass=klass or default_class(), user=user, role=role)


def offering_of(content, klass=None, **settings: Any):
    """The quiz's or lab's offering in `klass` (the test class by default), made on first use
    from the content's defaults; `settings` are set on it (dates, attempts, late policy...)."""
    from classes.services import offering_add
    from labs.models import Lab

    klass = klass or default_class()
    if isinstance(content, Lab):
        offering = offering_add(klass=klass, lab=content)
    else:
        offering = offering_add(klass=klass, quiz=content)
    if settings:
        for name, value in settings.items():
            setattr(offering, name, value)
        offering.save()
    return offering


def lab_from_content(slug: str):
    """The Lab row of a shipped lab, synced from content/ as load_content does."""
    from django.conf import settings

    from labs.services import lab_sync_from_dir

    lab, _ = lab_sync_from_dir(lab_dir=settings.CONTENT_DIR / "labs" / slug)
    offering_of(lab)
    return lab


def quiz_from_content(slug: str = "aula-45", /, shipped_settings: bool = False, **settings_: Any):
    """The shipped quiz's questions and rubric, imported as load_content does, offered in the
    test class with optional settings (set on that offering; `is_published` and
    `is_practice` on the quiz). Its settings are the model's defaults (unlimited attempts, the
    key right after each) unless `shipped_settings`: a test states the settings it relies on."""
    from django.conf import settings

    from quizzes.bank import quiz_import
    from quizzes.importers import parse_file
    from quizzes.reviews import rubrics_load

    data = parse_file(settings.CONTENT_DIR / "quizzes" / f"{slug}.yaml")
    if not shipped_settings:
        data.settings = {}
    data.practice = None
    quiz = quiz_import(data=data).quiz
    rubrics = settings.CONTENT_DIR / "quizzes" / f"{slug}.rubric.yaml"
    if rubrics.exists():
        rubrics_load(quiz=quiz, path=rubrics)
    quiz_fields = {name: settings_.pop(name) for name in ("is_published", "is_practice") if name in settings_}
    for name, value in quiz_fields.items():
        setattr(quiz, name, value)
    quiz.save()
    offering_of(quiz, **settings_)
    return quiz
