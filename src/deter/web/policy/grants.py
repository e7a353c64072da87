"""Who holds which role in which programme: the facts every rule is built from.

A user holds a role in a programme through an agency that is the programme's lead agency, or
that is a party to the programme's delivery agreement in force today (and still one of its
partners). Within a request (``PolicyCacheMiddleware``) a user's grants are read once: a
person's page asks the policy some thirty questions. Outside a request every question reads
the database afresh.
"""

from contextvars import ContextVar
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import F, QuerySet

from ..domain.data_categories import Category
from ..models import (
    Agency,
    AgreementParty,
    CohortEntry,
    DataSharingAgreement,
    Programme,
    StaffRole,
)

Role = StaffRole.Role
Status = CohortEntry.Status
User = AbstractBaseUser | AnonymousUser

SEE_EVERY_STATUS = (Role.ANALYST, Role.COORDINATOR)
SEE_ENGAGED_ONLY = (Role.CASEWORKER, Role.PARTNER)
ENGAGED_STATUSES = (Status.ACTIVE, Status.STEPPED_DOWN)
RECORD_FOR_ANY_AGENCY = (Role.ANALYST, Role.COORDINATOR, Role.CASEWORKER)
RECORD_FOR_OWN_AGENCY = (Role.PARTNER,)
SEE_CASE_DETAIL = (Role.ANALYST, Role.COORDINATOR, Role.CASEWORKER)
DECIDE = (Role.COORDINATOR,)
WRITE_LETTERS = (Role.COORDINATOR, Role.CASEWORKER)
EVALUATE = (Role.EVALUATOR,)  # through an evaluation agreement, not a grant (policy.evaluation)
ALL_ROLES = tuple(Role.values)
POLICE_OR_VRU = (Agency.Kind.POLICE, Agency.Kind.VRU)

_request_grants: ContextVar[dict[int, tuple["Grant", ...]] | None] = ContextVar(
    "deter_policy_grants", default=None)

EVERY_CATEGORY = frozenset(Category)
CHILD_AGE = 18


@dataclass(frozen=True)
class Grant:
    """One role a user holds in one programme, through one agency: the lead agency's staff
    see every category; any other agency's, what its in-force agreement grants."""

    role: str
    agency: int
    programme: int
    police_or_vru: bool
    lead: bool
    categories: frozenset[str]
    sees_adults: bool = True
    sees_children: bool = True


def active(user: User) -> bool:
    """Signed in and not deactivated: anyone else holds nothing, whatever a record names."""
    return user.is_authenticated and user.is_active


def roles_of(user: User) -> QuerySet[StaffRole]:
    """The user's roles; none for anonymous or deactivated users."""
    if not active(user):
        return StaffRole.objects.none()
    return StaffRole.objects.filter(user_id=user.pk)


def grants_of(user: User) -> tuple[Grant, ...]:
    """Every role the user holds in every programme: read once a request when caching."""
    if not active(user):
        return ()
    cache = _request_grants.get()
    if cache is not None and user.pk in cache:
        return cache[user.pk]
    found = _read_grants(user)
    if cache is not None:
        cache[user.pk] = found
    return found


def _read_grants(user: User) -> tuple[Grant, ...]:
    roles = list(roles_of(user).values_list("role", "agency_id", "agency__kind"))
    agencies = {agency for _, agency, _ in roles}
    led: dict[int, list[int]] = {}
    for programme, agency in Programme.objects.filter(
            lead_agency__in=agencies, agencies=F("lead_agency")) \
            .values_list("pk", "lead_agency_id"):
        led.setdefault(agency, []).append(programme)
    parties: dict[int, list[tuple]] = {}
    for agency, *terms in _parties_in_force().filter(agency__in=agencies).values_list(
            "agency_id", "agreement__programme_id", "categories", "sees_adults",
            "sees_children"):
        parties.setdefault(agency, []).append(terms)
    found = []
    for role, agency, kind in roles:
        police_or_vru = kind in POLICE_OR_VRU
        found += [Grant(role, agency, programme, police_or_vru, True, EVERY_CATEGORY)
                  for programme in led.get(agency, ())]
        found += [Grant(role, agency, programme, police_or_vru, False,
                        frozenset(categories) & EVERY_CATEGORY, adults, children)
                  for programme, categories, adults, children in parties.get(agency, ())
                  if programme not in led.get(agency, ())]
    return tuple(found)


def _parties_in_force() -> QuerySet[AgreementParty]:
    """Parties to a programme's delivery agreement in force today, for agencies that are
    still among the programme's partners."""
    return AgreementParty.objects.filter(
        agreement__in=DataSharingAgreement.objects.in_force(),
        agreement__purpose=DataSharingAgreement.Purpose.DELIVERY,
        agency__programmes=F("agreement__programme"),
    )


def programme_pks(user: User, roles: tuple[str, ...], *, category: str | None = None,
                  police_or_vru: bool = False, lead: bool = False) -> frozenset[int]:
    """Keys of the programmes in which the user holds one of ``roles``; with ``category``,
    only where that data category is granted; with ``police_or_vru``, only through a police
    force or a Violence Reduction Unit; with ``lead``, only through the lead agency."""
    return frozenset(
        g.programme for g in grants_of(user)
        if g.role in roles and (category is None or category in g.categories)
        and (g.police_or_vru or not police_or_vru) and (g.lead or not lead)
    )


def holds(user: User, roles: tuple[str, ...], programme_pk: int | None = None, *,
          category: str | None = None) -> bool:
    """Does the user hold one of ``roles`` in the programme, or without one, in any
    programme (with ``category`` granted, if given)?"""
    pks = programme_pks(user, roles, category=category)
    return bool(pks) if programme_pk is None else programme_pk in pks


def categories_in(user: User, programme_pk: int) -> frozenset[str]:
    """The data categories the user may see in the programme, by any of their roles."""
    return frozenset().union(
        *(g.categories for g in grants_of(user) if g.programme == programme_pk))


def agencies_in(user: User, roles: tuple[str, ...]) -> frozenset[int]:
    """The agencies through which the user holds one of ``roles`` in some programme."""
    return frozenset(g.agency for g in grants_of(user) if g.role in roles)


def age_scope(user: User) -> tuple[frozenset[int], frozenset[int], frozenset[int]]:
    """Programmes where the user sees adults and children, children only, adults only
    (agreements name adults and children as separate categories)."""
    adults: set[int] = set()
    children: set[int] = set()
    for g in grants_of(user):
        if g.sees_adults:
            adults.add(g.programme)
        if g.sees_children:
            children.add(g.programme)
    return (frozenset(adults & children), frozenset(children - adults),
            frozenset(adults - children))


def caching_grants() -> object:
    """Start caching grants for the current request; pass the token to ``stop_caching``."""
    return _request_grants.set({})


def stop_caching(token) -> None:
    _request_grants.reset(token)


def forget_grants() -> None:
    """After a change to roles or partnerships, read them afresh for the rest of the request."""
    if (cache := _request_grants.get()) is not None:
        cache.clear()
