"""Django's ``flush``, with the audit triggers lifted for it and the emptying recorded.

The audit table refuses DELETE and TRUNCATE (``audit.guard``); emptying the whole database
(``deter demo`` on a database with data, pytest-django after a transactional test) is the one
path allowed round that. It is logged, and the new chain starts with a row naming how many
rows went and the hash the old chain ended with (unless ``DETER_AUDIT_RECORD_FLUSH`` is off,
as the test suite sets it so that each test starts from an empty database).
"""

from django.conf import settings
from django.core.management.commands import flush

from ... import audit
from ...audit import guard


class Command(flush.Command):
    help = flush.Command.help + " The audit triggers are lifted for it and the emptying audited."

    def handle(self, **options):
        using = options["database"]
        with guard.lifted(using, "flush") as (count, last):
            super().handle(**options)
        if getattr(settings, "DETER_AUDIT_RECORD_FLUSH", True) and using == "default":
            audit.record(None, "flush_audit_trail", "audit_trail", None,
                         rows_removed=count, previous_head=last)
