from django.apps import AppConfig
from django.db.models.signals import post_migrate


class DeterConfig(AppConfig):
    name = "deter.web"
    label = "deter"
    verbose_name = "Deter"

    def ready(self) -> None:
        post_migrate.connect(_ensure_audit_triggers, sender=self)


def _ensure_audit_triggers(sender, using, **kwargs) -> None:
    """Put back any audit trigger a migration lost: SQLite drops a table's triggers when a
    migration rebuilds the table (``audit.guard``)."""
    from django.db import connections

    from .audit import guard

    connection = connections[using]
    if guard.TABLE not in connection.introspection.table_names():
        return
    with connection.cursor() as cursor:
        columns = {c.name for c in connection.introspection.get_table_description(
            cursor, guard.TABLE)}
    if "previous_hash" in columns:  # the chain's migration has run
        guard.ensure_triggers(connection)
