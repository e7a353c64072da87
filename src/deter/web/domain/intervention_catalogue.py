"""What each kind of intervention can be, and how its status may change.

One definition, used by the actions (to refuse a category that does not belong to the kind or
a status change the life-cycle does not allow) and by the forms (grouped choices).

Life-cycles:

- support and community referrals: planned -> referred -> accepted -> engaged -> completed,
  with declined and closed reachable from referred, accepted and engaged (and a plan that is
  never referred can be closed);
- enforcement: planned -> in force -> completed or closed; a one-off action (a warning, an
  arrest, a charge, an operation) can also go straight from planned to completed;
- communication: planned -> completed or declined.
"""

from ..models import Intervention

Kind = Intervention.Kind
Category = Intervention.Category
Status = Intervention.Status

CATEGORIES_BY_KIND: dict[str, tuple[str, ...]] = {
    Kind.SUPPORT: (
        Category.EDUCATION, Category.TRAINING, Category.EMPLOYMENT, Category.HOUSING,
        Category.PHYSICAL_HEALTH, Category.MENTAL_HEALTH, Category.SUBSTANCE_MISUSE,
        Category.SPORT_DIVERSION, Category.MENTORING, Category.FAMILY_SUPPORT, Category.OTHER,
    ),
    Kind.COMMUNITY: (
        Category.VICTIMS_FAMILIES, Category.FORMER_MEMBERS, Category.FAITH_LEADERS,
        Category.PARENTAL_SUPPORT, Category.CONFERENCING, Category.OTHER,
    ),
    Kind.ENFORCEMENT: (
        Category.ABA, Category.CPN, Category.WARNING, Category.ARREST, Category.CHARGE,
        Category.HOTSPOT_OPERATION, Category.LICENSING, Category.INCOME_DISRUPTION,
        Category.OTHER,
    ),
    Kind.COMMUNICATION: (
        Category.CALL_IN, Category.LETTER, Category.CUSTOM_NOTIFICATION, Category.HOME_VISIT,
        Category.CONTACT, Category.OTHER,
    ),
}

# Orders have conditions, an expiry and breaches.
ORDER_CATEGORIES = frozenset({Category.ABA, Category.CPN})
REFERRAL_KINDS = frozenset({Kind.SUPPORT, Kind.COMMUNITY})

_REFERRAL = {
    Status.PLANNED: (Status.REFERRED, Status.CLOSED),
    Status.REFERRED: (Status.ACCEPTED, Status.DECLINED, Status.CLOSED),
    Status.ACCEPTED: (Status.ENGAGED, Status.DECLINED, Status.CLOSED),
    Status.ENGAGED: (Status.COMPLETED, Status.DECLINED, Status.CLOSED),
}
_ORDER = {
    Status.PLANNED: (Status.ACTIVE, Status.CLOSED),
    Status.ACTIVE: (Status.COMPLETED, Status.CLOSED),
}
_ENFORCEMENT = {
    Status.PLANNED: (Status.ACTIVE, Status.COMPLETED, Status.CLOSED),
    Status.ACTIVE: (Status.COMPLETED, Status.CLOSED),
}
_COMMUNICATION = {
    Status.PLANNED: (Status.COMPLETED, Status.DECLINED),
}

# The statuses an intervention may be recorded with when it is added.
INITIAL_STATUSES: dict[str, tuple[str, ...]] = {
    Kind.SUPPORT: (Status.PLANNED, Status.REFERRED),
    Kind.COMMUNITY: (Status.PLANNED, Status.REFERRED),
    Kind.ENFORCEMENT: (Status.PLANNED, Status.ACTIVE, Status.COMPLETED),
    Kind.COMMUNICATION: (Status.PLANNED, Status.COMPLETED),
}

# The status changes that set an intervention's start or end date.
STARTING = frozenset({Status.ENGAGED, Status.ACTIVE})
ENDING = frozenset({Status.COMPLETED, Status.CLOSED, Status.DECLINED})


def belongs(kind: str, category: str) -> bool:
    return category in CATEGORIES_BY_KIND.get(kind, ())


def is_order(intervention: Intervention) -> bool:
    return intervention.kind == Kind.ENFORCEMENT and intervention.category in ORDER_CATEGORIES


def _life_cycle(kind: str, category: str) -> dict[str, tuple[str, ...]]:
    if kind in REFERRAL_KINDS:
        return _REFERRAL
    if kind == Kind.ENFORCEMENT:
        return _ORDER if category in ORDER_CATEGORIES else _ENFORCEMENT
    return _COMMUNICATION


def next_statuses(intervention: Intervention) -> tuple[str, ...]:
    """The statuses this intervention may move to now; none once it has ended."""
    return _life_cycle(intervention.kind, intervention.category).get(intervention.status, ())


def initial_statuses(kind: str, category: str = "") -> tuple[str, ...]:
    statuses = INITIAL_STATUSES.get(kind, (Status.PLANNED,))
    if kind == Kind.ENFORCEMENT and category in ORDER_CATEGORIES:
        return tuple(s for s in statuses if s != Status.COMPLETED)
    return statuses


def status_label(status: str) -> str:
    return Status(status).label.lower() if status in Status.values else status


def category_label(category: str) -> str:
    return Category(category).label if category in Category.values else ""


def grouped_category_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Choices for a select with one option group per kind (the kind itself is chosen
    separately, and the category must belong to it)."""
    return [
        (Kind(kind).label, [(c, Category(c).label) for c in categories])
        for kind, categories in CATEGORIES_BY_KIND.items()
    ]
