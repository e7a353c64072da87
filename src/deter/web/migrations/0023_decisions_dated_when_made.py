"""Decisions are dated when they were made: decided_at becomes settable, and recorded_at keeps
when each was entered (for the decisions already held, the same moment)."""

import django.utils.timezone
from django.db import migrations, models


def recorded_when_decided(apps, schema_editor):
    decisions = apps.get_model("deter", "CohortDecision")
    decisions.objects.update(recorded_at=models.F("decided_at"))


class Migration(migrations.Migration):

    dependencies = [
        ('deter', '0022_api_tokens'),
    ]

    operations = [
        migrations.AddField(
            model_name='cohortdecision',
            name='backdated_reason',
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name='cohortdecision',
            name='recorded_at',
            field=models.DateTimeField(default=django.utils.timezone.now, editable=False),
        ),
        migrations.AlterField(
            model_name='cohortdecision',
            name='decided_at',
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
        migrations.RunPython(recorded_when_decided, migrations.RunPython.noop),
    ]
