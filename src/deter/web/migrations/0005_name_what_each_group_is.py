"""Names that say which group is meant: a police-recorded ``RecordedGroup`` (was ``Group``), a
run's ``FoundGroup`` (was ``GroupScore``), and a meeting's ``MeetingAction`` (was ``Action``,
which collided with the ``actions`` package)."""

from django.conf import settings
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("deter", "0004_person_score_top_events"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RenameModel("Group", "RecordedGroup"),
        migrations.RenameModel("GroupScore", "FoundGroup"),
        migrations.RenameModel("Action", "MeetingAction"),
        migrations.RenameIndex(
            model_name="meetingaction",
            new_name="deter_meeti_owner_i_58ab02_idx",
            old_name="deter_actio_owner_i_f251b9_idx",
        ),
    ]
