"""The quiz settings now live on each class's offering (copied there by classes.0002)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('classes', '0002_default_class'),
        ('quizzes', '0004_class_offerings'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='attempt',
            name='attempt_number_unique',
        ),
        migrations.RemoveConstraint(
            model_name='attempt',
            name='one_attempt_in_progress',
        ),
        migrations.RemoveConstraint(
            model_name='quiz',
            name='quiz_closes_after_opening',
        ),
        migrations.RemoveField(
            model_name='quiz',
            name='attempts_allowed',
        ),
        migrations.RemoveField(
            model_name='quiz',
            name='closes_at',
        ),
        migrations.RemoveField(
            model_name='quiz',
            name='grading_method',
        ),
        migrations.RemoveField(
            model_name='quiz',
            name='marks_closed',
        ),
        migrations.RemoveField(
            model_name='quiz',
            name='marks_during',
        ),
        migrations.RemoveField(
            model_name='quiz',
            name='marks_immediately',
        ),
        migrations.RemoveField(
            model_name='quiz',
            name='marks_open',
        ),
        migrations.RemoveField(
            model_name='quiz',
            name='one_per_page',
        ),
        migrations.RemoveField(
            model_name='quiz',
            name='opens_at',
        ),
        migrations.RemoveField(
            model_name='quiz',
            name='reveal_answers',
        ),
        migrations.RemoveField(
            model_name='quiz',
            name='shuffle_choices',
        ),
        migrations.RemoveField(
            model_name='quiz',
            name='shuffle_questions',
        ),
        migrations.RemoveField(
            model_name='quiz',
            name='time_limit_minutes',
        ),
        migrations.AlterField(
            model_name='attempt',
            name='offering',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='attempts', to='classes.offering', verbose_name='class offering'),
        ),
        migrations.AddConstraint(
            model_name='attempt',
            constraint=models.UniqueConstraint(fields=('offering', 'learner', 'number'), name='attempt_number_unique_in_offering'),
        ),
        migrations.AddConstraint(
            model_name='attempt',
            constraint=models.UniqueConstraint(condition=models.Q(('status', 'in_progress')), fields=('offering', 'learner'), name='one_attempt_in_progress_per_offering'),
        ),
    ]
