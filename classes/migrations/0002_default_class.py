"""An upgrade loses nothing: a site that has content or people gets one class holding all of
it. Every quiz and lab is offered there with the settings the quiz had, the instructors are
its teachers, everyone else its learners, and every attempt and submission is attached to
its offering. A fresh install has nothing and gets no class."""

import secrets

from django.db import migrations

SETTINGS = (
    "attempts_allowed",
    "grading_method",
    "one_per_page",
    "shuffle_questions",
    "shuffle_choices",
    "time_limit_minutes",
    "reveal_answers",
    "marks_during",
    "marks_immediately",
    "marks_open",
    "marks_closed",
)
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def forwards(apps, schema_editor):
    User = apps.get_model("auth", "User")
    Quiz = apps.get_model("quizzes", "Quiz")
    Lab = apps.get_model("labs", "Lab")
    Attempt = apps.get_model("quizzes", "Attempt")
    Submission = apps.get_model("labs", "Submission")
    Class = apps.get_model("classes", "Class")
    Membership = apps.get_model("classes", "Membership")
    Offering = apps.get_model("classes", "Offering")
    if not (Quiz.objects.exists() or Lab.objects.exists() or User.objects.filter(is_superuser=False).exists()):
        return
    klass = Class.objects.create(
        name="Turma principal", term="", join_code="".join(secrets.choice(ALPHABET) for _ in range(8))
    )
    for quiz in Quiz.objects.all():
        settings = {name: getattr(quiz, name) for name in SETTINGS}
        quiz.settings_defaults = settings
        quiz.save(update_fields=["settings_defaults"])
        offering = Offering.objects.create(
            klass=klass,
            quiz=quiz,
            position=quiz.position,
            is_visible=quiz.is_published,
            opens_at=quiz.opens_at,
            closes_at=quiz.closes_at,
            **settings,
        )
        Attempt.objects.filter(quiz=quiz).update(offering=offering)
    for lab in Lab.objects.all():
        offering = Offering.objects.create(klass=klass, lab=lab, position=1000 + lab.position, is_visible=lab.is_active)
        Submission.objects.filter(lab=lab).update(offering=offering)
    teachers = set(
        User.objects.filter(is_staff=True, groups__name="Instructors").values_list("pk", flat=True).distinct()
    )
    for user in User.objects.filter(is_active=True).order_by("pk"):
        if user.pk in teachers:
            role = "teacher"
        elif user.is_staff or user.is_superuser:
            continue  # administrators outside the Instructors group: they see everything anyway
        else:
            role = "learner"
        Membership.objects.create(klass=klass, user=user, role=role)
    # Anyone with work in it, whatever their account says now, keeps it visible in the class.
    workers = set(Attempt.objects.values_list("learner_id", flat=True)) | set(
        Submission.objects.values_list("learner_id", flat=True)
    )
    members = set(Membership.objects.filter(klass=klass).values_list("user_id", flat=True))
    for user_id in sorted(workers - members):
        Membership.objects.create(klass=klass, user_id=user_id, role="learner")


class Migration(migrations.Migration):
    dependencies = [
        ("classes", "0001_initial"),
        ("quizzes", "0004_class_offerings"),
        ("labs", "0005_class_offerings"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
