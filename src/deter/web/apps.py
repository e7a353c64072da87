from pathlib import Path

from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.core import checks
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate, post_save, pre_save


class DeterConfig(AppConfig):
    name = "deter.web"
    label = "deter"
    verbose_name = "Deter"

    def ready(self) -> None:
        post_migrate.connect(_ensure_audit_triggers, sender=self)
        from .domain.limits import refuse_overlong

        for model in self.get_models():
            pre_save.connect(refuse_overlong, sender=model,
                             dispatch_uid=f"deter.refuse_overlong.{model._meta.label}")
        connection_created.connect(_private_sqlite_file)
        from .middleware import start_session_clock

        user_logged_in.connect(start_session_clock,
                               dispatch_uid="deter.start_session_clock")
        from axes.signals import user_locked_out

        from .actions.accounts import (
            end_sessions_of_inactive,
            forget_session,
            record_lockout,
            record_session,
        )

        user_logged_in.connect(record_session, dispatch_uid="deter.record_session")
        user_logged_out.connect(forget_session, dispatch_uid="deter.forget_session")
        user_locked_out.connect(record_lockout, dispatch_uid="deter.record_lockout")
        from django.contrib.auth import get_user_model

        post_save.connect(end_sessions_of_inactive, sender=get_user_model(),
                          dispatch_uid="deter.end_sessions_of_inactive")
        checks.register(_no_demo_accounts_in_production, checks.Tags.security, deploy=True)
        checks.register(_sso_agencies_exist, checks.Tags.security, deploy=True)
        from django.conf import settings

        if settings.DETER_OIDC_ISSUER:
            from .sso import config

            config.group_map()  # a wrong map stops Deter at start, naming the group


def _private_sqlite_file(sender, connection, **kwargs) -> None:
    """A SQLite database file is readable by its owner only: it holds people's records."""
    if connection.vendor != "sqlite":
        return
    path = Path(str(connection.settings_dict["NAME"]))
    if path.is_file() and path.stat().st_mode & 0o077:
        path.chmod(0o600)


def _no_demo_accounts_in_production(app_configs, **kwargs) -> list:
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.db import DatabaseError

    from .demo.world import DEMO_LOGINS, demo_account_with_published_password

    if not settings.PRODUCTION:
        return []
    try:
        users = list(User.objects.filter(username__in=[d.username for d in DEMO_LOGINS],
                                         is_active=True))
    except DatabaseError:  # no tables yet: nothing to sign in with
        return []
    published = [u.username for u in users if demo_account_with_published_password(u)]
    return [checks.Error(
        f"demo accounts with published passwords are active: {', '.join(published)}",
        hint="Deactivate them or give them new passwords (they cannot sign in in production, "
             "but must not be kept)", id="deter.E001")] if published else []


def _sso_agencies_exist(app_configs, **kwargs) -> list:
    """Each agency the single sign-on group map names is one Deter has (a sign-in whose
    groups name another is refused, and says so)."""
    from django.db import DatabaseError

    from .models import Agency
    from .sso import config

    if not config.configured():
        return []
    named = {grant.agency for grants in config.group_map().values() for grant in grants}
    try:
        missing = sorted(named - set(Agency.objects.filter(name__in=named)
                                     .values_list("name", flat=True)))
    except DatabaseError:
        return []
    return [checks.Warning(
        f"DETER_OIDC_GROUP_MAP names agencies Deter does not have: {', '.join(missing)}",
        hint="Correct the names or provision the agencies (deter demo, or actions.accounts); "
             "until then sign-ins whose groups map to them are refused", id="deter.W013")
    ] if missing else []


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
