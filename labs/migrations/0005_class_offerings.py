"""Submissions name their class offering (filled by classes.0002) and how late they were."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('classes', '0001_initial'),
        ('labs', '0004_lab_versions'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='submission',
            name='late_penalty',
            field=models.FloatField(default=0, verbose_name='late penalty'),
        ),
        migrations.AddField(
            model_name='submission',
            name='late_seconds',
            field=models.PositiveIntegerField(default=0, verbose_name='seconds late'),
        ),
        migrations.AddField(
            model_name='submission',
            name='offering',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, related_name='submissions', to='classes.offering', verbose_name='class offering'),
        ),
    ]
