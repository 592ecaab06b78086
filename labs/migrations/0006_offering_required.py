"""Every submission belongs to a class offering; one in flight per learner and offering."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('classes', '0002_default_class'),
        ('labs', '0005_class_offerings'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='submission',
            name='one_active_submission_per_learner_and_lab',
        ),
        migrations.AlterField(
            model_name='submission',
            name='offering',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='submissions', to='classes.offering', verbose_name='class offering'),
        ),
        migrations.AddIndex(
            model_name='submission',
            index=models.Index(fields=['offering', 'learner', '-created_at'], name='labs_submis_offerin_3bb336_idx'),
        ),
        migrations.AddConstraint(
            model_name='submission',
            constraint=models.UniqueConstraint(condition=models.Q(('regrading', False), ('status__in', ['queued', 'building', 'running', 'checking'])), fields=('learner', 'offering'), name='one_active_submission_per_learner_and_offering'),
        ),
        migrations.AddConstraint(
            model_name='submission',
            constraint=models.CheckConstraint(condition=models.Q(('late_penalty__gte', 0), ('late_penalty__lte', 1)), name='submission_late_penalty_in_range'),
        ),
    ]
