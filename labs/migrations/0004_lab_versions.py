"""Lab specs move from the Lab row to LabVersion rows named by their hash.

A lab's current spec becomes its first version, with the starter files read from the
content folder when that folder still holds this very version (same hash). Otherwise no
version is made: the next load_content (which `make run` and the Compose file run right
after migrate) makes it, and until then the lab says so instead of grading without its
starter files."""

import base64

from django.conf import settings
from django.db import migrations, models
import django.db.models.deletion

from labs.grading.spec import spec_hash


def forwards(apps, schema_editor):
    Lab = apps.get_model("labs", "Lab")
    LabVersion = apps.get_model("labs", "LabVersion")
    for lab in Lab.objects.exclude(spec={}).exclude(spec_hash=""):
        lab_dir = settings.CONTENT_DIR / "labs" / lab.slug
        if not (lab_dir / "lab.yaml").is_file() or spec_hash(lab_dir) != lab.spec_hash:
            continue
        starter = lab_dir / "starter"
        files = {path.relative_to(starter).as_posix(): base64.b64encode(path.read_bytes()).decode("ascii")
                 for path in sorted(starter.rglob("*")) if path.is_file() and not path.is_symlink()}
        LabVersion.objects.get_or_create(lab=lab, spec_hash=lab.spec_hash,
                                         defaults={"spec": lab.spec, "starter_files": files})


def backwards(apps, schema_editor):
    Lab = apps.get_model("labs", "Lab")
    LabVersion = apps.get_model("labs", "LabVersion")
    for lab in Lab.objects.all():
        version = LabVersion.objects.filter(lab=lab, spec_hash=lab.spec_hash).first()
        if version is not None:
            Lab.objects.filter(pk=lab.pk).update(spec=version.spec)


class Migration(migrations.Migration):

    dependencies = [
        ('labs', '0003_grading_runs'),
    ]

    operations = [
        migrations.CreateModel(
            name='LabVersion',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('spec_hash', models.CharField(max_length=64, verbose_name='spec hash')),
                ('spec', models.JSONField(verbose_name='spec')),
                ('starter_files', models.JSONField(blank=True, default=dict, verbose_name='starter files')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('lab', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='versions', to='labs.lab', verbose_name='lab')),
            ],
            options={
                'verbose_name': 'lab version',
                'verbose_name_plural': 'lab versions',
                'ordering': ['lab', '-created_at'],
                'constraints': [models.UniqueConstraint(fields=('lab', 'spec_hash'), name='one_version_per_lab_and_hash')],
            },
        ),
        migrations.RunPython(forwards, backwards),
        migrations.RemoveField(
            model_name='lab',
            name='spec',
        ),
    ]
