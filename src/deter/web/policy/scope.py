"""The narrower parts of who sees whom, as query conditions the record policies combine:
adults and children as an agreement's separate categories, a partner agency's recorded links,
and the kinds of intervention an agency may see recorded by others.
"""

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from ..domain.data_categories import HEALTH_CATEGORIES, Category
from ..domain.people import last_adult_birthday
from ..models import Intervention, PersonLink
from .grants import Role, User, age_scope, agencies_in, grants_of, programme_pks


def age_allowed(user: User, person: str = "person__") -> Q:
    """Entries whose person's age band the user's agreements cover (an unknown age counts
    as a child)."""
    both, children_only, adults_only = age_scope(user)
    child = Q(**{f"{person}date_of_birth__isnull": True}) | Q(
        **{f"{person}date_of_birth__gt": last_adult_birthday(timezone.localdate())})
    return (Q(programme__in=both) | Q(child, programme__in=children_only)
            | Q(~child, programme__in=adults_only))


def linked_to_partner(user: User) -> Q:
    """An open link between one of the user's partner agencies and the entry's person."""
    links = PersonLink.objects.filter(
        programme_id=OuterRef("programme_id"), person_id=OuterRef("person_id"),
        ended_at__isnull=True, agency__in=agencies_in(user, (Role.PARTNER,)))
    return Q(Exists(links))


def intervention_categories_allowed(user: User) -> Q:
    """Interventions of the kinds the user's agreements grant in their programme, and any
    their own agency recorded or provides: a school sees a treatment referral only where
    health data is agreed."""
    enforcement = Q(kind=Intervention.Kind.ENFORCEMENT)
    health = Q(category__in=HEALTH_CATEGORIES) & ~enforcement
    support = ~enforcement & ~health
    roles = tuple(Role.values)
    return (
        Q(support, programme__in=programme_pks(user, roles, category=Category.INTERVENTIONS))
        | Q(health, programme__in=programme_pks(user, roles, category=Category.HEALTH))
        | Q(enforcement, programme__in=programme_pks(user, roles, category=Category.ENFORCEMENT))
        | Q(agency__in={g.agency for g in grants_of(user)})
    )
