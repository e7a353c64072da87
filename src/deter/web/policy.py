"""The access policy: the one place that decides who may see and do what.

Every view, action and export asks this module; nothing else filters people by agency or role.
Querysets here are lazy and compose into single SQL statements, so asking the policy costs no
extra queries per row.

The rules, from ``StaffRole`` (a user's agencies and roles) and ``Programme.agencies``:

- A person is visible only through a programme that one of the user's agencies partners in, and
  only if the person has a ``CohortEntry`` in that programme.
- Analysts and coordinators see entries of every status; caseworkers and partner-agency users see
  only active and stepped-down entries.
- A user whose agencies partner in no programme sees nobody. Superuser status grants nothing.
- Analysts, coordinators and caseworkers may record interventions by any of the programme's
  agencies; partner-agency users only with their own agency as the provider.
- Police-held case detail (events, recorded group memberships, harm scores and their
  explanation) is shown to analysts, coordinators and caseworkers; partner-agency users see the
  person's summary, cohort status and interventions until a data-sharing agreement says more.
- Panel decisions (accept, reject, defer, step down, exit), proposals from an analysis run,
  programme settings, meetings and letter templates are the coordinator's: a coordinator of a
  partner agency decides for that programme.
- Plans: the coordinator and the person's lead professional edit a person's plan (support
  offer, consequence, safeguarding); a group's plan, its coordinator and lead professional.
- Cohort groups are police-held analysis: analysts, coordinators and caseworkers see them
  (caseworkers only active and stepped-down groups); partner-agency users do not.
- Meetings and their actions are seen by analysts, coordinators and caseworkers of the
  programme, and by anyone invited to attend; an action is always visible to its owner, who
  (with the coordinator) may mark it done.
- Interventions are seen with the person (or group) they are for; they are moved along their
  life-cycle (and an order's breaches recorded) by whoever may record interventions by the
  provider agency, so a partner only its own agency's; a group's, by its coordinator and lead
  professional. Letters name and address a person: the coordinator, the programme's
  caseworkers and the person's lead professional write and read them. The delivery page is for
  analysts, coordinators and caseworkers.
- The problem profile (found groups, their rivalries and alliances with the evidence events,
  hotspots, time patterns, disproportionality) is police-held analysis too: analysts,
  coordinators and caseworkers of a programme see it; it names people only through the rules
  above.

A record a user may not see and one that does not exist look the same: ``Http404``.
"""

from contextvars import ContextVar

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404

from .models import (
    Action,
    Agency,
    AnalysisRun,
    CohortEntry,
    CohortGroup,
    Intervention,
    Meeting,
    Person,
    PersonScore,
    Programme,
    StaffRole,
)

Role = StaffRole.Role
Status = CohortEntry.Status

SEE_EVERY_STATUS = (Role.ANALYST, Role.COORDINATOR)
SEE_ENGAGED_ONLY = (Role.CASEWORKER, Role.PARTNER)
ENGAGED_STATUSES = (Status.ACTIVE, Status.STEPPED_DOWN)
RECORD_FOR_ANY_AGENCY = (Role.ANALYST, Role.COORDINATOR, Role.CASEWORKER)
RECORD_FOR_OWN_AGENCY = (Role.PARTNER,)
SEE_CASE_DETAIL = (Role.ANALYST, Role.COORDINATOR, Role.CASEWORKER)
DECIDE = (Role.COORDINATOR,)

User = AbstractBaseUser | AnonymousUser
MAX_PK = 2**63  # beyond a 64-bit key the database would fail rather than find nothing


def roles_of(user: User) -> QuerySet[StaffRole]:
    """The user's roles; none for anonymous or deactivated users."""
    if not user.is_authenticated or not user.is_active:
        return StaffRole.objects.none()
    return StaffRole.objects.filter(user_id=user.pk)


def _programmes_where(user: User, roles: tuple[str, ...]) -> QuerySet[Programme]:
    agencies = roles_of(user).filter(role__in=roles).values("agency_id")
    return Programme.objects.filter(agencies__in=agencies)


# Within a request (``PolicyCacheMiddleware``) the user's grants, programme by role, are read
# once: a person's page asks the policy some thirty questions, each of which would otherwise
# nest the same two subqueries. Outside a request every question reads the database afresh.
_request_grants: ContextVar[dict[int, dict[str, frozenset[int]]] | None] = ContextVar(
    "deter_policy_grants", default=None)


def _grants(user: User) -> dict[str, frozenset[int]] | None:
    """The user's programmes by role, if a request is caching them; else None."""
    cache = _request_grants.get()
    if cache is None:
        return None
    if not user.is_authenticated or not user.is_active:
        return {}
    if user.pk not in cache:
        by_role: dict[str, set[int]] = {}
        for role, programme in roles_of(user).filter(agency__programmes__isnull=False) \
                .values_list("role", "agency__programmes"):
            by_role.setdefault(role, set()).add(programme)
        cache[user.pk] = {role: frozenset(pks) for role, pks in by_role.items()}
    return cache[user.pk]


def _programme_pks(user: User, roles: tuple[str, ...]) -> QuerySet | frozenset[int]:
    """Keys of the programmes in which the user holds one of ``roles`` through a partner
    agency: the request's cached set, or a subquery."""
    grants = _grants(user)
    if grants is None:
        return _programmes_where(user, roles).values("pk")
    return frozenset().union(*(grants.get(role, frozenset()) for role in roles))


def _holds(user: User, roles: tuple[str, ...], programme_pk: int | None = None) -> bool:
    """Does the user hold one of ``roles`` (through a partner agency) in the programme, or
    without one, in any programme?"""
    pks = _programme_pks(user, roles)
    if isinstance(pks, frozenset):
        return bool(pks) if programme_pk is None else programme_pk in pks
    return (pks if programme_pk is None else pks.filter(pk=programme_pk)).exists()


def caching_grants() -> object:
    """Start caching grants for the current request; pass the token to ``stop_caching``."""
    return _request_grants.set({})


def stop_caching(token) -> None:
    _request_grants.reset(token)


def forget_grants() -> None:
    """After a change to roles or partnerships, read them afresh for the rest of the request."""
    if (cache := _request_grants.get()) is not None:
        cache.clear()


def programmes_for(user: User) -> QuerySet[Programme]:
    """Programmes that one of the user's agencies partners in, in any role."""
    return Programme.objects.filter(pk__in=_programme_pks(user, tuple(Role.values))).order_by(
        "name")


def cohort_entries_visible_to(user: User) -> QuerySet[CohortEntry]:
    """Cohort entries the user may see, by programme partnership, role and entry status."""
    return CohortEntry.objects.filter(
        Q(programme__in=_programme_pks(user, SEE_EVERY_STATUS))
        | Q(
            programme__in=_programme_pks(user, SEE_ENGAGED_ONLY),
            status__in=ENGAGED_STATUSES,
        )
    )


def people_visible_to(user: User) -> QuerySet[Person]:
    return Person.objects.filter(pk__in=cohort_entries_visible_to(user).values("person_id"))


def get_person_for_user(user: User, person_pk: int) -> Person:
    """Fetch and authorise in one call; "no such person" and "may not see" are the same 404.

    ``person_pk`` is ``Person.pk`` (what URLs carry), not the pseudonymous ``person_id``.
    """
    in_range = isinstance(person_pk, int) and 0 < person_pk < MAX_PK
    person = people_visible_to(user).filter(pk=person_pk).first() if in_range else None
    if person is None:
        raise Http404("No person found")
    return person


def entries_for_person(user: User, person: Person) -> QuerySet[CohortEntry]:
    """The person's cohort entries that the user may see (one per programme)."""
    return (
        cohort_entries_visible_to(user)
        .filter(person=person)
        .select_related("programme", "lead_professional", "decided_by")
        .order_by("programme__name")
    )


def programmes_for_person(user: User, person: Person) -> QuerySet[Programme]:
    """Programmes through which the user sees the person."""
    entries = cohort_entries_visible_to(user).filter(person=person)
    return Programme.objects.filter(pk__in=entries.values("programme_id")).order_by("name")


def _entries_with_case_detail(user: User) -> QuerySet[CohortEntry]:
    detail_programmes = _programme_pks(user, SEE_CASE_DETAIL)
    return cohort_entries_visible_to(user).filter(programme__in=detail_programmes)


def can_see_case_detail(user: User, person: Person) -> bool:
    """Police-held detail: events, recorded memberships, scores and their explanation."""
    return _entries_with_case_detail(user).filter(person=person).exists()


def intervention_agencies(user: User, programme: Programme) -> QuerySet[Agency]:
    """Agencies the user may name as the provider of an intervention in this programme."""
    roles_here = roles_of(user).filter(agency__programmes=programme)
    return Agency.objects.filter(programmes=programme).filter(
        Exists(roles_here.filter(role__in=RECORD_FOR_ANY_AGENCY))
        | Q(pk__in=roles_here.filter(role__in=RECORD_FOR_OWN_AGENCY).values("agency_id"))
    )


def intervention_agencies_for_person(user: User, person: Person) -> QuerySet[Agency]:
    """Every agency the user may name as provider in some programme the person is seen in."""
    roles = roles_of(user)
    programmes = programmes_for_person(user, person)
    any_agency = Programme.objects.filter(
        pk__in=programmes.values("pk"),
        agencies__in=roles.filter(role__in=RECORD_FOR_ANY_AGENCY).values("agency_id"),
    )
    own_agency = roles.filter(
        role__in=RECORD_FOR_OWN_AGENCY, agency__programmes__in=programmes.values("pk")
    )
    return Agency.objects.filter(
        Q(programmes__in=any_agency.values("pk")) | Q(pk__in=own_agency.values("agency_id"))
    ).distinct().order_by("name")


def can_add_intervention(
    user: User,
    person: Person,
    programme: Programme | None = None,
    agency: Agency | None = None,
) -> bool:
    """May the user record an intervention for this person (in this programme, by this agency)?

    Without a programme: in some programme the user sees the person in. Without an agency: by
    at least one agency.
    """
    if programme is None:
        agencies = intervention_agencies_for_person(user, person)
        return (agencies if agency is None else agencies.filter(pk=agency.pk)).exists()
    if not programmes_for_person(user, person).filter(pk=programme.pk).exists():
        return False
    agencies = intervention_agencies(user, programme)
    if agency is None:
        return agencies.exists()
    return agencies.filter(pk=agency.pk).exists()


def interventions_for_person(user: User, person: Person) -> QuerySet[Intervention]:
    """Interventions recorded in the programmes through which the user sees the person."""
    return (
        Intervention.objects.filter(
            person=person, programme__in=programmes_for_person(user, person).values("pk")
        )
        .select_related("agency", "programme", "created_by")
        .order_by("-created_at", "-pk")
    )


def can_see_problem_profile(user: User) -> bool:
    """The latest run's aggregate analysis: groups, relations, places, time, disproportionality."""
    return _holds(user, SEE_CASE_DETAIL)


def latest_complete_run() -> AnalysisRun | None:
    """Only a complete run is ever shown; a running or failed one is invisible.

    The problem profile (``profile``, hundreds of kilobytes of JSON at a force's size) is read
    only when a page asks for it."""
    return (
        AnalysisRun.objects.filter(status=AnalysisRun.Status.COMPLETE).defer("profile")
        .order_by("-started_at", "-pk")
        .first()
    )


def person_scores_visible_to(user: User, run: AnalysisRun | None) -> QuerySet[PersonScore]:
    """A run's ranked people, restricted to the people the user may see.

    Each row is annotated with ``case_detail``: whether the user may see the score and its
    explanation (see ``can_see_case_detail``); templates must show neither when it is false.
    """
    if run is None:
        return PersonScore.objects.none()
    detail = _entries_with_case_detail(user).filter(person_id=OuterRef("person_id"))
    return (
        PersonScore.objects.filter(run=run, person__in=people_visible_to(user))
        .annotate(case_detail=Exists(detail))
        .order_by("rank", "pk")
    )


def cohort_entries_prefetch(user: User, lookup: str = "cohort_entries") -> Prefetch:
    """Prefetch a person's visible cohort entries into ``person.visible_entries``.

    ``lookup`` is the path to ``Person.cohort_entries``, e.g. ``person__cohort_entries``.
    """
    return Prefetch(
        lookup,
        queryset=cohort_entries_visible_to(user)
        .select_related("programme")
        .order_by("programme__name"),
        to_attr="visible_entries",
    )


def entries_outside_run(user: User, run: AnalysisRun | None) -> QuerySet[CohortEntry]:
    """Visible cohort entries whose person has no score in the run (so is not ranked)."""
    entries = cohort_entries_visible_to(user)
    if run is not None:
        # a correlated NOT EXISTS uses the (run, person) index; NOT IN read every score of the
        # run (50,000 at a force's size) on every view of the cohort
        scored = PersonScore.objects.filter(run=run, person_id=OuterRef("person_id"))
        entries = entries.exclude(Exists(scored))
    return entries.select_related("person", "programme").order_by("programme__name", "person")


# --- the programme: decisions, plans, groups, meetings and actions ----------------------------


def programmes_decided_by(user: User) -> QuerySet[Programme]:
    """Programmes in which the user records panel decisions and runs meetings."""
    return Programme.objects.filter(
        pk__in=_programme_pks(user, DECIDE)
    ).order_by("name")


def can_decide(user: User, programme: Programme) -> bool:
    return _holds(user, DECIDE, programme.pk)


def programmes_with_case_detail(user: User) -> QuerySet[Programme]:
    return Programme.objects.filter(
        pk__in=_programme_pks(user, SEE_CASE_DETAIL)
    ).order_by("name")


def can_edit_plan(user: User, entry: CohortEntry) -> bool:
    """The coordinator, or the person's lead professional while they can see the person."""
    if not cohort_entries_visible_to(user).filter(pk=entry.pk).exists():
        return False
    return entry.lead_professional_id == user.pk or can_decide(user, entry.programme)


def cohort_groups_visible_to(user: User) -> QuerySet[CohortGroup]:
    return CohortGroup.objects.filter(
        Q(programme__in=_programme_pks(user, SEE_EVERY_STATUS))
        | Q(
            programme__in=_programme_pks(user, (Role.CASEWORKER,)),
            status__in=ENGAGED_STATUSES,
        )
    )


def get_cohort_group_for_user(user: User, group_pk: int) -> CohortGroup:
    in_range = isinstance(group_pk, int) and 0 < group_pk < MAX_PK
    group = (
        cohort_groups_visible_to(user).select_related("programme").filter(pk=group_pk).first()
        if in_range else None
    )
    if group is None:
        raise Http404("No group found")
    return group


def can_edit_group_plan(user: User, group: CohortGroup) -> bool:
    if not cohort_groups_visible_to(user).filter(pk=group.pk).exists():
        return False
    return group.lead_professional_id == user.pk or can_decide(user, group.programme)


def meetings_visible_to(user: User) -> QuerySet[Meeting]:
    if not user.is_authenticated or not user.is_active:
        return Meeting.objects.none()
    return Meeting.objects.filter(
        Q(programme__in=_programme_pks(user, SEE_CASE_DETAIL))
        | Q(pk__in=Meeting.attendees.through.objects.filter(user_id=user.pk)
            .values("meeting_id"))
        | Q(chair_id=user.pk)
    )


def get_meeting_for_user(user: User, meeting_pk: int) -> Meeting:
    in_range = isinstance(meeting_pk, int) and 0 < meeting_pk < MAX_PK
    meeting = (
        meetings_visible_to(user).select_related("programme", "chair")
        .filter(pk=meeting_pk).first() if in_range else None
    )
    if meeting is None:
        raise Http404("No meeting found")
    return meeting


def can_manage_meeting(user: User, meeting: Meeting) -> bool:
    """Record attendance, decisions, actions and notes: the programme's coordinator or chair."""
    return meeting.chair_id == user.pk or can_decide(user, meeting.programme)


def actions_visible_to(user: User) -> QuerySet[Action]:
    if not user.is_authenticated or not user.is_active:
        return Action.objects.none()
    return Action.objects.filter(
        Q(programme__in=_programme_pks(user, SEE_CASE_DETAIL))
        | Q(owner_id=user.pk)
    )


def can_update_action(user: User, action: Action) -> bool:
    return action.owner_id == user.pk or can_decide(user, action.programme)


def assignable_users(programme: Programme) -> QuerySet:
    """Staff of the programme's partner agencies: lead professionals, action owners,
    attendees."""
    from django.contrib.auth import get_user_model

    agencies = programme.agencies.values("pk")
    return (
        get_user_model().objects.filter(is_active=True, staff_roles__agency__in=agencies)
        .distinct().order_by("username")
    )


def programmes_with_panel(user: User) -> QuerySet[Programme]:
    """Programmes whose panel (proposed and deferred people, with their explanation) the user
    sees: analysts and coordinators, who see every status and the case detail."""
    roles = tuple(set(SEE_EVERY_STATUS) & set(SEE_CASE_DETAIL))
    return Programme.objects.filter(pk__in=_programme_pks(user, roles))


# --- casework: interventions, orders, letters and the group response --------------------------


def interventions_visible_to(user: User) -> QuerySet[Intervention]:
    """A person's interventions where the user sees the person in that programme; a group's
    where the user sees the group."""
    seen_entry = cohort_entries_visible_to(user).filter(
        person_id=OuterRef("person_id"), programme_id=OuterRef("programme_id")
    )
    return Intervention.objects.filter(
        Exists(seen_entry)
        | Q(person__isnull=True, group__in=cohort_groups_visible_to(user).values("pk"))
    )


def get_intervention_for_user(user: User, intervention_pk: int) -> Intervention:
    in_range = isinstance(intervention_pk, int) and 0 < intervention_pk < MAX_PK
    intervention = (
        interventions_visible_to(user)
        .select_related("programme", "person", "group", "agency", "created_by")
        .filter(pk=intervention_pk).first() if in_range else None
    )
    if intervention is None:
        raise Http404("No intervention found")
    return intervention


def can_add_group_intervention(user: User, group: CohortGroup) -> bool:
    """A group's interventions are part of its plan: the coordinator and the lead professional."""
    return can_edit_group_plan(user, group)


def can_update_intervention(user: User, intervention: Intervention) -> bool:
    """Move an intervention along its life-cycle or record a breach: for a person, anyone who
    may record interventions by its provider agency (so a partner only its own agency's); for a
    group, the group's coordinator and lead professional."""
    if not interventions_visible_to(user).filter(pk=intervention.pk).exists():
        return False
    if intervention.person_id is None:
        return can_edit_group_plan(user, intervention.group)
    return intervention_agencies(user, intervention.programme).filter(
        pk=intervention.agency_id
    ).exists()


def can_write_letter(user: User, entry: CohortEntry) -> bool:
    """Letters name and address a person: the coordinator, the programme's caseworkers and the
    person's lead professional write them, and only they read them back."""
    if not cohort_entries_visible_to(user).filter(pk=entry.pk).exists():
        return False
    if entry.lead_professional_id == user.pk:
        return True
    return _holds(user, (Role.COORDINATOR, Role.CASEWORKER), entry.programme_id)


def can_see_delivery(user: User, programme: Programme) -> bool:
    """The programme's delivery page (counts, gaps, orders, flags): analysts, coordinators and
    caseworkers of the programme."""
    return _holds(user, SEE_CASE_DETAIL, programme.pk)
