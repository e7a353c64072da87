"""The ``deter`` command line: synth, migrate, import, analyse, demo, retention, audit, export,
sar, agencies, users (or user), check, serve.

Commands that touch the database set Django up only when they run, so ``deter synth`` and
``deter --help`` stay fast and work without a database.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from deter.analysis.extract import ExtractError

DEMO_SEED = 1


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args) or 0
    except ExtractError as error:
        print(f"error: {error}\nNothing was imported.", file=sys.stderr)
        return 2
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except ValueError as error:
        from deter.analysis.pipeline import AnalysisInputError

        if not isinstance(error, AnalysisInputError):
            raise
        print(f"error: {error}\nNothing was analysed.", file=sys.stderr)
        return 2


class UserError(Exception):
    """A mistake in how a command was called; printed without a traceback."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="deter",
        description="Deter: problem analysis and case management for focused deterrence "
        "violence-reduction programmes. The database comes from DATABASE_URL "
        "(default: deter.sqlite3 in the working folder).",
    )
    from deter.analysis.synth import SCALES

    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    synth = commands.add_parser(
        "synth", help="write a synthetic county extract with its ground truth",
        description="Write a seeded synthetic extract (people, events, involvements, "
        "associations, groups, memberships) plus ground_truth/ of planted groups and relations.",
    )
    synth.add_argument("--out", type=Path, required=True, help="folder to write")
    synth.add_argument("--seed", type=int, default=DEMO_SEED, help="random seed (default 1)")
    synth.add_argument("--scale", choices=tuple(SCALES), default="county",
                       help=", ".join(f"{name} ~{scale.events:,} events"
                                      for name, scale in SCALES.items()))
    synth.add_argument("--format", choices=("csv", "parquet"), default="csv")
    planted = synth.add_argument_group(
        "a planted programme", "thin the violence of randomly chosen treated groups from a start "
        "date, for evaluations to find (written to ground_truth/programme.json with the exact "
        "counterfactual); none unless --programme-groups is given")
    planted.add_argument("--programme-groups", type=int, metavar="N",
                         help="how many groups the programme treats")
    planted.add_argument("--programme-start", type=_day_arg, default=None,
                         help="the programme's first day, YYYY-MM-DD (default 2025-10-01)")
    planted.add_argument("--programme-effect", type=float, default=0.6, metavar="RATE_RATIO",
                         help="treated groups' violence after the start, as a share of what "
                         "it would have been (default 0.6: a 40%% fall)")
    planted.add_argument("--programme-displacement", type=float, default=0.0, metavar="SHARE",
                         help="share of the prevented violence committed by rival groups "
                         "instead (default 0)")
    synth.add_argument(
        "--emerging-group", action="store_true",
        help="add an emerging street group of eight children known for anti-social behaviour "
        "in the last year, found by the network but not proposed (the YEF Kent case; "
        "ground_truth/emerging_group.json)")
    synth.set_defaults(handler=cmd_synth)

    migrate = commands.add_parser("migrate", help="create or update the database tables",
                                  description="Apply database migrations.")
    migrate.set_defaults(handler=cmd_migrate)

    imp = commands.add_parser(
        "import", help="validate and load an extract (all or nothing)",
        description="Validate an extract folder (see docs/extract-format.md) and load it in "
        "one transaction. Any fault is reported with file, row and column, and nothing is loaded.",
    )
    imp.add_argument("paths", nargs="+", type=Path, metavar="PATH",
                     help="an extract folder, or data.police.uk CSV files with --police-uk")
    imp.add_argument("--police-uk", action="store_true",
                     help="the paths are data.police.uk street-crime CSVs as published")
    imp.set_defaults(handler=cmd_import)

    analyse = commands.add_parser(
        "analyse", help="score harm, build the network, find groups, rank; store the run",
        description="Analyse the imported data and store the result as an analysis run; or, "
        "with --extract, analyse an extract folder directly without touching the database. "
        "--out writes people.csv, groups.csv, group_relations.csv, places.csv and the other "
        "tables, network.graphml (for Gephi or i2) and report.html, the problem profile.",
    )
    analyse.add_argument("--out", type=Path,
                         help="write the tables, network.graphml and report.html here")
    analyse.add_argument("--extract", type=Path, metavar="FOLDER",
                         help="analyse this extract folder instead of the database "
                         "(requires --out)")
    _add_analysis_options(analyse)
    analyse.set_defaults(handler=cmd_analyse)

    demo = commands.add_parser(
        "demo", help="build the synthetic county, analyse it and serve the app",
        description="Synthesise the county, import it, analyse it, create demo users for each "
        "role and serve the app at http://127.0.0.1:PORT. On the default SQLite database the "
        "demo rebuilds it from scratch; on another database pass --reset to allow that.",
    )
    demo.add_argument("--no-serve", action="store_true", help="do everything but serve")
    demo.add_argument("--seed", type=int, default=DEMO_SEED)
    demo.add_argument("--scale", choices=("small", "county"), default="county")
    _add_serve_options(demo)
    demo.add_argument("--reset", action="store_true",
                      help="allow emptying a database other than the default SQLite file")
    demo.set_defaults(handler=cmd_demo)

    retention = commands.add_parser(
        "retention", help="apply the retention schedule (see docs/retention.md)",
        description="Retention: delete or anonymise records whose retention period has ended.",
    )
    retention_commands = retention.add_subparsers(title="retention commands", required=True,
                                                  metavar="COMMAND")
    retention_run = retention_commands.add_parser(
        "run", help="report what falls due, then delete or anonymise it (one transaction)",
        description="Report, per programme and record kind, the records whose retention "
        "period has ended, then delete or anonymise them all in one transaction, with an "
        "audit row per kind, and ask each partner agency to confirm it has deleted its own "
        "copies. Audit rows past their period are only reported. Run it daily.",
    )
    retention_run.add_argument("--dry-run", action="store_true",
                               help="only report what falls due; change nothing")
    retention_run.add_argument("--as-of", type=_day_arg, metavar="YYYY-MM-DD",
                               help="count the periods to this day (default today; a later "
                               "day only with --dry-run)")
    retention_run.set_defaults(handler=cmd_retention_run)

    audit = commands.add_parser(
        "audit", help="check the audit trail (see docs/adr/0007-audit-trail.md)",
        description="The audit trail: append-only in the database and hash-chained.",
    )
    audit_commands = audit.add_subparsers(title="audit commands", required=True,
                                          metavar="COMMAND")
    audit_verify = audit_commands.add_parser(
        "verify", help="walk the hash chain; name the first row altered, removed or inserted",
        description="Walk the audit chain in key order and check every row's hash and link. "
        "Exits 0 with the row count and the head hash when the chain is intact (keep the head "
        "hash somewhere the database's administrators cannot write, and pass it back with "
        "--anchor next time); exits 1 naming the first row that was altered, follows removed "
        "rows or was inserted out of order, or when the append-only triggers are missing.",
    )
    audit_verify.add_argument("--anchor", metavar="HASH",
                              help="a head hash from an earlier verification: it must still "
                              "be in the chain")
    audit_verify.set_defaults(handler=cmd_audit_verify)
    export = commands.add_parser(
        "export", help="pseudonymised extracts for agreed recipients (see docs/adr/0010)",
        description="Exports made under a data-sharing agreement.",
    )
    export_commands = export.add_subparsers(title="export commands", required=True,
                                            metavar="COMMAND")
    evaluation = export_commands.add_parser(
        "evaluation", help="the programme's pseudonymised, k-anonymous evaluation extract",
        description="Write the evaluation export of a programme for an evaluator: one row per "
        "person in the cohort under a keyed pseudonym, dates as quarters, ages as bands, "
        "coarsened and suppressed until every combination of entry period, age band, sex "
        "(and ethnicity, if agreed) is shared by DETER_K_ANONYMITY rows; with a README and "
        "manifest.json saying what was done. Needs an evaluation agreement in force with the "
        "evaluator's agency as a party. Audited.",
    )
    evaluation.add_argument("--programme", type=int, required=True, metavar="PK",
                            help="the programme's key")
    evaluation.add_argument("--evaluator", required=True, metavar="USERNAME",
                            help="the evaluator the export is for (role evaluator at a party "
                            "to the agreement); the audit trail names them")
    evaluation.add_argument("--out", type=Path, required=True, metavar="DIR",
                            help="an empty or new folder to write the files to")
    evaluation.set_defaults(handler=cmd_export_evaluation)
    sar = commands.add_parser(
        "sar", help="write a subject access archive of everything held about one person",
        description="Write one zip of everything Deter holds about a person (their record, "
        "events, cohort entries and decisions, plans, interventions and their updates, "
        "letters, meeting actions, notifications, challenges, and who viewed their record): "
        "a readable PDF plus JSON and CSV. Other people appear as 'another person'; staff "
        "names are kept. The export is audited.",
    )
    sar.add_argument("person_id", metavar="PERSON_ID", help="the person's pseudonymous id")
    sar.add_argument("--out", type=Path, required=True, help="folder to write the zip into")
    sar.set_defaults(handler=cmd_sar)

    _add_agency_commands(commands)
    user = commands.add_parser(
        "users", aliases=["user"],
        help="staff accounts: list, add, edit, grant and revoke roles, reset a password or "
        "two-factor, deactivate",
        description="Administer staff accounts (docs/administration.md, "
        "docs/adr/0012-local-accounts.md) as the system. Every change is audited; reset-"
        "password, reset-two-factor and deactivate end all the user's sessions at once.",
    )
    user_commands = user.add_subparsers(title="user commands", required=True, metavar="COMMAND")
    for name, help_text in (
        ("reset-password", "set a temporary password, printed once, that must be changed at "
         "the next sign-in; lifts a lockout"),
        ("deactivate", "the account can no longer sign in; its sessions end now"),
        ("reset-two-factor", "remove the user's passkeys, authenticator and recovery codes "
         "(they enrol again where two-factor is required)"),
    ):
        command = user_commands.add_parser(name, help=help_text, description=help_text)
        command.add_argument("username")
        command.set_defaults(handler=cmd_user, user_command=name)
    _add_user_admin_commands(user_commands)

    _add_api_token_commands(commands)

    check = commands.add_parser(
        "check", help="Django's deployment checks and Deter's own; non-zero on any warning",
        description="Run Django's system checks with --deploy (HTTPS, HSTS, cookies, secret "
        "key, debug) and Deter's own (no demo account with a published password active in "
        "production). Exits 1 on any warning or error. Run it with the production environment "
        "(DETER_ENV=production and the rest) before serving.",
    )
    check.set_defaults(handler=cmd_check)

    worker = commands.add_parser(
        "worker", help="run the background jobs (imports, analysis runs, the daily retention)",
        description="Take queued jobs from the database and run them, and every minute mark "
        "failed the jobs a killed worker left running and queue the day's scheduled jobs. Run "
        "one or more beside `deter serve`, on any host sharing the database.")
    worker.add_argument("--batch", action="store_true",
                        help="run the queued jobs, then stop")
    worker.add_argument("--interval", type=float, default=1.0,
                        help="seconds between looks for a new job (default 1)")
    worker.set_defaults(handler=cmd_worker)

    runs = commands.add_parser(
        "runs", help="list analysis runs; a run whose process died is marked failed",
        description="List the latest analysis runs with their status. A run still marked "
        "running whose process is gone (killed, or the machine restarted) is first marked "
        "failed, with the reason; starting an analysis does the same.",
    )
    runs.add_argument("--last", type=int, default=20, help="how many runs to list")
    runs.set_defaults(handler=cmd_runs)

    serve = commands.add_parser(
        "serve", help="serve the web app (gunicorn)",
        description="Serve the web app with gunicorn on HOST:PORT, after collecting the static "
        "files. In production put the reverse proxy of docs/deployment.md in front.")
    _add_serve_options(serve)
    serve.set_defaults(handler=cmd_serve)
    return parser


def _add_api_token_commands(commands) -> None:
    tokens = commands.add_parser(
        "api-token", help="tokens for partner systems calling the HTTP API (docs/api.md)",
        description="Issue, list and revoke the tokens partner systems call /api/v1/ with. A "
        "token acts as its integration's service user (api-<name>), whose roles are in one "
        "agency only, so it sees and does what the agency's staff in that role may. Only a "
        "digest is stored: the token is printed once, when it is made. Each command is audited.")
    token_commands = tokens.add_subparsers(title="api-token commands", required=True,
                                           metavar="COMMAND")
    create = token_commands.add_parser(
        "create", help="issue a token, printed once", description="Issue a token for an "
        "integration of an agency; it is printed once and cannot be shown again.")
    create.add_argument("--name", required=True,
                        help="the integration, e.g. 'Hope Trust case system'")
    create.add_argument("--agency", required=True, help="the agency's name, as in Deter")
    create.add_argument("--role", default="partner",
                        help="the service user's role in the agency (default partner)")
    create.add_argument("--days", type=int, default=90,
                        help="days until it expires (default 90, at most 365)")
    create.set_defaults(handler=cmd_api_token, api_command="create")
    listing = token_commands.add_parser("list", help="list the tokens, live and not",
                                        description="List every token: never the token itself.")
    listing.set_defaults(handler=cmd_api_token, api_command="list")
    revoke = token_commands.add_parser("revoke", help="revoke a token now",
                                       description="Revoke a token: its next call is refused.")
    revoke.add_argument("prefix", help="the token's prefix, as `list` shows it")
    revoke.set_defaults(handler=cmd_api_token, api_command="revoke")
def _add_agency_commands(commands) -> None:
    agencies = commands.add_parser(
        "agencies", help="the partnership's agencies: list, add, edit (with the letterhead)",
        description="The agencies whose staff use Deter, with the address, phone and logo "
        "their letters print. Every change is audited (docs/administration.md).")
    agency_commands = agencies.add_subparsers(title="agency commands", required=True,
                                              metavar="COMMAND")
    listing = agency_commands.add_parser("list", help="every agency with its kind and staff")
    listing.set_defaults(handler=cmd_agencies, agency_command="list")
    kinds = ", ".join(_agency_kinds())
    add = agency_commands.add_parser("add", help="add an agency",
                                     description="Add an agency. Kinds: " + kinds)
    add.add_argument("name")
    add.add_argument("--kind", required=True, help=kinds)
    edit = agency_commands.add_parser("edit", help="change an agency's details or logo",
                                      description="Change what is given; the rest stays.")
    edit.add_argument("name", help="the agency's present name")
    edit.add_argument("--name", dest="new_name", help="its new name")
    edit.add_argument("--kind", help=kinds)
    edit.add_argument("--no-logo", action="store_true", help="print its letters without one")
    for command in (add, edit):
        command.add_argument("--address", help="postal address; lines separated by newlines "
                             "or by ' / '")
        command.add_argument("--phone")
        command.add_argument("--logo", type=Path, metavar="FILE",
                             help="a PNG or JPEG of at most 1 MB and 2,000 pixels a side")
    add.set_defaults(handler=cmd_agencies, agency_command="add")
    edit.set_defaults(handler=cmd_agencies, agency_command="edit")


def _agency_kinds() -> list[str]:
    # the choices of Agency.Kind, without setting Django up for --help
    return ["police", "vru", "childrens_services", "school", "council", "housing", "health",
            "probation", "treatment", "community"]


ROLE_NAMES = ("analyst", "coordinator", "caseworker", "partner", "dpo", "evaluator")


def _add_user_admin_commands(user_commands) -> None:
    listing = user_commands.add_parser("list", help="every account with its roles")
    listing.set_defaults(handler=cmd_users, user_command="list")
    add = user_commands.add_parser(
        "add", help="add an account; its temporary password is printed once",
        description="Add a staff account with a random temporary password, printed once, to "
        "be changed at the first sign-in. With --agency and --role, grant that role too.")
    add.add_argument("username")
    add.add_argument("--name", required=True, help="full name, as their letters are signed")
    edit = user_commands.add_parser("edit", help="change an account's name, job title, contact "
                                    "or system administration")
    edit.add_argument("username")
    edit.add_argument("--name", help="full name")
    for command in (add, edit):
        command.add_argument("--job-title")
        command.add_argument("--email")
        command.add_argument("--phone")
        command.add_argument("--system-administrator", action=argparse.BooleanOptionalAction,
                             help="may enter agencies, accounts and roles in the app (grants "
                             "no role in any programme)")
    add.add_argument("--agency", help="the agency of --role")
    add.add_argument("--role", choices=ROLE_NAMES)
    add.set_defaults(handler=cmd_users, user_command="add")
    edit.set_defaults(handler=cmd_users, user_command="edit")
    for name, verb in (("grant", "give"), ("revoke", "take away")):
        command = user_commands.add_parser(
            name, help=f"{verb} a role at an agency",
            description=f"{verb.capitalize()} a role at an agency: the role holds in every "
            "programme the agency leads or is a party to the agreement of.")
        command.add_argument("username")
        command.add_argument("--agency", required=True)
        command.add_argument("--role", required=True, choices=ROLE_NAMES)
        command.set_defaults(handler=cmd_users, user_command=name)


def _add_serve_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default=os.environ.get("DETER_HOST", "127.0.0.1"),
                        help="address to listen on (default DETER_HOST or 127.0.0.1)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("DETER_PORT", "8000")),
                        help="port (default DETER_PORT or 8000)")
    parser.add_argument("--workers", type=int, default=int(os.environ.get("DETER_WORKERS", "0")),
                        help="gunicorn worker processes (default DETER_WORKERS, or two a core "
                        "plus one)")


# Analysis options: (flag, AnalysisConfig or SelectionCriteria field, type, help).  Defaults
# and the "(default ...)" in each help come from the config classes, so each lives there only.
ANALYSIS_OPTIONS = (
    ("--window-days", "window_days", int, "ignore events older than this many days"),
    ("--half-life-days", "half_life_days", float, "recency decay half-life in days"),
    ("--resolution", "resolution", float, "Leiden resolution"),
    ("--seed", "seed", int, "Leiden seed"),
    ("--harm-table", "harm_table", str,
     "harm weights: cchi-2026-asb, cchi-2026, ons-css:FILE.csv, or a CSV file of "
     "offence_code/offence_category and weight"),
    ("--population", "population_table", str,
     "LSOA residents (lsoa_code,population CSV or the 2011 Census LSOA file) for events and "
     "harm per 1,000 residents"),
    ("--timezone", "timezone", str,
     "IANA time zone the extract's local times are in, for hours of the week and months "
     "(e.g. America/New_York)"),
    ("--disruption-top", "disruption_top", int,
     "brokers removed in the disruption analysis (0 = none)"),
)
CRITERIA_OPTIONS = (  # for these, 0 switches the criterion off
    ("--violent-within-days", "violent_within_days", int,
     "a violent offence within this many days (0 = off)"),
    ("--min-harm", "min_harm_score", float, "offender harm at least this (0 = off)"),
    ("--min-rfgv", "min_rfgv_score", float, "RFGV score at least this"),
)


def field_default(cls: type, name: str):
    """The default of dataclass field ``name`` of ``cls``."""
    from dataclasses import MISSING, fields

    found = next(f for f in fields(cls) if f.name == name)
    return found.default_factory() if found.default is MISSING else found.default


def _shown(value) -> str:
    return "not used" if value is None else f"{value:g}" if isinstance(value, float) else str(
        value
    )


def _metavar(flag: str) -> str:
    return flag.removeprefix("--").replace("-", "_").upper()


def _add_analysis_options(parser: argparse.ArgumentParser) -> None:
    from deter.analysis.config import COMBINE_RULES, AnalysisConfig, SelectionCriteria

    parser.add_argument("--as-of", type=_date_arg,
                        help="analysis date YYYY-MM-DD (default: the latest event)")
    for flag, name, kind, text in ANALYSIS_OPTIONS:
        default = field_default(AnalysisConfig, name)
        parser.add_argument(flag, dest=name, type=kind, default=default, metavar=_metavar(flag),
                            help=f"{text} (default {_shown(default)})")
    criteria = parser.add_argument_group(
        "selection criteria", "who is proposed for the panel to consider"
    )
    for flag, name, kind, text in CRITERIA_OPTIONS:
        default = field_default(SelectionCriteria, name)
        criteria.add_argument(flag, dest=name, type=kind, default=default,
                              metavar=_metavar(flag), help=f"{text} (default {_shown(default)})")
    combine = field_default(SelectionCriteria, "combine")
    criteria.add_argument("--combine", choices=COMBINE_RULES, default=combine,
                          help=f"propose people who meet all criteria or any (default {combine})")


def _date_arg(text: str) -> datetime:
    try:
        return datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from error


def _day_arg(text: str):
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()  # noqa: DTZ007 (a day, no time)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from error


def _config(args: argparse.Namespace):
    from deter.analysis.config import AnalysisConfig, SelectionCriteria

    try:
        criteria = SelectionCriteria(
            violent_within_days=args.violent_within_days or None,
            min_harm_score=args.min_harm_score or None,
            min_rfgv_score=args.min_rfgv_score,
            combine=args.combine,
        )
        return AnalysisConfig(
            as_of=args.as_of, criteria=criteria,
            **{name: getattr(args, name) for _, name, _, _ in ANALYSIS_OPTIONS},
        )
    except ValueError as error:
        raise UserError(str(error)) from error


@contextmanager
def step(name: str, timings: dict[str, float] | None = None) -> Iterator[None]:
    print(f"• {name} …", flush=True)
    started = time.perf_counter()
    yield
    elapsed = time.perf_counter() - started
    if timings is not None:
        timings[name] = elapsed
    print(f"  done in {elapsed:.1f} s", flush=True)


def progress_printer() -> Callable[[str], None]:
    return lambda message: print(f"  … {message}", flush=True)


def setup_django(check_migrated: bool = True) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "deter.web.settings")
    import django

    django.setup()
    if check_migrated:
        from django.db import connection
        from django.db.migrations.executor import MigrationExecutor

        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            raise UserError("the database is not set up or is out of date: run `deter migrate`")


def cmd_synth(args: argparse.Namespace) -> int:
    from deter.analysis.synth import synthesise, write_county

    with step(f"synthesising the {args.scale} (seed {args.seed})"):
        county = synthesise(seed=args.seed, scale=args.scale)
        programme = _plant_programme(args, county)
        if programme is not None:
            county, truth = programme
        emerging = None
        if args.emerging_group:
            from deter.analysis.synth.emerging import plant_emerging_group

            county, emerging = plant_emerging_group(county, seed=args.seed)
        write_county(county, args.out, fmt=args.format)
        if programme is not None:
            truth.write(args.out / "ground_truth")
        if emerging is not None:
            emerging.write(args.out / "ground_truth")
    if programme is not None:
        print(f"planted a programme from {truth.start}: groups {', '.join(truth.treated_groups)}, "
              f"rate ratio {truth.rate_ratio}, {truth.removed.height} violent events prevented, "
              f"{truth.displaced.height} displaced to rival groups")
    if emerging is not None:
        print(f"planted an emerging group: {', '.join(emerging.members)}, "
              f"{emerging.incidents.height} anti-social behaviour incidents")
    e = county.extract
    print(f"wrote {args.out}: {e.people.height:,} people, {e.events.height:,} events, "
          f"{e.involvements.height:,} involvements, {e.associations.height:,} associations, "
          f"{e.groups.height} groups")
    return 0


def _plant_programme(args: argparse.Namespace, county):
    from deter.analysis.synth.programme import DEFAULT_START, plant_programme

    if args.programme_groups is None:
        return None
    try:
        return plant_programme(county, start=args.programme_start or DEFAULT_START,
                               groups=args.programme_groups, rate_ratio=args.programme_effect,
                               displacement=args.programme_displacement, seed=args.seed)
    except ValueError as error:
        raise UserError(f"the planted programme: {error}") from None


def migrate_database(verbosity: int) -> None:
    """Bring the tables up to date, or say plainly why the database's history cannot be."""
    from django.core.management import call_command
    from django.db.migrations.exceptions import InconsistentMigrationHistory, NodeNotFoundError
    from django.db.utils import OperationalError

    try:
        call_command("migrate", interactive=False, verbosity=verbosity)
    except InconsistentMigrationHistory as error:
        raise UserError(
            f"the database's record of applied migrations is inconsistent ({error}); it was "
            "changed outside `deter migrate` or belongs to another version of Deter. Nothing was "
            "changed: restore it from a backup or point DATABASE_URL at the right database"
        ) from None
    except NodeNotFoundError as error:
        raise UserError(f"the database was migrated by a version of Deter this one does not "
                        f"know ({error}); nothing was changed") from None
    except OperationalError as error:
        raise UserError(f"cannot reach or change the database: {error}") from None


def cmd_migrate(args: argparse.Namespace) -> int:
    setup_django(check_migrated=False)
    migrate_database(verbosity=1)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    setup_django()
    from deter.web.ingest.importer import load_extract

    if args.police_uk:
        from deter.analysis.police_uk import read_police_uk

        with step("reading data.police.uk files"):
            extract = read_police_uk(args.paths)
        for note in extract.notes:
            print(f"  note: {note}")
        source = "police.uk: " + ", ".join(p.name for p in args.paths)
    else:
        from deter.analysis.extract import read_extract

        if len(args.paths) != 1:
            raise UserError("give one extract folder (or use --police-uk for CSV files)")
        with step(f"validating {args.paths[0]}"):
            # its references may name records imported before: checked with the database
            extract = read_extract(args.paths[0], references=False)
        source = f"extract: {args.paths[0].resolve().name}"
    with step("loading into the database (one transaction)"):
        summary = load_extract(extract, source=source)
    print("imported" if summary.changed else "imported: nothing changed")
    for line in summary.lines():
        print(f"  {line}")
    return 0


def cmd_analyse(args: argparse.Namespace) -> int:
    config = _config(args)
    if args.extract:
        if not args.out:
            raise UserError("--extract needs --out: without the database the results go to files")
        from deter.analysis.extract import read_extract
        from deter.analysis.pipeline import analyse

        with step(f"reading {args.extract}"):
            extract = read_extract(args.extract)
        with step("analysing"):
            result = analyse(extract, config, progress=progress_printer())
        label = f"extract {args.extract}"
    else:
        setup_django()
        from deter.web.ingest.runs import run_analysis

        with step("analysing"):
            run, result = run_analysis(config, progress=progress_printer())
        label = f"analysis run {run.pk}"
    _print_result(label, result)
    if args.out:
        from deter.analysis.pipeline import write_outputs

        with step(f"writing {args.out}"):
            write_outputs(result, args.out)
        print(f"wrote the tables, network.graphml and report.html to {args.out}")
    return 0


def _print_result(label: str, result) -> None:
    summary = result.summary
    print(f"{label}: {result.people.height:,} people scored, "
          f"{summary['criteria']['proposed']:,} meet the selection criteria, "
          f"{result.groups.height} groups found, {summary['relations']['rivalries']} rivalries")
    for warning in summary.get("warnings", []):
        print(f"warning: {warning}", file=sys.stderr)
    top = result.people.head(5)
    for row in top.iter_rows(named=True):
        print(f"  #{row['rank']:<3} {row['person_id']:<12} group {row['group_id'] or '-':<6} "
              f"harm {row['harm_score']:9.1f}  victim harm {row['victim_harm_score']:9.1f}")


def cmd_demo(args: argparse.Namespace) -> int:
    default_sqlite = "DATABASE_URL" not in os.environ
    setup_django(check_migrated=False)
    import tempfile

    from django.core.management import call_command

    from deter.analysis.extract import read_extract
    from deter.analysis.synth import synthesise, write_county
    from deter.analysis.synth.emerging import plant_emerging_group
    from deter.web.demo.world import create_demo_world
    from deter.web.ingest.importer import database_is_empty, load_extract
    from deter.web.ingest.runs import run_analysis

    timings: dict[str, float] = {}
    with step("setting up the database", timings):
        migrate_database(verbosity=0)
        if not database_is_empty():
            if not (default_sqlite or args.reset):
                raise UserError("the database is not empty: pass --reset to let the demo "
                                "empty it, or point DATABASE_URL at an empty database")
            call_command("flush", interactive=False, verbosity=0)
    with tempfile.TemporaryDirectory(prefix="deter-demo-") as folder:
        with step(f"synthesising the {args.scale} (seed {args.seed})", timings):
            county, emerging = plant_emerging_group(synthesise(seed=args.seed,
                                                               scale=args.scale))
            write_county(county, Path(folder))
        with step("validating and importing the extract", timings):
            summary = load_extract(read_extract(folder), source=f"synthetic {args.scale}")
        print(f"  imported {summary}")
    with step("analysing", timings):
        run, result = run_analysis(progress=progress_printer())
    _print_result(f"analysis run {run.pk}", result)
    with step("creating the demo programme and users", timings):
        logins = create_demo_world(run, emerging_group=emerging.members, drug_market=True)
    print("\nDemo logins (demo only; every view and change is audited):")
    for login in logins:
        print(f"  {login.username:<14} {login.password:<22} {login.role:<12} "
              f"{login.agency} — {login.description}")
    print("\nTimings: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))
    if not args.no_serve:
        return _serve(args)
    return 0


def cmd_user(args: argparse.Namespace) -> int:
    setup_django()
    from django.core.exceptions import ValidationError

    from deter.web.actions import accounts

    try:
        if args.user_command == "reset-password":
            temporary = accounts.reset_password(None, username=args.username)
            print(f"temporary password for {args.username}: {temporary}\n"
                  "Give it to them in person or by phone; they choose their own at the next "
                  "sign-in. Their sessions were ended.")
        elif args.user_command == "deactivate":
            ended = accounts.deactivate_user(None, username=args.username)
            print(f"{args.username} deactivated; {ended} session(s) ended")
        else:
            removed = accounts.reset_two_factor(None, username=args.username)
            print(f"{args.username}: {removed} two-factor device(s) removed; sessions ended")
    except ValidationError as error:
        raise UserError(" ".join(error.messages) + ". Nothing was changed.") from error
    return 0


def cmd_api_token(args: argparse.Namespace) -> int:
    setup_django()
    from django.core.exceptions import ValidationError

    from deter.web.actions import api_tokens

    try:
        if args.api_command == "create":
            issued = api_tokens.issue_token(None, name=args.name, agency_name=args.agency,
                                            role=args.role, days=args.days)
            token = issued.token
            print(f"token for {token.name} ({token.agency.name}, {args.role}, acting as "
                  f"{token.user.username}), expires {token.expires_at:%Y-%m-%d %H:%M} UTC:\n"
                  f"{issued.secret}\n"
                  "It is shown this once and cannot be shown again: give it to the partner "
                  "system's administrator securely.")
        elif args.api_command == "revoke":
            token = api_tokens.revoke_token(None, prefix=args.prefix)
            print(f"token {token.prefix} of {token.name} revoked")
        else:
            _print_tokens()
    except ValidationError as error:
        raise UserError(" ".join(error.messages) + ". Nothing was changed.") from error
    return 0


def _print_tokens() -> None:
    from django.utils import timezone

    from deter.web.policy import api_tokens

    now = timezone.now()
    print(f"{'prefix':<10}{'state':<9}{'expires (UTC)':<18}{'agency':<30}integration")
    for token in api_tokens.every_token():
        state = "revoked" if token.revoked_at else "expired" if token.expires_at <= now \
            else "live"
        print(f"{token.prefix:<10}{state:<9}{token.expires_at:%Y-%m-%d %H:%M}  "
              f"{token.agency.name[:28]:<30}{token.name} (as {token.user.username})")
def cmd_agencies(args: argparse.Namespace) -> int:
    setup_django()
    from django.core.exceptions import ValidationError

    from deter.web.actions import administration as admin
    from deter.web.domain.logos import check_logo
    from deter.web.models import Agency

    if args.agency_command == "list":
        for agency in Agency.objects.order_by("name"):
            staff = agency.staff_roles.values("user").distinct().count()
            print(f"{agency.name:<45} {agency.kind:<20} {staff:>3} staff"
                  f"{'  logo' if agency.logo_id else ''}"
                  f"{'  ' + agency.phone if agency.phone else ''}")
        return 0
    logo = _read_logo(args.logo)
    try:
        if logo is not None:  # checked before anything is saved: all or nothing
            check_logo(logo, args.logo.name)
        if args.agency_command == "add":
            agency = admin.save_agency(None, name=args.name, kind=args.kind,
                                       address=_address(args.address), phone=args.phone or "")
        else:
            agency = _agency(args.name)
            agency = admin.save_agency(
                None, agency, name=args.new_name or agency.name, kind=args.kind or agency.kind,
                address=agency.address if args.address is None else _address(args.address),
                phone=agency.phone if args.phone is None else args.phone)
            if args.no_logo:
                admin.set_agency_logo(None, agency, None)
        if logo is not None:
            admin.set_agency_logo(None, agency, logo, args.logo.name)
    except ValidationError as error:
        raise UserError(_messages(error) + " Nothing was changed.") from error
    print(f"{'added' if args.agency_command == 'add' else 'saved'} {agency.name} "
          f"({agency.kind}){', with its logo' if agency.logo_id else ''}")
    return 0


def _read_logo(path: Path | None) -> bytes | None:
    if path is None:
        return None
    if not path.is_file():
        raise UserError(f"--logo {path}: no such file. Nothing was changed.")
    if path.stat().st_size > 1024 * 1024:
        raise UserError(f"--logo {path} is larger than 1 MB. Nothing was changed.")
    return path.read_bytes()


def _address(text: str | None) -> str:
    return "\n".join(part.strip() for part in (text or "").replace(" / ", "\n").split("\n"))


def _messages(error) -> str:
    if hasattr(error, "message_dict"):
        return " ".join(f"{field}: {message}." for field, messages in error.message_dict.items()
                        for message in messages)
    return " ".join(error.messages) + "."


def _agency(name: str):
    from deter.web.models import Agency

    agency = Agency.objects.filter(name__iexact=name).first()
    if agency is None:
        raise UserError(f"no agency called {name!r} (see `deter agencies list`). Nothing was "
                        "changed.")
    return agency


def _account(username: str):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise UserError(f"no user is called {username!r} (see `deter users list`). Nothing "
                        "was changed.")
    return user


def cmd_users(args: argparse.Namespace) -> int:
    setup_django()
    from django.core.exceptions import ValidationError

    if args.user_command == "list":
        _list_users()
        return 0
    try:
        _USER_COMMANDS[args.user_command](args)
    except ValidationError as error:
        raise UserError(_messages(error) + " Nothing was changed.") from error
    return 0


def _list_users() -> None:
    from django.contrib.auth import get_user_model

    from deter.web.models import display_name, profile_of

    for user in get_user_model().objects.order_by("username").select_related(
            "staff_profile").prefetch_related("staff_roles__agency"):
        profile = profile_of(user)
        roles = "; ".join(f"{r.role} at {r.agency.name}" for r in user.staff_roles.all())
        flags = [f for f, on in (("deactivated", not user.is_active), (
            "system administrator", profile and profile.system_administrator)) if on]
        print(f"{user.username:<16} {display_name(user, fallback='(no name)'):<24} "
              f"{(profile.job_title if profile else ''):<30} {roles or 'no roles'}"
              + (f"  [{', '.join(flags)}]" if flags else ""))


def _user_add(args: argparse.Namespace) -> None:
    from deter.web.actions import administration as admin

    if bool(args.agency) != bool(args.role):
        raise UserError("give --agency and --role together. Nothing was changed.")
    agency = _agency(args.agency) if args.agency else None
    made = admin.create_account(None, username=args.username, full_name=args.name,
                                job_title=args.job_title or "", email=args.email or "",
                                phone=args.phone or "",
                                system_administrator=bool(args.system_administrator))
    print(f"added {args.username}: temporary password {made.temporary_password}\n"
          "Give it to them in person or by phone; they choose their own at the first sign-in.")
    if agency is not None:
        admin.grant_role(None, made.user, agency=agency, role=args.role)
        print(f"granted {args.role} at {agency.name}")


def _user_edit(args: argparse.Namespace) -> None:
    from deter.web.actions import administration as admin
    from deter.web.models import profile_of

    user = _account(args.username)
    profile = profile_of(user)

    def given(value, present):
        return present if value is None else value
    admin.edit_account(
        None, user, full_name=given(args.name, profile.full_name if profile else ""),
        job_title=given(args.job_title, profile.job_title if profile else ""),
        email=given(args.email, user.email),
        phone=given(args.phone, profile.phone if profile else ""),
        system_administrator=args.system_administrator)
    print(f"saved {args.username}")


def _user_grant(args: argparse.Namespace) -> None:
    from deter.web.actions import administration as admin

    user, agency = _account(args.username), _agency(args.agency)
    admin.grant_role(None, user, agency=agency, role=args.role)
    print(f"{args.username} is {args.role} at {agency.name}")


def _user_revoke(args: argparse.Namespace) -> None:
    from deter.web.actions import administration as admin

    user, agency = _account(args.username), _agency(args.agency)
    admin.revoke_role(None, user, agency=agency, role=args.role)
    print(f"{args.username} is no longer {args.role} at {agency.name}")


_USER_COMMANDS = {"add": _user_add, "edit": _user_edit, "grant": _user_grant,
                  "revoke": _user_revoke}


def cmd_retention_run(args: argparse.Namespace) -> int:
    setup_django()
    from django.core.exceptions import ValidationError

    from deter.web.actions.retention import run_retention

    try:
        result = run_retention(args.as_of, dry_run=args.dry_run)
    except ValidationError as error:
        raise UserError(" ".join(error.messages) + " Nothing was changed.") from error
    _print_retention(result)
    return 0


def _print_retention(result) -> None:
    report, run = result.report, result.run
    verb = "would be" if run.dry_run else "were"
    print(f"retention run {run.pk} as of {report.as_of:%Y-%m-%d}"
          f"{' (dry run: nothing changed)' if run.dry_run else ''}")
    shown = [item for item in report.items if item.count]
    for item in shown:
        where = item.programme.name if item.programme else "whole system"
        if item.kind == "audit":
            print(f"  {item.label} ({where}): {item.count} rows dated {item.cutoff:%Y-%m-%d} "
                  f"or before, keys {item.ids[0]} to {item.ids[-1]}; reported only, never "
                  "deleted by retention")
            continue
        keys = ", ".join(map(str, item.ids[:20])) + (" …" if len(item.ids) > 20 else "")
        print(f"  {item.label} ({where}): {item.count} dated {item.cutoff:%Y-%m-%d} or before "
              f"{verb} {'anonymised' if item.kind == 'meeting_notes' else 'deleted'}: {keys}")
    if not shown:
        print("  nothing falls due")
    if result.confirmations:
        agencies = len({c.agency_id for c in result.confirmations})
        print(f"  {len(result.confirmations)} deletion confirmations asked of {agencies} "
              "partner agencies")


def cmd_audit_verify(args: argparse.Namespace) -> int:
    setup_django()
    from deter.web.audit.verify import verify

    started = time.perf_counter()
    result = verify(anchor=args.anchor)
    elapsed = time.perf_counter() - started
    if result.fault:
        print(f"audit chain broken: {result.fault.message} (checked {result.count:,} rows, "
              f"{elapsed:.1f} s)", file=sys.stderr)
    if result.missing_triggers:
        print("audit trail unprotected: the database is missing the append-only triggers "
              f"{', '.join(result.missing_triggers)}; run `deter migrate` to put them back",
              file=sys.stderr)
    if result.anchor_found is False:
        print(f"audit chain rewritten or cut short: the anchored hash {args.anchor} is no "
              "longer in the chain", file=sys.stderr)
    if not result.intact:
        return 1
    print(f"audit chain intact: {result.count:,} rows checked in {elapsed:.1f} s"
          f"{', the anchor among them' if result.anchor_found else ''}\n"
          f"head hash {result.head} (record it outside the database)")
    return 0


def cmd_export_evaluation(args: argparse.Namespace) -> int:
    setup_django()
    from django.contrib.auth import get_user_model
    from django.core.exceptions import PermissionDenied

    from deter.web.actions.evaluation import export_for_programme
    from deter.web.models import Programme

    if args.out.exists() and (not args.out.is_dir() or any(args.out.iterdir())):
        raise UserError(f"{args.out} is not an empty folder: choose a new or empty one. "
                        "Nothing was exported.")
    programme = Programme.objects.filter(pk=args.programme).first()
    if programme is None:
        raise UserError(f"no programme with key {args.programme}. Nothing was exported.")
    evaluator = get_user_model().objects.filter(username=args.evaluator).first()
    if evaluator is None:
        raise UserError(f"no user {args.evaluator!r}. Nothing was exported.")
    try:
        export = export_for_programme(evaluator, programme, via="cli")
    except PermissionDenied as error:
        raise UserError(f"{error}. Nothing was exported.") from error
    args.out.mkdir(parents=True, exist_ok=True)
    for name, content in export.files.items():
        (args.out / name).write_bytes(content)
    manifest = export.manifest
    print(f"evaluation export of {programme.name} for {evaluator.get_username()} in {args.out}: "
          f"{manifest['rows_released']} rows released, {manifest['rows_suppressed']} suppressed, "
          f"k = {manifest['k']} (required {manifest['k_required']})")
    for step in manifest["generalised"]:
        print(f"  {step['column']} coarsened from {step['from']} to {step['to']}")
    print("  files: " + ", ".join(sorted(export.files)))
    return 0


def cmd_sar(args: argparse.Namespace) -> int:
    setup_django()
    from deter.web.actions.rights import system_subject_access
    from deter.web.models import Person

    person = Person.objects.filter(person_id=args.person_id).first()
    if person is None:
        raise UserError(f"no person with the id {args.person_id!r}. Nothing was written.")
    if args.out.exists() and not args.out.is_dir():
        raise UserError(f"--out {args.out} is a file, not a folder. Nothing was written.")
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"subject-access-{person.person_id}.zip"
    path.write_bytes(system_subject_access(person))
    print(f"wrote {path} ({path.stat().st_size:,} bytes): subject-access.pdf, "
          "subject-access.json and csv/ for each section")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    setup_django()
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    try:
        call_command("check", deploy=True, fail_level="WARNING")
    except SystemCheckError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    setup_django()
    from deter.web.worker import run_worker

    return run_worker(interval=args.interval, batch=args.batch)


def cmd_runs(args: argparse.Namespace) -> int:
    setup_django()
    from deter.web.ingest.runs import mark_dead_runs_failed
    from deter.web.models import AnalysisRun

    for run in mark_dead_runs_failed():
        print(f"marked run {run.pk} failed: {run.failure}")
    for run in AnalysisRun.objects.order_by("-pk")[: args.last]:
        where = f"{run.host} pid {run.pid}" if run.pid else "-"
        print(f"run {run.pk:<5} {run.status:<9} started {run.started_at:%Y-%m-%d %H:%M:%S} "
              f"{where}" + (f"  {run.failure}" if run.failure else ""))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    setup_django()
    return _serve(args)


def _serve(args: argparse.Namespace) -> int:
    from django.core.management import call_command
    from django.db import connections

    from deter.web.server import ServeOptions, default_workers, serve

    call_command("collectstatic", interactive=False, verbosity=0)
    # The workers are forked from this process: none may inherit its database connection.
    connections.close_all()
    options = ServeOptions(host=args.host, port=args.port, workers=args.workers)
    print(f"\nServing Deter at http://{args.host}:{args.port}/ with "
          f"{args.workers or default_workers()} gunicorn workers (Ctrl+C to stop)", flush=True)
    return serve(options)


if __name__ == "__main__":
    sys.exit(main())
