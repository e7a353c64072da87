"""Who holds which role in which programme: the facts every rule is built from.

Within a request (``PolicyCacheMiddleware``) a user's grants, programme by role, are read once:
a person's page asks the policy some thirty questions, each of which would otherwise nest the
same two subqueries. Outside a request every question reads the database afresh.
"""

from contextvars import ContextVar

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from ..models import CohortEntry, Programme, StaffRole

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
ALL_ROLES = tuple(Role.values)

_request_grants: ContextVar[dict[int, dict[str, frozenset[int]]] | None] = ContextVar(
    "deter_policy_grants", default=None)


def active(user: User) -> bool:
    """Signed in and not deactivated: anyone else holds nothing, whatever a record names."""
    return user.is_authenticated and user.is_active


def roles_of(user: User) -> QuerySet[StaffRole]:
    """The user's roles; none for anonymous or deactivated users."""
    if not active(user):
        return StaffRole.objects.none()
    return StaffRole.objects.filter(user_id=user.pk)


def _programmes_where(user: User, roles: tuple[str, ...]) -> QuerySet[Programme]:
    agencies = roles_of(user).filter(role__in=roles).values("agency_id")
    return Programme.objects.filter(agencies__in=agencies)


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


def programme_pks(user: User, roles: tuple[str, ...]) -> QuerySet | frozenset[int]:
    """Keys of the programmes in which the user holds one of ``roles`` through a partner
    agency: the request's cached set, or a subquery."""
    grants = _grants(user)
    if grants is None:
        return _programmes_where(user, roles).values("pk")
    return frozenset().union(*(grants.get(role, frozenset()) for role in roles))


def holds(user: User, roles: tuple[str, ...], programme_pk: int | None = None) -> bool:
    """Does the user hold one of ``roles`` (through a partner agency) in the programme, or
    without one, in any programme?"""
    pks = programme_pks(user, roles)
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
