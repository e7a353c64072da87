"""Read models of the data protection officer's console: who viewed a person, what a user did
over a period, the two access flags, and the log as CSV.

Every question about the audit trail is asked here. A row names the agencies and roles its
actor held when it was written (``actor_roles``) and the purpose its URL declares
(``audit.purposes``); rows written before those columns existed fall back to the actor's roles
now and to a purpose in their detail.

Audit rows name no programme, so what a DPO may read is scoped by people and staff
(``Scope``): the people in the cohort of a programme they oversee
(``policy.programmes.instances(user, "see_audit")``), and the staff of that programme's
agencies (its partners, its lead and every party to any version of its agreement). The flags
are defined in docs/adr/0009-dpo-console-access-flags.md.
"""

import csv
import json
import statistics
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from ..models import (
    AgreementParty,
    AuditEvent,
    CohortEntry,
    Person,
    PersonLink,
    Programme,
    StaffRole,
)

ALLOWED = AuditEvent.Outcome.ALLOWED
PERSON_VIEWS = ("view_person",)  # the actions that are a view of a person's page
MIN_DAILY_VIEWS = 50  # a day's person views at or under this are never unusual
VOLUME_FACTOR = 3  # ...above it, unusual beyond this many times the user's usual day
BASELINE_DAYS = 30  # the usual day: the median of the days before, a day without views as 0
MAX_SHOWN = 500  # rows a page lists; the CSV export has no limit
MAX_SCANNED = 20_000  # person views checked against caseloads in one period
EXPORT_CHUNK = 2_000
EXPORT_COLUMNS = ("at", "actor", "actor_roles", "purpose", "action", "object_type", "object_id",
                  "outcome", "detail", "ip_address", "user_agent", "session", "hash")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Period:
    """Whole days, both ends included, in the server's time zone."""

    start: date
    end: date

    @classmethod
    def last_days(cls, days: int, today: date | None = None) -> "Period":
        today = today or timezone.localdate()
        return cls(today - timedelta(days=days - 1), today)

    def bounds(self) -> tuple[datetime, datetime]:
        zone = timezone.get_current_timezone()
        return (datetime.combine(self.start, time.min, zone),
                datetime.combine(self.end + timedelta(days=1), time.min, zone))

    def q(self) -> Q:
        since, until = self.bounds()
        return Q(at__gte=since, at__lt=until)

    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]


@dataclass(frozen=True)
class Scope:
    """The people and staff whose audit rows a DPO may read."""

    programmes: tuple[int, ...]

    def people(self) -> QuerySet[Person]:
        return Person.objects.filter(cohort_entries__programme__in=self.programmes).distinct()

    def agencies(self) -> set[int]:
        found = set(Programme.agencies.through.objects.filter(
            programme_id__in=self.programmes).values_list("agency_id", flat=True))
        found |= set(Programme.objects.filter(pk__in=self.programmes, lead_agency__isnull=False)
                     .values_list("lead_agency_id", flat=True))
        found |= set(AgreementParty.objects.filter(agreement__programme__in=self.programmes)
                     .values_list("agency_id", flat=True))
        return found

    def staff(self) -> QuerySet:
        return get_user_model().objects.filter(
            staff_roles__agency__in=self.agencies()).distinct()


def scope_of(programmes: Iterable[Programme]) -> Scope:
    return Scope(tuple(sorted(p.pk for p in programmes)))


def find_person(scope: Scope, person_id: str) -> Person | None:
    """A person by their pseudonymous id, if they are in an overseen programme."""
    return scope.people().filter(person_id=person_id.strip()).first()


def find_staff(scope: Scope, username: str):
    return scope.staff().filter(username=username.strip()).first()


@dataclass
class LogRow:
    """One audit row as the console lists it."""

    event: AuditEvent
    agencies: str  # the actor's agencies and roles when the row was written
    purpose: str
    detail: str


def _agencies_of(user_pks: set[int]) -> dict[int, str]:
    held: dict[int, list[str]] = defaultdict(list)
    for role in StaffRole.objects.filter(user_id__in=user_pks).select_related("agency") \
            .order_by("agency__name", "role"):
        held[role.user_id].append(f"{role.agency.name} ({role.get_role_display().lower()})")
    return {pk: "; ".join(roles) for pk, roles in held.items()}


def _detail_text(detail: dict) -> str:
    return "; ".join(f"{key.replace('_', ' ')}: {value}" for key, value in detail.items()
                     if key != "purpose")


def _role_label(value: object) -> str:
    labels = dict(StaffRole.Role.choices)
    return str(labels.get(value, value)).lower()


def _roles_text(roles: list) -> str:
    return "; ".join(f"{held['agency']} ({_role_label(held.get('role'))})" if held.get("agency")
                     else _role_label(held.get("role")).replace("_", " ")
                     for held in roles if isinstance(held, dict))


def _rows(events: Iterable[AuditEvent]) -> list[LogRow]:
    events = list(events)
    now_held = _agencies_of({e.actor_id for e in events if e.actor_id and not e.actor_roles})
    detail = [e.detail if isinstance(e.detail, dict) else {} for e in events]
    return [LogRow(event=e,
                   agencies=_roles_text(e.actor_roles) if e.actor_roles
                   else now_held.get(e.actor_id, ""),
                   purpose=e.purpose or str(d.get("purpose", "")),
                   detail=_detail_text(d))
            for e, d in zip(events, detail, strict=True)]


def about_person(person: Person) -> Q:
    """Rows about the person: on the person record itself, or naming them in their detail
    (a cohort entry's plan, a link, a letter)."""
    return Q(object_type="person", object_id=str(person.pk)) | Q(detail__person=person.pk)


def views_of_person(person: Person, period: Period) -> list[LogRow]:
    """Who viewed or tried to view the person, and what they did about them, newest first."""
    return _rows(AuditEvent.objects.filter(about_person(person), period.q())
                 .order_by("-at", "-id")[:MAX_SHOWN])


def activity_of_user(user, period: Period) -> list[LogRow]:
    """Everything the user did or was refused, newest first."""
    return _rows(AuditEvent.objects.filter(period.q(), actor=user)
                 .order_by("-at", "-id")[:MAX_SHOWN])


def person_views_in(scope: Scope, period: Period) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(
        period.q(), action__in=PERSON_VIEWS, outcome=ALLOWED, object_type="person",
        actor__in=scope.staff())


# --- flag 1: a person viewed outside the user's caseload -------------------------------------

@dataclass(frozen=True)
class Caseloads:
    """The facts that put a person in a user's caseload (docs/adr/0009)."""

    agencies: dict[int, set[int]]  # user -> their agencies
    coordinates: dict[int, set[int]]  # user -> agencies where they are a coordinator
    links: dict[int, list[tuple[int, datetime, datetime | None]]]  # person -> open spans
    entries: dict[int, list[dict]]  # person -> their entries' programme, lead and leads
    programme_agencies: dict[int, set[int]]  # programme -> its partner agencies

    def holds(self, user_pk: int, person_pk: int, at: datetime) -> bool:
        agencies = self.agencies.get(user_pk, set())
        for agency, recorded, ended in self.links.get(person_pk, ()):
            if agency in agencies and recorded <= at and (ended is None or ended > at):
                return True
        for entry in self.entries.get(person_pk, ()):
            if user_pk in (entry["lead_professional_id"], entry["safeguarding_lead_id"]):
                return True
            if entry["programme__lead_agency_id"] in agencies:
                return True
            coordinated = self.coordinates.get(user_pk, set())
            if coordinated & self.programme_agencies.get(entry["programme_id"], set()):
                return True
        return False


def caseloads(user_pks: set[int], person_pks: set[int]) -> Caseloads:
    agencies: dict[int, set[int]] = defaultdict(set)
    coordinates: dict[int, set[int]] = defaultdict(set)
    for user_pk, agency, role in StaffRole.objects.filter(user_id__in=user_pks).values_list(
            "user_id", "agency_id", "role"):
        agencies[user_pk].add(agency)
        if role == StaffRole.Role.COORDINATOR:
            coordinates[user_pk].add(agency)
    links: dict[int, list] = defaultdict(list)
    for person, agency, recorded, ended in PersonLink.objects.filter(
            person_id__in=person_pks).values_list("person_id", "agency_id", "recorded_at",
                                                   "ended_at"):
        links[person].append((agency, recorded, ended))
    entries: dict[int, list[dict]] = defaultdict(list)
    for entry in CohortEntry.objects.filter(person_id__in=person_pks).values(
            "person_id", "programme_id", "programme__lead_agency_id", "lead_professional_id",
            "safeguarding_lead_id"):
        entries[entry["person_id"]].append(entry)
    programme_agencies: dict[int, set[int]] = defaultdict(set)
    for programme, agency in Programme.agencies.through.objects.filter(
            programme_id__in={e["programme_id"] for es in entries.values() for e in es}
    ).values_list("programme_id", "agency_id"):
        programme_agencies[programme].add(agency)
    return Caseloads(dict(agencies), dict(coordinates), dict(links), dict(entries),
                     dict(programme_agencies))


@dataclass
class OutsideCaseload:
    event: AuditEvent
    person: Person | None


def outside_caseload(scope: Scope, period: Period) -> list[OutsideCaseload]:
    """Person views, newest first, of someone outside the viewer's caseload at the time."""
    events = [e for e in person_views_in(scope, period).order_by("-at", "-id")[:MAX_SCANNED]
              if e.object_id.isdigit() and e.actor_id]
    person_pks = {int(e.object_id) for e in events}
    known = caseloads({e.actor_id for e in events}, person_pks)
    people = Person.objects.in_bulk(person_pks)
    flagged = [OutsideCaseload(e, people.get(int(e.object_id))) for e in events
               if not known.holds(e.actor_id, int(e.object_id), e.at)]
    return flagged[:MAX_SHOWN]


# --- flag 2: unusual volume ------------------------------------------------------------------

@dataclass(frozen=True)
class VolumeFlag:
    user_pk: int
    username: str
    day: date
    views: int
    usual: float  # the median day of the BASELINE_DAYS before
    threshold: float


def threshold_for(day: date, daily: dict[date, int]) -> tuple[float, float]:
    """The user's usual day before ``day`` and the count above which ``day`` is unusual."""
    before = [daily.get(day - timedelta(days=n), 0) for n in range(1, BASELINE_DAYS + 1)]
    usual = statistics.median(before)
    return usual, max(MIN_DAILY_VIEWS, VOLUME_FACTOR * usual)


def daily_person_views(scope: Scope, period: Period) -> dict[int, dict[date, int]]:
    """user -> day -> person views, over the period and the baseline days before it."""
    wider = Period(period.start - timedelta(days=BASELINE_DAYS), period.end)
    counts: dict[int, dict[date, int]] = defaultdict(dict)
    for user_pk, day, views in (
            person_views_in(scope, wider)
            .annotate(day=TruncDate("at", tzinfo=timezone.get_current_timezone()))
            .order_by().values("actor_id", "day").annotate(n=Count("id"))
            .values_list("actor_id", "day", "n")):
        counts[user_pk][day] = views
    return counts


def unusual_volume(scope: Scope, period: Period) -> list[VolumeFlag]:
    """Days in the period on which a user viewed more people than max(50, 3 x their median
    day over the 30 days before), busiest first."""
    counts = daily_person_views(scope, period)
    names = dict(get_user_model().objects.filter(pk__in=counts).values_list("pk", "username"))
    flags = []
    for user_pk, daily in counts.items():
        for day in period.days():
            views = daily.get(day, 0)
            usual, threshold = threshold_for(day, daily)
            if views > threshold:
                flags.append(VolumeFlag(user_pk, names.get(user_pk, "?"), day, views, usual,
                                        threshold))
    return sorted(flags, key=lambda f: (-f.views, f.day, f.username))


# --- the log as CSV --------------------------------------------------------------------------

def export_events(scope: Scope, period: Period) -> QuerySet[AuditEvent]:
    """Every row in the period by the scope's staff, oldest first."""
    return AuditEvent.objects.filter(period.q(), actor__in=scope.staff()).order_by("at", "id")


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    # a spreadsheet would run a cell starting like a formula
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class _Line:
    """csv.writer's file: hands back each line instead of keeping it."""

    def write(self, line: str) -> str:
        return line


def csv_lines(events: QuerySet[AuditEvent]) -> Iterator[str]:
    """The header, then one line per row, read from the database in chunks: memory stays
    bounded however long the period."""
    writer = csv.writer(_Line())
    yield writer.writerow(EXPORT_COLUMNS)
    json_columns = {"actor_roles", "detail"}
    for row in events.values_list(
            "at", "actor_name", *EXPORT_COLUMNS[2:]).iterator(chunk_size=EXPORT_CHUNK):
        cells = dict(zip(EXPORT_COLUMNS, row, strict=True))
        cells["at"] = timezone.localtime(cells["at"]).isoformat()
        for column in json_columns:
            cells[column] = json.dumps(cells[column], sort_keys=True)
        yield writer.writerow([_cell(cells[column]) for column in EXPORT_COLUMNS])


# --- the console's front page ----------------------------------------------------------------

@dataclass
class Summary:
    period: Period
    person_views: int
    outside_caseload: int
    unusual_days: int
    anything_viewed: bool  # has anyone in scope ever viewed a person


def summary(scope: Scope, period: Period) -> Summary:
    return Summary(
        period=period,
        person_views=person_views_in(scope, period).count(),
        outside_caseload=len(outside_caseload(scope, period)),
        unusual_days=len(unusual_volume(scope, period)),
        anything_viewed=AuditEvent.objects.filter(
            action__in=PERSON_VIEWS, actor__in=scope.staff()).exists(),
    )
