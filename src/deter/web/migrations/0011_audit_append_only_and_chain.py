"""The audit trail made append-only in the database and hash-chained (docs/adr/0007).

Adds the request context and the chain's two hashes, chains the rows already written (in key
order, before the triggers exist), then creates the triggers (``deter.web.audit.guard``)."""

import django.utils.timezone
from django.db import migrations, models

from deter.web.domain.audit_chain import CONTENT_FIELDS, GENESIS, chain_hash


def chain_existing_rows(apps, schema_editor):
    AuditEvent = apps.get_model("deter", "AuditEvent")
    rows = AuditEvent.objects.using(schema_editor.connection.alias).order_by("id")
    previous = GENESIS
    for row in rows.values("id", *CONTENT_FIELDS).iterator(chunk_size=2000):
        content = {name: row[name] for name in CONTENT_FIELDS}
        digest = chain_hash(content, previous)
        rows.filter(pk=row["id"]).update(previous_hash=previous, hash=digest)
        previous = digest


def create_triggers(apps, schema_editor):
    from deter.web.audit.guard import ensure_triggers

    ensure_triggers(schema_editor.connection)


def drop_triggers(apps, schema_editor):
    from deter.web.audit.guard import drop_triggers

    drop_triggers(schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ('deter', '0010_retention'),
    ]

    operations = [
        migrations.AlterField(
            model_name='auditevent',
            name='at',
            field=models.DateTimeField(db_index=True, default=django.utils.timezone.now),
        ),
        migrations.AddField(
            model_name='auditevent',
            name='ip_address',
            field=models.GenericIPAddressField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='auditevent',
            name='user_agent',
            field=models.CharField(blank=True, max_length=512, default=''),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='auditevent',
            name='session',
            field=models.CharField(blank=True, default='', help_text='Keyed HMAC-SHA256 of the session key, never the key', max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='auditevent',
            name='actor_roles',
            field=models.JSONField(blank=True, default=list, help_text='The actor\'s roles then: [{agency, agency_id, role}]'),
        ),
        migrations.AddField(
            model_name='auditevent',
            name='purpose',
            field=models.CharField(blank=True, default='', help_text="Why the data was used: the view's declared purpose", max_length=32),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='auditevent',
            name='previous_hash',
            field=models.CharField(default='', max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='auditevent',
            name='hash',
            field=models.CharField(default='', max_length=64),
            preserve_default=False,
        ),
        migrations.RunPython(chain_existing_rows, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='auditevent',
            name='previous_hash',
            field=models.CharField(max_length=64, unique=True),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='hash',
            field=models.CharField(max_length=64, unique=True),
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
