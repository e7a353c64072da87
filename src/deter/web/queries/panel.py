"""The panel's proposals at scale: the people before the panel (proposed or deferred), found
through the policy, searched, filtered, sorted and paged in the database.

Every filter is one clause of one query, and a page's scores, groups and evidence are read
once for the page, so the number of queries does not grow with the number of proposals.
The selection criteria are a JSON list on ``PersonScore``; SQLite cannot look inside one, so
the criteria are read once (person, criteria) for the programme's proposals and the filter
becomes a list of people.
"""

from dataclasses import dataclass
from datetime import date

from django.db.models import (
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)

from .. import policy
from ..models import (
    AnalysisRun,
    CohortEntry,
    CohortStatus,
    Event,
    Involvement,
    PersonScore,
    Programme,
)

BEFORE_PANEL = (CohortStatus.PROPOSED, CohortStatus.DEFERRED)

# (label, youngest, oldest) in years on the day; "unknown" is no date of birth
AGE_BANDS: dict[str, tuple[str, int | None, int | None]] = {
    "under_14": ("Under 14", None, 13),
    "14_15": ("14 to 15", 14, 15),
    "16_17": ("16 to 17", 16, 17),
    "18_24": ("18 to 24", 18, 24),
    "25_plus": ("25 and over", 25, None),
    "unknown": ("Age not recorded", None, None),
}
# harm score bands (crime harm index days, decayed)
SCORE_BANDS: dict[str, tuple[str, float | None, float | None]] = {
    "under_100": ("Under 100", None, 100.0),
    "100_999": ("100 to 999", 100.0, 1000.0),
    "1000_9999": ("1,000 to 9,999", 1000.0, 10000.0),
    "10000_plus": ("10,000 and over", 10000.0, None),
    "unscored": ("Not scored in the latest run", None, None),
}
SORTS: dict[str, tuple[str, tuple]] = {
    "harm": ("Harm score, highest first",
             (F("harm").desc(nulls_last=True), "person__person_id")),
    "review": ("Decide by, soonest first", ("review_date", "person__person_id")),
    "age": ("Age, youngest first",
            (F("person__date_of_birth").desc(nulls_first=True), "person__person_id")),
    "person": ("Person id", ("person__person_id",)),
    "proposed": ("Proposed, newest first", ("-pk",)),
}
DEFAULT_SORT = "harm"


@dataclass(frozen=True)
class Filters:
    q: str = ""
    age_band: str = ""
    child: str = ""  # "yes", "no" or ""
    group: int | None = None
    area: str = ""
    criterion: str = ""
    score_band: str = ""
    status: str = ""
    sort: str = DEFAULT_SORT


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def age_clause(band: str, today: date) -> Q:
    """People of an age band on ``today``: born after (today - oldest - 1 years) and on or
    before (today - youngest years)."""
    if band == "unknown":
        return Q(person__date_of_birth__isnull=True)
    _, youngest, oldest = AGE_BANDS[band]
    clause = Q(person__date_of_birth__isnull=False)
    if youngest is not None:
        clause &= Q(person__date_of_birth__lte=_years_before(today, youngest))
    if oldest is not None:
        clause &= Q(person__date_of_birth__gt=_years_before(today, oldest + 1))
    return clause


def child_clause(today: date) -> Q:
    """Children, as ``domain.people.is_child``: under 18, or no date of birth."""
    return (Q(person__date_of_birth__isnull=True)
            | Q(person__date_of_birth__gt=_years_before(today, 18)))


def score_clause(band: str) -> Q:
    if band == "unscored":
        return Q(harm__isnull=True)
    _, low, high = SCORE_BANDS[band]
    clause = Q(harm__isnull=False)
    if low is not None:
        clause &= Q(harm__gte=low)
    if high is not None:
        clause &= Q(harm__lt=high)
    return clause


def before_panel(user, programme: Programme, run: AnalysisRun | None) -> QuerySet[CohortEntry]:
    """The programme's entries before the panel the user may see, each with ``harm`` (its
    score in ``run``, or null)."""
    entries = (policy.entries.visible(user)
               .filter(programme=programme, status__in=BEFORE_PANEL))
    harm = (PersonScore.objects.filter(run=run, person_id=OuterRef("person_id"))
            .values("harm_score")[:1]) if run else None
    return entries.annotate(harm=Subquery(harm)) if harm is not None else entries.annotate(
        harm=Subquery(PersonScore.objects.none().values("harm_score")[:1]))


def criteria_of(entries: QuerySet[CohortEntry], run: AnalysisRun | None) -> dict[int, list]:
    """{person pk: criteria met in ``run``} for the entries' people: one query."""
    if run is None:
        return {}
    return dict(run.people.filter(person_id__in=entries.values("person_id"))
                .values_list("person_id", "criteria_met"))


def _area_clause(area: str) -> Q:
    """People involved in an event in the area: an LSOA code, or part of a place name."""
    places = Involvement.objects.filter(person_id=OuterRef("person_id")).filter(
        Q(event__location__lsoa_code__iexact=area)
        | Q(event__location__description__icontains=area))
    return Q(Exists(places))


def search(entries: QuerySet[CohortEntry], filters: Filters, today: date,
           criteria: dict[int, list]) -> QuerySet[CohortEntry]:
    """The entries that match every filter, in the chosen order."""
    clauses = []
    if filters.q:
        clauses.append(Q(person__person_id__icontains=filters.q))
    if filters.age_band:
        clauses.append(age_clause(filters.age_band, today))
    if filters.child == "yes":
        clauses.append(child_clause(today))
    elif filters.child == "no":
        clauses.append(~child_clause(today))
    if filters.group is not None:
        clauses.append(Q(group_id=filters.group))
    if filters.area:
        clauses.append(_area_clause(filters.area))
    if filters.criterion:
        clauses.append(Q(person_id__in=[pk for pk, met in criteria.items()
                                        if filters.criterion in (met or [])]))
    if filters.score_band:
        clauses.append(score_clause(filters.score_band))
    if filters.status:
        clauses.append(Q(status=filters.status))
    found = entries.filter(*clauses)
    return found.order_by(*SORTS.get(filters.sort, SORTS[DEFAULT_SORT])[1])


def criteria_choices(criteria: dict[int, list]) -> list[str]:
    """Every selection criterion met by someone before the panel, alphabetically."""
    return sorted({str(item) for met in criteria.values() for item in (met or [])})


def evidence_of(entries: list[CohortEntry]) -> dict[int, list]:
    """{entry pk: the evidence events chosen for it by hand}: one query for the page."""
    through = CohortEntry.evidence.through.objects.filter(
        cohortentry_id__in=[entry.pk for entry in entries]).select_related("event")
    chosen: dict[int, list] = {}
    for row in through.order_by("-event__occurred_at"):
        chosen.setdefault(row.cohortentry_id, []).append(row.event)
    return chosen


def events_of(people) -> QuerySet[Event]:
    """The events the people are involved in, newest first, for choosing evidence; called
    only for people the policy let the user propose or see."""
    return Event.objects.filter(pk__in=Involvement.objects.filter(
        person__in=list(people)).values("event_id")).order_by("-occurred_at")

