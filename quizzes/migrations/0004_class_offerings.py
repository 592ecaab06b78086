"""Attempts name their class offering (filled by classes.0002); the quiz keeps its file's
settings as the defaults of a new class."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('classes', '0001_initial'),
        ('quizzes', '0003_quiz_is_practice'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='attempt',
            name='offering',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, related_name='attempts', to='classes.offering', verbose_name='class offering'),
        ),
        migrations.AddField(
            model_name='quiz',
            name='settings_defaults',
            field=models.JSONField(blank=True, default=dict, verbose_name='default settings for a new class'),
        ),
    ]
